#!/usr/bin/env python3
"""Tenant fairness (issue 6): p99 GET latency of a quiet tenant, alone and while a noisy tenant
saturates the same process.

Usage: bench/fairness.py [--binary build/bin/vkube] [--seconds 15] [--out FILE] [--pin] [-- extra serve flags]

Starts `vkube serve` with two tenants (quiet, noisy), each holding 20 configmaps. The quiet tenant
is probed by one client: GET one configmap every 5 ms over a keep-alive HTTP/1.1 connection,
latency measured client-side. Phase 1: quiet alone. Phase 2: `h2load` hammers the noisy tenant's
LIST (8 connections x 32 streams) for the same duration. Reports p50/p99 of both phases, the
ratio (goal: <= 2x) and the noisy tenant's throughput and status mix.

--pin models the load generator running on other machines, on a 2-core box: the server runs on
CPU 0 with one I/O thread, the probe and h2load (at nice 19, so the probe is not queued behind it)
on CPU 1. Without it, client and server share every core and the quiet tenant's tail is mostly
the OS scheduler's.
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import MultiTenantServer, percentile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def probe(host, port, ctx, token, path, seconds):
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=30)
    lat = []
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        c.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200, r.status
        time.sleep(0.005)
    c.close()
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/vkube"))
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results", "fairness-" + time.strftime("%Y%m%d") + ".md"))
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    launcher, h2nice = (), None
    if args.pin:
        launcher = ("taskset", "-c", "0")
        args.extra = ["--threads", "1", *args.extra]
        os.sched_setaffinity(0, {1})  # this process (the probe) and h2load
        h2nice = lambda: os.nice(19)  # noqa: E731
    server = MultiTenantServer(args.binary, args.extra, prefix="vkube-fair-", launcher=launcher)
    try:
        ctx = server.ctx
        m = re.match(r"https://([^:]+):(\d+)", server.endpoint["server"])
        host, port = m.group(1), int(m.group(2))
        tokens = {}
        for name in ("quiet", "noisy"):
            tokens[name] = server.create_tenant(name)
            c = server.tenant_conn(tokens[name])
            for i in range(20):
                c.req("POST", f"/tenants/{name}/api/v1/namespaces/default/configmaps",
                      {"metadata": {"name": f"cm-{i}"}, "data": {"k": "v" * 200}})
            c.close()
        qpath = "/tenants/quiet/api/v1/namespaces/default/configmaps/cm-1"
        alone = probe(host, port, ctx, tokens["quiet"], qpath, args.seconds)
        h2 = subprocess.Popen(["h2load", "-D", str(int(args.seconds) + 2), "-c", "8", "-m", "32", "-t", "1",
                               "-H", "Authorization: Bearer " + tokens["noisy"],
                               f"https://{host}:{port}/tenants/noisy/api/v1/namespaces/default/configmaps"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=h2nice)
        time.sleep(1)
        noisy = probe(host, port, ctx, tokens["quiet"], qpath, args.seconds)
        h2out = h2.communicate()[0]
    finally:
        server.stop()
    rps = re.search(r"finished in .*?, ([\d.]+) req/s", h2out)
    codes = re.search(r"status codes: (.*)", h2out)
    a50, a99, n50, n99 = percentile(alone, 50), percentile(alone, 99), percentile(noisy, 50), percentile(noisy, 99)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("# Tenant fairness (issue 6)\n\n")
        f.write(f"Measured {time.strftime('%Y-%m-%d')} by `bench/fairness.py --seconds {args.seconds:g} "
                f"{'--pin ' if args.pin else ''}{' '.join(args.extra)}` on {os.cpu_count()} cores "
                f"({'server on CPU 0, probe and h2load on CPU 1' if args.pin else 'client and server share the cores'}).\n\n")
        f.write("| quiet tenant GET | samples | p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|\n")
        f.write(f"| alone | {len(alone)} | {a50:.2f} | {a99:.2f} |\n")
        f.write(f"| noisy tenant saturating | {len(noisy)} | {n50:.2f} | {n99:.2f} |\n\n")
        f.write(f"p99 ratio: **{n99 / a99:.2f}x** (goal <= 2x). Noisy tenant: "
                f"{rps.group(1) if rps else '?'} LIST req/s, status codes {codes.group(1) if codes else '?'}.\n")
    print(open(args.out).read())


if __name__ == "__main__":
    sys.exit(main())
