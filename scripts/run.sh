#!/usr/bin/env bash
# Set-up command 1: install dependencies, build, and start vkube on its embedded default: a local
# host cluster (`vkube host`: simulated nodes that run pods, serve logs/exec/port-forward) and a
# virtual cluster synced to it (`vkube serve --host-kubeconfig`), kubeconfig in ./vkube-data.
#   PORT (6443): the virtual cluster's port; the host listens on PORT+1.
#   DATA_DIR (./vkube-data): the virtual cluster's data; the host's is DATA_DIR/host.
#   SKIP_BUILD=1 VKUBE_BIN=path: start an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SKIP_BUILD:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh
fi
BIN=${VKUBE_BIN:-build/bin/vkube}
DATA=${DATA_DIR:-$PWD/vkube-data}
PORT=${PORT:-6443}
HOST_NS=vkube-tenants
mkdir -p "$DATA/host"

"$BIN" host --data-dir "$DATA/host" --listen "127.0.0.1:$((PORT + 1))" --nodes 3 >"$DATA/host.log" 2>&1 &
host_pid=$!
trap 'kill "$host_pid" 2>/dev/null; wait "$host_pid" 2>/dev/null' EXIT
for _ in $(seq 300); do
  grep -q "vkube ready" "$DATA/host.log" 2>/dev/null && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$DATA/host.log" >&2; exit 1; }
  sleep 0.1
done
# The host namespace the tenant's pods run in (409 when it exists already).
token=$(sed -n 's/^ *token: *//p' "$DATA/host/admin.kubeconfig" | head -1)
curl -sS -o /dev/null --cacert "$DATA/host/pki/ca.crt" -H "Authorization: Bearer $token" \
  -H "Content-Type: application/json" -d "{\"metadata\":{\"name\":\"$HOST_NS\"}}" \
  "https://127.0.0.1:$((PORT + 1))/api/v1/namespaces"
echo "host cluster: KUBECONFIG=$DATA/host/admin.kubeconfig (namespace $HOST_NS holds the tenant's pods)"

"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" \
  --host-kubeconfig "$DATA/host/admin.kubeconfig" --host-namespace "$HOST_NS" &
serve_pid=$!
trap 'kill "$serve_pid" "$host_pid" 2>/dev/null; wait "$serve_pid" "$host_pid" 2>/dev/null' EXIT
trap 'exit 0' INT TERM
wait "$serve_pid"
