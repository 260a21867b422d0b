#!/usr/bin/env bash
# HTTPS load harness for the virtual API server (issue 2 figures). Usage:
#   bench/run.sh [build/bin/vkube] [results-file]
# Starts vkube on a free port with a fresh data dir, loads objects, then measures over TLS on
# 127.0.0.1: GET one pod, LIST 100 pods (h2load, HTTP/2 and wrk, HTTP/1.1), CREATE configmaps,
# watch event delivery latency, RSS per stored object; and the same GET body served as a static
# file by nginx over TLS+h2 as the transport ceiling. Writes a markdown report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/bin/vkube}
OUT=${2:-$ROOT/bench/results/issue2-$(date +%Y%m%d).md}
N=${BENCH_REQUESTS:-20000}; C=${BENCH_CONNS:-8}; M=${BENCH_STREAMS:-16}; DUR=${BENCH_SECONDS:-10}
WORK=$(mktemp -d); trap 'kill $VK_PID $NGX_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
VK_PID=""; NGX_PID=""

"$BIN" serve --data-dir "$WORK/data" --listen 127.0.0.1:0 >"$WORK/vkube.log" 2>&1 &
VK_PID=$!
for _ in $(seq 100); do grep -q "vkube ready" "$WORK/vkube.log" && break; sleep 0.1; done
PORT=$(grep -o 'listen=https://127.0.0.1:[0-9]*' "$WORK/vkube.log" | head -1 | sed 's/.*://')
TOKEN=$(grep -o 'token: *[^ ]*' "$WORK/data/admin.kubeconfig" | awk '{print $2}')
URL=https://127.0.0.1:$PORT
AUTH="Authorization: Bearer $TOKEN"
export KUBECONFIG=$WORK/data/admin.kubeconfig
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

kubectl create ns bench >/dev/null
RSS0=$(rss_kb $VK_PID)
python3 "$ROOT/bench/load_objects.py" "$URL" "$TOKEN" bench 1000 >"$WORK/load.json"
RSS1=$(rss_kb $VK_PID)
JSON_BYTES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["json_bytes"])' "$WORK/load.json")

h2() {  # h2load → "req/s p50_ms p99_ms"
  local log=$WORK/h2.log; rm -f "$log"
  h2load -n "$N" -c "$C" -m "$M" -H "$AUTH" "$@" --log-file="$log" >"$WORK/h2.out" 2>&1 || true
  local rps; rps=$(awk '/finished in/{for(i=1;i<=NF;i++) if($i ~ /req\/s/) print $(i-1)}' "$WORK/h2.out")
  python3 - "$log" "$rps" <<'PY'
import sys
lat=sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip() and l.split()[1].startswith('2'))
ok=len(lat); p=lambda q: lat[min(ok-1,int(q*ok))]/1000 if ok else float('nan')
print(f"{sys.argv[2]} {p(0.5):.2f} {p(0.99):.2f} {ok}")
PY
}
wrk1() {  # wrk (HTTP/1.1 keep-alive) → "req/s p50_ms p99_ms"
  wrk -t2 -c"$C" -d"${DUR}s" --latency -H "$AUTH" "$1" >"$WORK/wrk.out" 2>&1 || true
  python3 - "$WORK/wrk.out" <<'PY'
import re,sys
t=open(sys.argv[1]).read()
def ms(v,u): return float(v)*{'us':0.001,'ms':1,'s':1000}[u]
rps=re.search(r'Requests/sec:\s+([\d.]+)',t); p50=re.search(r'50%\s+([\d.]+)(us|ms|s)',t); p99=re.search(r'99%\s+([\d.]+)(us|ms|s)',t)
print(f"{rps.group(1) if rps else 'nan'} {ms(*p50.groups()) if p50 else float('nan'):.2f} {ms(*p99.groups()) if p99 else float('nan'):.2f}")
PY
}

GET_PATH=/api/v1/namespaces/bench/pods/pod-0
LIST_PATH="/api/v1/namespaces/bench/pods?limit=100"
read -r GET_RPS GET_P50 GET_P99 GET_OK <<<"$(h2 "$URL$GET_PATH")"
read -r LIST_RPS LIST_P50 LIST_P99 LIST_OK <<<"$(N=$((N/4)) h2 "$URL$LIST_PATH")"
read -r WGET_RPS WGET_P50 WGET_P99 <<<"$(wrk1 "$URL$GET_PATH")"
echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-"},"data":{"k":"v"}}' >"$WORK/cm.json"
read -r CR_RPS CR_P50 CR_P99 CR_OK <<<"$(N=$((N/4)) h2 -d "$WORK/cm.json" -H 'Content-Type: application/json' \
  "$URL/api/v1/namespaces/bench/configmaps")"
WATCH=$(python3 "$ROOT/bench/watch_latency.py" "$URL" "$TOKEN" bench 300)
RSS_END=$(rss_kb $VK_PID)

# nginx reference: the same pod JSON as a static file over TLS + h2 with the same cert.
curl -s --cacert "$WORK/data/pki/ca.crt" -H "$AUTH" "$URL$GET_PATH" >"$WORK/pod.json"
mkdir -p "$WORK/ngx/www/api/v1/namespaces/bench/pods" && cp "$WORK/pod.json" "$WORK/ngx/www$GET_PATH"
NGX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/ngx/nginx.conf" <<NGX
user root; worker_processes 2; pid $WORK/ngx/nginx.pid; error_log $WORK/ngx/error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; default_type application/json;
  server { listen 127.0.0.1:$NGX_PORT ssl http2; root $WORK/ngx/www;
    ssl_certificate $WORK/data/pki/server.crt; ssl_certificate_key $WORK/data/pki/server.key; } }
NGX
chmod a+rx "$WORK" && chmod -R a+rX "$WORK/ngx" "$WORK/data/pki"  # nginx workers run unprivileged
nginx -c "$WORK/ngx/nginx.conf" -p "$WORK/ngx" & NGX_PID=$!
sleep 0.5
read -r NGX_RPS NGX_P50 NGX_P99 NGX_OK <<<"$(h2 "https://127.0.0.1:$NGX_PORT$GET_PATH")"

RATIO=$(python3 -c "print(f'{float(\"$GET_RPS\")/float(\"$NGX_RPS\"):.2f}')" 2>/dev/null || echo nan)
PER_OBJ=$(python3 -c "print(int(((${RSS1}-${RSS0})*1024 - ${JSON_BYTES})/1000))")
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<REPORT
# vkube issue-2 benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)

Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); vkube and the load generator share it.
Load: h2load -n $N -c $C -m $M (HTTP/2, TLS), wrk -t2 -c$C -d${DUR}s (HTTP/1.1, TLS); 127.0.0.1.

| scenario | req/s | p50 ms | p99 ms |
|---|---|---|---|
| GET one pod (h2load) | $GET_RPS | $GET_P50 | $GET_P99 |
| GET one pod (wrk, HTTP/1.1) | $WGET_RPS | $WGET_P50 | $WGET_P99 |
| LIST 100 pods (h2load) | $LIST_RPS | $LIST_P50 | $LIST_P99 |
| CREATE configmap (h2load, fsync'd) | $CR_RPS | $CR_P50 | $CR_P99 |
| nginx static GET, same body (h2load) | $NGX_RPS | $NGX_P50 | $NGX_P99 |

- GET vs nginx ratio: **$RATIO** (target ≥ 0.5)
- Watch delivery latency (create → event received, 300 events): $WATCH
- RSS: $RSS0 KiB empty → $RSS1 KiB after 1000 pods ($JSON_BYTES JSON bytes): **$PER_OBJ B/object over JSON size** (target ≤ 2048); $RSS_END KiB at end.
REPORT
cat "$OUT"
python3 "$ROOT/bench/api_verbs.py" --binary "$BIN" --seconds "$DUR" --clients "$C" --out "$(dirname "$OUT")/api-verbs-$(date +%Y%m%d).md"  # issue 3: PATCH (SMP, SSA), LIST 5,000 (own server)
