#!/usr/bin/env python3
"""API verbs (issue 3): PATCH (strategic merge, server-side apply) and LISTs of 5,000 objects.

Usage: bench/api_verbs.py [--binary build/bin/vkube] [--seconds 10] [--clients 8] [--out FILE]

Starts `vkube serve` on a fresh data dir (free ports, its own TLS CA, the default tenant at the
root path) and drives it from --clients threads, each on its own keep-alive HTTPS/1.1 connection:
  1. creates --patch-objects configmaps (namespace `patch`, data keys k0..k9) and --list-objects
     configmaps (namespace `list`), timing the latter (creates/s, p50/p99);
  2. PATCH application/strategic-merge-patch+json: one data key of a random configmap;
  3. PATCH application/apply-patch+yaml (?fieldManager=bench&force=true, a JSON body): an apply
     configuration holding one data key of a random configmap (the key bench applied last time and
     omits now is removed, as server-side apply does);
  4. LIST of the `list` namespace in one GET, then chunked (?limit=500 following `continue` to the
     end); latency and bytes per complete list.
Phases 2-4 run --seconds each. Every response is checked (201 for creates, 200 otherwise; a list
must hold every object exactly once: checked by parsing before each LIST phase, then by counting
item uids in every list); failures are counted as errors and reported, and the exit status is 1
when there were any. RSS (VmRSS) is read empty, after loading and after the runs. Writes a
markdown table to --out and prints it.
"""
import argparse
import http.client
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Conn, MultiTenantServer, percentile  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
KEYS = 10  # data keys per patched configmap


class Client(Conn):
    """benchlib's keep-alive connection with the caller's content type and no silent retry: a
    transport error is returned (status None) for the caller to count, and the next request opens
    a new connection. `opened` counts TLS connections opened (1 per client when keep-alive holds)."""

    def __init__(self, url, token, ctx):
        super().__init__(url, token, ctx)
        self.opened, self.sock = 0, None

    def send(self, method, path, body=None, ctype="application/json"):
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            headers["Content-Type"] = ctype
        try:
            self.c.request(method, path, body=body, headers=headers)
            if self.c.sock is not None and self.c.sock is not self.sock:
                self.opened, self.sock = self.opened + 1, self.c.sock
            r = self.c.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, OSError) as e:
            self.c.close()
            self.c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
            return None, repr(e).encode()


class Stats:
    def __init__(self, name):
        self.name, self.lat, self.nbytes, self.errors, self.samples = name, [], 0, 0, []
        self.elapsed, self.opened, self.lock = 0.0, 0, threading.Lock()

    def merge(self, lat, nbytes, errors, samples):
        with self.lock:
            self.lat += lat
            self.nbytes += nbytes
            self.errors += errors
            self.samples += samples[: max(0, 3 - len(self.samples))]

    @property
    def ok(self):
        return len(self.lat)

    def row(self):
        rate = self.ok / self.elapsed if self.elapsed else float("nan")
        p50 = percentile(self.lat, 50) * 1000 if self.lat else float("nan")
        p99 = percentile(self.lat, 99) * 1000 if self.lat else float("nan")
        per = self.nbytes / self.ok if self.ok else 0
        return rate, p50, p99, per


def run(clients, stats, op, seconds=None, count=None):
    """Runs op(client, rng, i) -> (ok, nbytes, error text) on every client in parallel, either for
    `seconds` (each client starts no new operation after the deadline) or for `count` operations in
    all. Elapsed time is from the common start to the last operation's end."""
    ctr = itertools.count()
    start_gate = threading.Barrier(len(clients) + 1)
    ends = []
    opened0 = sum(c.opened for c in clients)

    def worker(k, cl):
        rng = random.Random(1000 * k + 7)
        lat, nbytes, errors, samples = [], 0, 0, []
        start_gate.wait()
        deadline = t_start[0] + seconds if seconds is not None else None
        while True:
            if deadline is not None:
                if time.perf_counter() >= deadline:
                    break
                i = None
            else:
                i = next(ctr)
                if i >= count:
                    break
            t0 = time.perf_counter()
            ok, n, err = op(cl, rng, i)
            t1 = time.perf_counter()
            if ok:
                lat.append(t1 - t0)
                nbytes += n
            else:
                errors += 1
                if len(samples) < 3:
                    samples.append(err)
        ends.append(time.perf_counter())
        stats.merge(lat, nbytes, errors, samples)

    t_start = [0.0]
    threads = [threading.Thread(target=worker, args=(k, cl)) for k, cl in enumerate(clients)]
    for t in threads:
        t.start()
    t_start[0] = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    stats.elapsed = max(ends) - t_start[0]
    stats.opened = sum(c.opened for c in clients) - opened0
    return stats


def check(status, body, want):
    if status == want:
        return True, len(body), None
    return False, 0, f"{status}: {body[:200].decode(errors='replace')}"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


CONTINUE = re.compile(rb'"continue":"([^"]*)"')


def page_continue(body):
    """The list's metadata.continue, read from the head of the body (vkube writes metadata before
    items; check_lists() verifies this against a full parse before the LIST phases)."""
    head = body[: body.find(b'"items"')] if b'"items"' in body else body[:4096]
    m = CONTINUE.search(head)
    return m.group(1).decode() if m else ""


def check_lists(cl, base, want, limit):
    """Parses one unchunked and one chunked list fully: every name in `want`, each object once, the
    fast continue extraction agrees with the parsed metadata. Returns (objects, pages): the
    namespace also holds what controllers put there (kube-root-ca.crt)."""
    st, body = cl.send("GET", base)
    assert st == 200, (st, body[:300])
    items = json.loads(body)["items"]
    n = len(items)
    assert len({i["metadata"]["name"] for i in items}) == n and want <= {i["metadata"]["name"] for i in items}
    assert body.count(b'"uid":') == n, (body.count(b'"uid":'), n)
    names, token, pages = [], "", 0
    while True:
        q = f"?limit={limit}" + (f"&continue={urllib.parse.quote(token)}" if token else "")
        st, body = cl.send("GET", base + q)
        assert st == 200, (st, body[:300])
        doc = json.loads(body)
        names += [i["metadata"]["name"] for i in doc["items"]]
        token = doc["metadata"].get("continue", "")
        assert token == page_continue(body), (token, page_continue(body))
        pages += 1
        if not token:
            break
    assert len(names) == len(set(names)) == n, (len(names), len(set(names)), n)
    return n, pages


def machine():
    model = ""
    try:
        model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s+(.*)", model).group(1).strip()
    except Exception:  # noqa: BLE001 - only a label
        pass
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    return f"{os.cpu_count()} cores{' (' + model + ')' if model else ''}, {mem / 1048576:.0f} GiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/vkube"))
    ap.add_argument("--seconds", type=float, default=10, help="duration of each PATCH and LIST phase")
    ap.add_argument("--clients", type=int, default=8, help="client threads, one connection each")
    ap.add_argument("--patch-objects", type=int, default=200)
    ap.add_argument("--list-objects", type=int, default=5000)
    ap.add_argument("--limit", type=int, default=500, help="page size of the chunked LIST")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results", "api-verbs-" + time.strftime("%Y%m%d") + ".md"))
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    load_avg = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    # The default tenant at the root path, like bench/run.sh (a later flag wins over benchlib's
    # `--default-tenant ""`).
    server = MultiTenantServer(args.binary, ["--default-tenant", "default"], prefix="vkube-verbs-")
    pid = server.proc.pid
    api = "/api/v1/namespaces"
    rows, clients = [], []
    try:
        kubeconfig = open(os.path.join(server.data, "admin.kubeconfig")).read()
        token = re.search(r"token: *(\S+)", kubeconfig).group(1)
        clients = [Client(server.endpoint["server"], token, server.ctx) for _ in range(args.clients)]
        cl = clients[0]
        for _ in range(100):  # the listener answers as soon as endpoint.json exists; be patient anyway
            st, _ = cl.send("GET", "/api/v1/namespaces/default")
            if st == 200:
                break
            time.sleep(0.1)
        rss_empty = rss_kib(pid)
        for ns in ("patch", "list"):
            st, body = cl.send("POST", api, json.dumps({"metadata": {"name": ns}}).encode())
            assert st == 201, (st, body[:300])

        # Load: the PATCH targets, then the LIST objects (timed).
        stored = [0]

        def create(ns, make):
            def op(c, rng, i):
                ok, n, err = check(*c.send("POST", f"{api}/{ns}/configmaps", json.dumps(make(i)).encode()), 201)
                return ok, n, err
            return op

        targets = run(clients, Stats("create patch targets"), create("patch", lambda i: {
            "metadata": {"name": f"cm-{i}"}, "data": {f"k{k}": "v" * 32 for k in range(KEYS)}}),
            count=args.patch_objects)
        creates = run(clients, Stats("create"), create("list", lambda i: {
            "metadata": {"name": f"item-{i:05d}", "labels": {"app": "bench", "shard": str(i % 10)}},
            "data": {"config.yaml": f"replicas: {i % 7}\nimage: registry.example/app:{i}\n", "owner": "bench"}}),
            count=args.list_objects)
        stored[0] = targets.nbytes + creates.nbytes
        for s in (targets, creates):
            assert s.ok == (args.patch_objects if s is targets else args.list_objects) and not s.errors, \
                (s.name, s.ok, s.errors, s.samples)
        rows.append((f"CREATE configmap ({args.list_objects:,} into one namespace, fsync'd)", creates))
        time.sleep(2)  # controllers and the store settle before RSS is read
        rss_loaded = rss_kib(pid)
        print(f"loaded: creates/s={creates.row()[0]:.0f} rss={rss_loaded} KiB", flush=True)

        def patch(ctype, query, make):
            def op(c, rng, i):
                name = f"cm-{rng.randrange(args.patch_objects)}"
                body = json.dumps(make(name, f"k{rng.randrange(KEYS)}", f"{rng.getrandbits(48):012x}")).encode()
                return check(*c.send("PATCH", f"{api}/patch/configmaps/{name}{query}", body, ctype), 200)
            return op

        smp = patch(SMP, "", lambda name, k, v: {"data": {k: v}})
        ssa = patch(APPLY, "?fieldManager=bench&force=true", lambda name, k, v: {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "patch"}, "data": {k: v}})
        for label, op in (("PATCH strategic merge (1 data key of 1 of "
                           f"{args.patch_objects} configmaps)", smp),
                          ("PATCH server-side apply (fieldManager=bench, force=true)", ssa)):
            ok, _, err = op(cl, random.Random(1), None)
            assert ok, (label, err)
            s = run(clients, Stats(label), op, seconds=args.seconds)
            rows.append((label, s))
            print(f"{label}: {s.row()[0]:.0f}/s errors={s.errors}", flush=True)
        st, body = cl.send("GET", f"{api}/patch/configmaps")
        assert st == 200, (st, body[:300])
        applied = [o for o in json.loads(body)["items"] if any(
            m.get("manager") == "bench" and m.get("operation") == "Apply" for m in o["metadata"].get("managedFields", []))]
        assert applied, "no configmap has managedFields of manager bench, operation Apply"

        base = f"{api}/list/configmaps"
        n, pages = check_lists(cl, base, {f"item-{i:05d}" for i in range(args.list_objects)}, args.limit)

        def list_full(c, rng, i):
            st, body = c.send("GET", base)
            items = body.count(b'"uid":') if st == 200 else n
            if items != n:
                return False, 0, f"200 with {items} items"
            return check(st, body, 200)

        def list_chunked(c, rng, i):
            token, total, items = "", 0, 0
            while True:
                q = f"?limit={args.limit}" + (f"&continue={urllib.parse.quote(token)}" if token else "")
                st, body = c.send("GET", base + q)
                if st != 200:
                    return check(st, body, 200)
                total += len(body)
                items += body.count(b'"uid":')
                token = page_continue(body)
                if not token:
                    break
            if items != n:
                return False, 0, f"chunked list ended after {items} items"
            return True, total, None

        what = f"LIST {n:,} configmaps"
        for label, op in ((f"{what}, one unchunked GET", list_full),
                          (f"{what}, limit={args.limit} + continue ({pages} pages)", list_chunked)):
            s = run(clients, Stats(label), op, seconds=args.seconds)
            rows.append((label, s))
            print(f"{label}: {s.row()[0]:.1f}/s errors={s.errors}", flush=True)
        rss_end = rss_kib(pid)
    finally:
        for c in clients:
            c.close()
        server.stop()

    errors = sum(s.errors for _, s in rows)
    lines = [
        f"# API verbs (issue 3) — {started}",
        "",
        f"Machine: {machine()}; load average {load_avg:.2f} at start; vkube {commit}. "
        "Client and server share the machine.",
        f"Method: `bench/api_verbs.py --seconds {args.seconds:g} --clients {args.clients}`: one `vkube serve` on a "
        "fresh data dir (SQLite store, default tenant at the root path), 127.0.0.1, TLS verified against "
        f"the server's CA, HTTP/1.1 keep-alive; {args.clients} Python `http.client` threads, each on its own "
        f"connection, closed loop (a new request as soon as the last answered). {args.patch_objects} configmaps "
        f"(namespace `patch`, {KEYS} data keys) are patched, one data key of a random one per request; the "
        "apply configuration holds that one key (`application/apply-patch+yaml`, JSON body). The LIST phases "
        f"read the {n:,} configmaps of namespace `list` (the {args.list_objects:,} created + kube-root-ca.crt); "
        f"latency and bytes are per complete list (all pages). Each PATCH/LIST phase runs {args.seconds:g} s; "
        f"the creates are {args.list_objects:,} requests. Every response is "
        "checked (201 create, 200 otherwise, every list holds all objects); failures count as errors. "
        f"new conns: TLS connections opened during the phase (the {args.clients} were opened while loading "
        "the PATCH targets; 0 = keep-alive held throughout).",
        "",
        "| scenario | ops | ops/s | p50 ms | p99 ms | response bytes/op | errors | new conns |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, s in rows:
        rate, p50, p99, per = s.row()
        lines.append(f"| {label} | {s.ok} | {rate:.1f} | {p50:.2f} | {p99:.2f} | {per:,.0f} | {s.errors} | {s.opened} |")
    lines += [
        "",
        f"RSS: {rss_empty / 1024:.1f} MiB empty → {rss_loaded / 1024:.1f} MiB after loading "
        f"{args.patch_objects + args.list_objects:,} configmaps ({stored[0]:,} JSON bytes as returned by the creates) → "
        f"{rss_end / 1024:.1f} MiB after the runs.",
        f"Errors: {errors}."
        + "".join(f"\n- {label}: {'; '.join(s.samples)}" for label, s in rows if s.errors),
    ]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    print("wrote", args.out)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
