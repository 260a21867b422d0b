#!/usr/bin/env bash
# Set-up command 2: install dependencies, build, and run every test (unit + conformance + e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 "$@"
