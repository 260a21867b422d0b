#!/usr/bin/env python3
"""Shared mode (issue 7): how fast and how densely one `vkube serve --tenant-requests` serves the
tenants that host namespaces request.

Usage: bench/tenant_requests.py [build/bin/vkube] [results.md]   (COUNTS=10,50,100 by default)
Starts `vkube host --nodes 6` and the shared instance `vkube serve --host-kubeconfig ...
--tenant-requests` (two processes, TLS on 127.0.0.1). For each count N it creates N namespaces on
the host, each with a tenant request ConfigMap (as `helm install --set mode=shared` does), and
measures per tenant:
  - request → Ready: ConfigMap created → its vkube.dev/tenant-status annotation is "Ready" (the
    tenant exists, runs its syncer, and its kubeconfig Secret is written);
  - first pod: a pod created in the tenant with the token from that Secret → the translated pod
    present in the tenant's namespace on the host (proves every tenant's syncer works at that
    density: each follows its own namespace with several host watches);
and the shared instance's RSS. Requests are then deleted and the next count starts from zero.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import cli_paths  # noqa: E402
from sync_lag import Conn, percentile, start, token_of  # noqa: E402

BIN, OUT = cli_paths("tenant-requests")
COUNTS = [int(c) for c in os.environ.get("COUNTS", "10,50,100").split(",")]
TIMEOUT = float(os.environ.get("TIMEOUT", "120"))
LABEL = "vkube.dev/tenant-request"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def wait_until(pred, what, timeout=TIMEOUT):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out: {what}")


def run_count(host, hub_url, n, round_no):
    names = [f"r{round_no}-t{i}" for i in range(n)]
    created, ready, pod_sent, pod_seen = {}, {}, {}, {}
    for name in names:
        ns = f"team-{name}"
        host.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        cm = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "req", "namespace": ns, "labels": {LABEL: "true"}},
              "data": {"tenant": name, "kubeconfigSecret": f"vc-{name}"}}
        created[name] = time.time()
        code, body = host.req("POST", f"/api/v1/namespaces/{ns}/configmaps", cm)
        assert code == 201, body

    def poll_ready():
        code, body = host.req("GET", f"/api/v1/configmaps?labelSelector={LABEL}%3Dtrue")
        now = time.time()
        for item in json.loads(body)["items"]:
            tenant = item["data"]["tenant"]
            status = (item["metadata"].get("annotations") or {}).get("vkube.dev/tenant-status")
            if tenant in created and tenant not in ready and status == "Ready":
                ready[tenant] = now
        return len(ready) == n
    wait_until(poll_ready, f"{n} requests Ready")

    # One pod per tenant, with the tenant's own token from its kubeconfig Secret.
    hub = Conn(hub_url, "")
    for name in names:
        _, body = host.req("GET", f"/api/v1/namespaces/team-{name}/secrets/vc-{name}")
        token = base64.b64decode(json.loads(body)["data"]["token"]).decode()
        hub.headers["Authorization"] = "Bearer " + token
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"},
               "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
        pod_sent[name] = time.time()
        code, body = hub.req("POST", f"/tenants/{name}/api/v1/namespaces/default/pods", pod)
        assert code == 201, (code, body)

    def poll_pods():
        _, body = host.req("GET", "/api/v1/pods?labelSelector=vkube.dev%2Fmanaged-by%3Dvkube")
        now = time.time()
        for item in json.loads(body)["items"]:
            tenant = item["metadata"]["labels"].get("vkube.dev/tenant")
            if tenant in pod_sent and tenant not in pod_seen:
                pod_seen[tenant] = now
        return len(pod_seen) == n
    wait_until(poll_pods, f"{n} tenants' pods on the host")
    to_ready = [(ready[t] - created[t]) * 1000 for t in names]
    to_pod = [(pod_seen[t] - pod_sent[t]) * 1000 for t in names]
    return names, to_ready, to_pod


def cleanup(host, names):
    for name in names:
        host.req("DELETE", f"/api/v1/namespaces/team-{name}/configmaps/req")

    def gone():
        _, body = host.req("GET", "/api/v1/pods?labelSelector=vkube.dev%2Fmanaged-by%3Dvkube")
        return not json.loads(body)["items"]
    wait_until(gone, "host pods removed after the requests were deleted")


def main():
    work = tempfile.mkdtemp(prefix="vkube-bench-requests-")
    procs = []
    try:
        hproc, hurl, hdata = start(["host", "--data-dir", os.path.join(work, "host"), "--listen", "127.0.0.1:0",
                                    "--nodes", "6"], work, "host")
        procs.append(hproc)
        host = Conn(hurl, token_of(hdata))
        host.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": "vkube-system"}})
        sproc, surl, _ = start(["serve", "--data-dir", os.path.join(work, "shared"), "--listen", "127.0.0.1:0",
                                "--host-kubeconfig", os.path.join(hdata, "admin.kubeconfig"),
                                "--host-namespace", "vkube-system", "--no-host-nodes", "--tenant-requests"],
                               work, "shared")
        procs.append(sproc)
        time.sleep(1)
        base_rss = rss_mib(sproc.pid)
        rows = []
        for round_no, n in enumerate(COUNTS):
            names, to_ready, to_pod = run_count(host, surl, n, round_no)
            time.sleep(1)
            rss = rss_mib(sproc.pid)
            rows.append((n, to_ready, to_pod, rss))
            print(f"{n} tenants: request→Ready p50 {percentile(to_ready, 50):.0f} p99 {percentile(to_ready, 99):.0f} "
                  f"max {max(to_ready):.0f} ms; first pod p50 {percentile(to_pod, 50):.0f} "
                  f"p99 {percentile(to_pod, 99):.0f} ms; RSS {rss:.0f} MiB", flush=True)
            cleanup(host, names)
        cpus = os.cpu_count()
        with open(OUT, "w") as f:
            f.write(f"# Shared mode: tenant requests ({time.strftime('%Y-%m-%d')})\n\n")
            f.write(f"`bench/tenant_requests.py` on {cpus} CPUs: `vkube host --nodes 6` and the shared instance "
                    "`vkube serve --tenant-requests` (two processes, TLS, loopback; the client shares the machine). "
                    "N namespaces each get a tenant request ConfigMap at once; request → Ready is the time until "
                    "the instance annotated it Ready (tenant created, syncer started, kubeconfig Secret written); "
                    "first pod is a tenant pod create (with the token from that Secret) → the pod in the tenant's "
                    "host namespace. Polled every 20 ms.\n\n")
            f.write(f"Shared instance RSS before any request: {base_rss:.0f} MiB.\n\n")
            f.write("| tenants | request→Ready p50 / p99 / max (ms) | first pod p50 / p99 / max (ms) | instance RSS (MiB) |\n")
            f.write("|---|---|---|---|\n")
            for n, to_ready, to_pod, rss in rows:
                f.write(f"| {n} | {percentile(to_ready, 50):.0f} / {percentile(to_ready, 99):.0f} / {max(to_ready):.0f} | "
                        f"{percentile(to_pod, 50):.0f} / {percentile(to_pod, 99):.0f} / {max(to_pod):.0f} | {rss:.0f} |\n")
        print("wrote", OUT)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
