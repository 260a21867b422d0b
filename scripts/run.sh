#!/usr/bin/env bash
# Set-up command 1: install dependencies, build, and start vkube on its embedded default
# (a virtual cluster with an embedded SQLite store in ./vkube-data on https://127.0.0.1:${PORT:-6443}).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bin/vkube serve --data-dir "${DATA_DIR:-$PWD/vkube-data}" --listen "127.0.0.1:${PORT:-6443}"
