#!/usr/bin/env bash
# Controller throughput (issue 5): how fast one tenant's ReplicaSet controller materializes the
# pods of a large Deployment, and what the controllers cost when idle. Usage:
#   bench/controllers.sh [build/bin/vkube] [results-file] [replicas]
# Starts vkube with a fresh data dir, `kubectl create deployment --replicas=N`, polls the pod count
# through the API (watch-free, 20 ms period) until N exist; then measures process CPU over 10 s of
# idleness (from /proc/PID/stat) and RSS. Writes a markdown report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/bin/vkube}
OUT=${2:-$ROOT/bench/results/issue5-$(date +%Y%m%d).md}
N=${3:-1000}
WORK=$(mktemp -d); trap 'kill $VK_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --data-dir "$WORK/data" --listen 127.0.0.1:0 >"$WORK/vkube.log" 2>&1 &
VK_PID=$!
for _ in $(seq 100); do grep -q "vkube ready" "$WORK/vkube.log" && break; sleep 0.1; done
export KUBECONFIG=$WORK/data/admin.kubeconfig
cpu_ticks() { awk '{print $14+$15}' "/proc/$VK_PID/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$VK_PID/status"; }

python3 - "$N" >"$WORK/burst.txt" <<'PY'
import json, subprocess, sys, time
n = int(sys.argv[1])
t0 = time.time()
subprocess.run(["kubectl", "create", "deployment", "big", "--image=nginx", f"--replicas={n}"], check=True,
               capture_output=True)
first = None
while True:
    out = subprocess.run(["kubectl", "get", "--raw", "/api/v1/namespaces/default/pods?limit=1"],
                         capture_output=True, text=True, check=True).stdout
    meta = json.loads(out)["metadata"]
    count = len(json.loads(out)["items"]) + int(meta.get("remainingItemCount", 0))
    if count and first is None:
        first = time.time() - t0
    if count >= n:
        break
    if time.time() - t0 > 300:
        break
    time.sleep(0.02)
total = time.time() - t0
print(f"{n} {count} {first:.3f} {total:.3f} {count / total:.0f}")
PY
read -r WANT GOT FIRST TOTAL RATE <"$WORK/burst.txt"
sleep 2
T0=$(cpu_ticks); sleep 10; T1=$(cpu_ticks)
HZ=$(getconf CLK_TCK)
IDLE_CPU=$(python3 -c "print(f'{($T1-$T0)/$HZ/10*100:.2f}')")
RSS=$(rss_kb)
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<MD
# Issue 5 — controller throughput ($(date -u +%Y-%m-%dT%H:%MZ))

Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); vkube $(git -C "$ROOT" rev-parse --short HEAD).
Method: \`kubectl create deployment big --replicas=$WANT\` against a fresh \`vkube serve\`; pod count polled
through the API every 20 ms. Every pod is a durable (fsync'd, group-committed) create through the
generic registry (admission, defaulting, validation), issued by the ReplicaSet controller in
slow-start batches of 1, 2, 4, … (≤ 500 per sync, 16 writes in flight).

| measure | value |
|---|---|
| pods wanted / created | $WANT / $GOT |
| first pod visible after | ${FIRST} s |
| all pods created after | ${TOTAL} s |
| pods created per second | $RATE |
| CPU while idle afterwards (10 s) | ${IDLE_CPU} % of one core |
| RSS with $GOT pods, 1 RS, 1 deployment | $((RSS / 1024)) MiB |
MD
cat "$OUT"
