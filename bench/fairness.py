#!/usr/bin/env python3
"""Tenant fairness (issue 6): p99 GET latency of a quiet tenant, alone and while a noisy tenant
saturates the same process.

Usage: bench/fairness.py [--binary build/bin/vkube] [--seconds 15] [--out FILE] [-- extra serve flags]

Starts `vkube serve` with two tenants (quiet, noisy), each holding 20 configmaps. The quiet tenant
is probed by one client: GET one configmap every 5 ms over a keep-alive HTTP/1.1 connection,
latency measured client-side. Phase 1: quiet alone. Phase 2: `h2load` hammers the noisy tenant's
LIST (8 connections x 32 streams) for the same duration. Reports p50/p99 of both phases, the
ratio (goal: <= 2x) and the noisy tenant's throughput and status mix.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


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
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vkube-fair-")
    data = os.path.join(work, "data")
    log = open(os.path.join(work, "vkube.log"), "w")
    proc = subprocess.Popen([args.binary, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", "--default-tenant", "",
                             "--log-level", "warn", *args.extra], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if os.path.exists(os.path.join(data, "endpoint.json")):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        ep = json.load(open(os.path.join(data, "endpoint.json")))
        ctx = ssl.create_default_context(cafile=os.path.join(data, "pki", "ca.crt"))
        am = re.match(r"https://([^:]+):(\d+)", ep["adminServer"])
        admin = http.client.HTTPSConnection(am.group(1), int(am.group(2)), context=ctx)
        atok = open(os.path.join(data, "platform-admin.token")).read().strip()
        m = re.match(r"https://([^:]+):(\d+)", ep["server"])
        host, port = m.group(1), int(m.group(2))
        tokens = {}
        for name in ("quiet", "noisy"):
            admin.request("POST", "/v1/tenants", body=json.dumps({"metadata": {"name": name}}),
                          headers={"Authorization": "Bearer " + atok})
            r = admin.getresponse()
            r.read()
            assert r.status == 201, r.status
            tokens[name] = open(os.path.join(data, "tenants", name, "pki", "admin.token")).read().strip()
            c = http.client.HTTPSConnection(host, port, context=ctx)
            for i in range(20):
                c.request("POST", f"/tenants/{name}/api/v1/namespaces/default/configmaps",
                          body=json.dumps({"metadata": {"name": f"cm-{i}"}, "data": {"k": "v" * 200}}),
                          headers={"Authorization": "Bearer " + tokens[name], "Content-Type": "application/json"})
                c.getresponse().read()
            c.close()
        qpath = "/tenants/quiet/api/v1/namespaces/default/configmaps/cm-1"
        alone = probe(host, port, ctx, tokens["quiet"], qpath, args.seconds)
        h2 = subprocess.Popen(["h2load", "-D", str(int(args.seconds) + 2), "-c", "8", "-m", "32", "-t", "1",
                               "-H", "Authorization: Bearer " + tokens["noisy"],
                               f"https://{host}:{port}/tenants/noisy/api/v1/namespaces/default/configmaps"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        noisy = probe(host, port, ctx, tokens["quiet"], qpath, args.seconds)
        h2out = h2.communicate()[0]
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    rps = re.search(r"finished in .*?, ([\d.]+) req/s", h2out)
    codes = re.search(r"status codes: (.*)", h2out)
    a50, a99, n50, n99 = pct(alone, 50), pct(alone, 99), pct(noisy, 50), pct(noisy, 99)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("# Tenant fairness (issue 6)\n\n")
        f.write(f"Measured {time.strftime('%Y-%m-%d')} by `bench/fairness.py --seconds {args.seconds:g} "
                f"{' '.join(args.extra)}` on {os.cpu_count()} cores (client and server on one machine).\n\n")
        f.write("| quiet tenant GET | samples | p50 (ms) | p99 (ms) |\n|---|---:|---:|---:|\n")
        f.write(f"| alone | {len(alone)} | {a50:.2f} | {a99:.2f} |\n")
        f.write(f"| noisy tenant saturating | {len(noisy)} | {n50:.2f} | {n99:.2f} |\n\n")
        f.write(f"p99 ratio: **{n99 / a99:.2f}x** (goal <= 2x). Noisy tenant: "
                f"{rps.group(1) if rps else '?'} LIST req/s, status codes {codes.group(1) if codes else '?'}.\n")
    print(open(args.out).read())
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
