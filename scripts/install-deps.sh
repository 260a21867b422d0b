#!/usr/bin/env bash
# Installs every build, test and bench dependency from Debian 12 packages (idempotent).
# Why each one is needed is in README.md ("Dependencies").
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev            # Asio + Beast with as_tuple/awaitable operators (1.74 lacks them)
  libssl-dev                  # TLS, X.509 CA/cert generation, sha256
  libnghttp2-dev              # HTTP/2 framing, HPACK, flow control
  nlohmann-json3-dev          # JSON object model
  libyaml-cpp-dev             # YAML request bodies
  libsqlite3-dev              # embedded durable store (WAL)
  libjemalloc-dev             # the server binary's allocator
  etcd-server etcd-client     # etcd store backend (--store=etcd) and its tests
  prometheus-cpp-dev          # metrics registry
  zlib1g-dev                  # gzip responses
  libgtest-dev libgmock-dev   # unit + conformance tests
  libbenchmark-dev            # micro-benchmarks
  clang libclang-rt-14-dev    # libFuzzer + sanitizers
  nghttp2-client wrk nginx    # bench: h2load, wrk, reference TLS server
  gnuplot-nox                 # bench: plots (PNG) next to the results
  golang-k8s-kube-openapi-dev # upstream swagger.json used as OpenAPI data
  python3 openssl curl
  python3-kubernetes          # e2e: the official Python client as a second client library
)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v kubectl >/dev/null || { echo "kubectl 1.32 is required on PATH" >&2; exit 1; }
"$(dirname "$0")/install-helm.sh"   # real Helm 3 for the chart tests (.tools/bin/helm)
