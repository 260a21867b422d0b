#!/usr/bin/env python3
"""Tenant density (issue 6): RSS and idle CPU of one vkube process holding N tenants.

Usage: bench/tenants.py [--binary build/bin/vkube] [--counts 10,100,1000] [--out FILE]

Starts `vkube serve` on a fresh data dir, then for each count N (cumulative) creates tenants
through the admin API (timing each create and its first successful request through the tenant
route), gives each a small namespace of objects (1 namespace, 3 configmaps, 1 secret: 5 writes
over HTTP/1.1 keep-alive), waits for the controllers to settle, and samples the process:
RSS from /proc/PID/status and CPU over 10 s of idleness from /proc/PID/stat. Writes a markdown
table (and a PNG via gnuplot when present) next to --out.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import MultiTenantServer, percentile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return rss, ticks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/vkube"))
    ap.add_argument("--counts", default="10,100,1000")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results", "tenants-" + time.strftime("%Y%m%d") + ".md"))
    ap.add_argument("--idle-seconds", type=float, default=10)
    args = ap.parse_args()
    counts = [int(x) for x in args.counts.split(",")]

    server = MultiTenantServer(args.binary, prefix="vkube-tenants-")
    proc = server.proc
    try:
        base_rss, _ = proc_sample(proc.pid)
        rows, made = [], 0
        create_ms, usable_ms = [], []
        for n in counts:
            while made < n:
                name = f"t{made:05d}"
                t0 = time.perf_counter()
                token = server.create_tenant(name)
                t1 = time.perf_counter()
                tc = server.tenant_conn(token)
                st, _ = tc.req("GET", f"/tenants/{name}/api/v1/namespaces/default")
                t2 = time.perf_counter()
                assert st == 200, st
                create_ms.append((t1 - t0) * 1000)
                usable_ms.append((t2 - t0) * 1000)
                p = f"/tenants/{name}/api/v1"
                tc.req("POST", p + "/namespaces", {"metadata": {"name": "app"}})
                for i in range(3):
                    tc.req("POST", p + "/namespaces/app/configmaps",
                           {"metadata": {"name": f"cfg-{i}"}, "data": {"key": "value-" * 20}})
                tc.req("POST", p + "/namespaces/app/secrets", {"metadata": {"name": "creds"}, "stringData": {"password": "x" * 32}})
                tc.close()
                made += 1
            time.sleep(3)  # controllers settle (default SA, kube-root-ca.crt in the new namespace)
            rss0, ticks0 = proc_sample(proc.pid)
            time.sleep(args.idle_seconds)
            rss1, ticks1 = proc_sample(proc.pid)
            hz = os.sysconf("SC_CLK_TCK")
            cpu = (ticks1 - ticks0) / hz / args.idle_seconds * 100
            rows.append((n, rss1, (rss1 - base_rss) / n, cpu))
            print(f"tenants={n} rss={rss1/1024:.1f}MiB per-tenant={(rss1-base_rss)/n:.0f}KiB idle-cpu={cpu:.2f}%", flush=True)
    finally:
        server.stop()

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("# Tenant density (issue 6)\n\n")
        f.write(f"Measured {time.strftime('%Y-%m-%d')} by `bench/tenants.py --counts {args.counts}` on "
                f"{os.cpu_count()} cores. One `vkube serve` process (no default tenant); every tenant holds a "
                "namespace `app` with 3 configmaps and 1 secret plus what its controllers create (default "
                "ServiceAccounts, kube-root-ca.crt per namespace, the `kubernetes` Service). Tenants are "
                "running (their first request loaded them): store partition, API server, controllers.\n\n")
        f.write(f"Baseline RSS before any tenant: {base_rss/1024:.1f} MiB.\n\n")
        f.write("| tenants | RSS (MiB) | RSS per tenant (KiB) | idle CPU (% of one core) |\n|---:|---:|---:|---:|\n")
        for n, rss, per, cpu in rows:
            f.write(f"| {n} | {rss/1024:.1f} | {per:.0f} | {cpu:.2f} |\n")
        f.write(f"\nTenant creation through the admin API (POST → 201), {len(create_ms)} tenants: "
                f"p50 {statistics.median(create_ms):.1f} ms, p99 {percentile(create_ms, 99):.1f} ms. "
                f"Created → first 200 through its route (new TLS connection included): "
                f"p50 {statistics.median(usable_ms):.1f} ms, p99 {percentile(usable_ms, 99):.1f} ms.\n")
    png = os.path.splitext(args.out)[0] + ".png"
    if shutil.which("gnuplot"):
        dat = os.path.join(tempfile.gettempdir(), "vkube-tenants-rss.dat")
        with open(dat, "w") as f:
            for n, rss, per, cpu in rows:
                f.write(f"{n} {rss/1024:.2f} {per:.1f}\n")
        script = (f"set terminal pngcairo size 800,500; set output '{png}'; set logscale x; "
                  "set xlabel 'idle tenants'; set ylabel 'RSS (MiB)'; set y2label 'KiB per tenant'; "
                  "set y2tics; set grid; set key left top; "
                  f"plot '{dat}' using 1:2 with linespoints title 'process RSS', "
                  f"'{dat}' using 1:3 axes x1y2 with linespoints title 'RSS per tenant'")
        subprocess.run(["gnuplot", "-e", script], check=False)
        if os.path.exists(png):
            with open(args.out, "a") as f:
                f.write(f"\n![RSS vs tenants]({os.path.basename(png)})\n")
    print("wrote", args.out)


if __name__ == "__main__":
    sys.exit(main())
