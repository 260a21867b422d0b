#!/usr/bin/env python3
"""Sync lag (issue 4): tenant pod create acknowledged → the translated pod present on the host.

Usage: bench/sync_lag.py [build/bin/vkube] [results.md]
Starts `vkube host` and `vkube serve --host-kubeconfig ... --host-namespace tenants` (two processes,
TLS on 127.0.0.1), watches the host namespace, and creates tenant pods at fixed offered rates
(RATES, pods/s, for SECONDS each) from WORKERS keep-alive HTTPS connections. The lag of a pod is
host watch ADDED time − tenant 201 time (both clocks are this process's). Between rates every pod
is deleted and the host namespace drains. The highest rate tried whose pods all arrive with p99
under 1 s is reported as sustained, with the creation rate actually achieved (the client, two
servers and the host share the machine: say so when reading the figures).
"""
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cli_paths  # noqa: E402

BIN, OUT = cli_paths("sync-lag")
RATES = [int(r) for r in os.environ.get("RATES", "50,200,1000").split(",")]
SECONDS = float(os.environ.get("SECONDS", "5"))
WORKERS = int(os.environ.get("WORKERS", "8"))
HOST_NS = "tenants"
# NO_TOKEN=1: pods without a service account token (no token Secret on the host), to see its cost.
POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}
if os.environ.get("NO_TOKEN"):
    POD_SPEC["automountServiceAccountToken"] = False


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def start(args, work, name):
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen([BIN, *args, "--log-level", "info"], stdout=log, stderr=subprocess.STDOUT)
    data = args[args.index("--data-dir") + 1]
    for _ in range(600):
        text = open(os.path.join(work, name + ".log")).read()
        m = re.search(r"vkube ready listen=(https://[0-9.:]+)", text)
        if m and os.path.exists(os.path.join(data, "admin.kubeconfig")):
            return proc, m.group(1), data
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start:\n{open(os.path.join(work, name + '.log')).read()[-3000:]}")


def token_of(data):
    return re.search(r"token: *(\S+)", open(os.path.join(data, "admin.kubeconfig")).read()).group(1)


class Conn:
    def __init__(self, url, token):
        m = re.match(r"https://([^:/]+):(\d+)", url)
        self.host, self.port = m.group(1), int(m.group(2))
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        self.ctx = ssl._create_unverified_context()
        self.c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)

    def req(self, method, path, body=None):
        self.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        r = self.c.getresponse()
        return r.status, r.read()

    def stream(self, path):
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=3600)
        c.request("GET", path, headers=self.headers)
        return c.getresponse()


def main():
    work = tempfile.mkdtemp(prefix="vkube-synclag-")
    procs = []
    try:
        host, host_url, host_data = start(["host", "--data-dir", os.path.join(work, "host"), "--listen",
                                           "127.0.0.1:0", "--nodes", "40"], work, "host")
        procs.append(host)
        hconn = Conn(host_url, token_of(host_data))
        assert hconn.req("POST", "/api/v1/namespaces", {"metadata": {"name": HOST_NS}})[0] == 201
        tenant, t_url, t_data = start(["serve", "--data-dir", os.path.join(work, "tenant"), "--listen", "127.0.0.1:0",
                                       "--host-kubeconfig", os.path.join(host_data, "admin.kubeconfig"),
                                       "--host-namespace", HOST_NS], work, "tenant")
        procs.append(tenant)
        t_token = token_of(t_data)
        Conn(t_url, t_token).req("POST", "/api/v1/namespaces", {"metadata": {"name": "bench"}})

        arrived = {}  # virtual name → host ADDED time
        gone = set()
        lock = threading.Lock()

        def watch():
            r = hconn.stream(f"/api/v1/namespaces/{HOST_NS}/pods?watch=1&labelSelector=bench%3Dsync")
            while True:
                line = r.fp.readline()
                if not line:
                    return
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(ev, dict):  # a chunk-size line read raw
                    continue
                meta = ev.get("object", {}).get("metadata", {})
                vname = (meta.get("annotations") or {}).get("vkube.dev/object-name")
                with lock:
                    if ev.get("type") == "ADDED" and vname and vname not in arrived:
                        arrived[vname] = time.perf_counter()
                    elif ev.get("type") == "DELETED" and vname:
                        gone.add(vname)
        threading.Thread(target=watch, daemon=True).start()
        time.sleep(0.5)

        rows = []
        for rate in RATES:
            n = int(rate * SECONDS)
            acked = {}
            errors = [0]
            names = [f"r{rate}-{i}" for i in range(n)]
            t0 = time.perf_counter()

            def creator(w):
                c = Conn(t_url, t_token)
                for i in range(w, n, WORKERS):
                    due = t0 + i / rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    body = {"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": names[i], "labels": {"bench": "sync"}},
                            "spec": POD_SPEC}
                    status, _ = c.req("POST", "/api/v1/namespaces/bench/pods", body)
                    if status == 201:
                        acked[names[i]] = time.perf_counter()
                    else:
                        errors[0] += 1
            threads = [threading.Thread(target=creator, args=(w,)) for w in range(WORKERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            created_in = time.perf_counter() - t0
            deadline = time.time() + 120
            while time.time() < deadline:
                with lock:
                    if all(k in arrived for k in acked):
                        break
                time.sleep(0.05)
            with lock:
                lags = [(arrived[k] - acked[k]) * 1000 for k in acked if k in arrived]
                missing = sum(1 for k in acked if k not in arrived)
            synced_at = max((arrived[k] for k in acked if k in arrived), default=t0)
            rows.append({"rate": rate, "n": n, "acked": len(acked), "errors": errors[0], "missing": missing,
                         "achieved": len(acked) / created_in, "sync_rate": len(lags) / max(synced_at - t0, 1e-9),
                         "p50": percentile(lags, 50), "p99": percentile(lags, 99), "max": max(lags, default=0)})
            print(json.dumps(rows[-1]), file=sys.stderr)
            # Drain: delete the tenant pods; the syncer deletes their host copies.
            c = Conn(t_url, t_token)
            c.req("DELETE", "/api/v1/namespaces/bench/pods?labelSelector=bench%3Dsync")
            deadline = time.time() + 120
            while time.time() < deadline:
                with lock:
                    if all(k in gone for k in acked):
                        break
                time.sleep(0.1)

        sustained = [r for r in rows if r["missing"] == 0 and r["errors"] == 0 and r["p99"] < 1000]
        with open(OUT, "w") as f:
            f.write("# Sync lag: tenant pod create acknowledged → host pod present (issue 4)\n\n")
            f.write(f"`bench/sync_lag.py`, {time.strftime('%Y-%m-%d')}: `vkube host --nodes 40` and `vkube serve "
                    f"--host-kubeconfig` as two processes on 127.0.0.1 (TLS, the syncer's host client on HTTP/2), "
                    f"{WORKERS} creating HTTPS/1.1 connections, {SECONDS:g} s per offered rate; lag = host watch "
                    f"ADDED − tenant 201. Client, both servers and the host share {os.cpu_count()} cores.\n\n")
            f.write("| offered pods/s | pods | achieved creates/s | host sync pods/s | p50 ms | p99 ms | max ms | "
                    "missing | errors |\n|---|---|---|---|---|---|---|---|---|\n")
            for r in rows:
                f.write(f"| {r['rate']} | {r['acked']} | {r['achieved']:.0f} | {r['sync_rate']:.0f} | {r['p50']:.1f} | "
                        f"{r['p99']:.1f} | {r['max']:.1f} | {r['missing']} | {r['errors']} |\n")
            if sustained:
                best = max(sustained, key=lambda r: r["achieved"])
                f.write(f"\nMax sustained (all synced, p99 < 1 s): {best['achieved']:.0f} pods/s "
                        f"(offered {best['rate']}).\n")
        print(open(OUT).read())
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
