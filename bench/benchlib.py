"""Shared by the multi-tenant benchmarks: start `vkube serve` with no default tenant, talk to it
over keep-alive HTTPS, create tenants through the admin API."""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time


def cli_paths(results_prefix):
    """(vkube binary, results file) from argv[1:3], defaulting to build/bin/vkube and
    bench/results/PREFIX-YYYYMMDD.md."""
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "bin", "vkube")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "bench", "results",
                                                             f"{results_prefix}-{time.strftime('%Y%m%d')}.md")
    return binary, out


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Conn:
    """One keep-alive HTTPS connection (HTTP/1.1) with a bearer token; reconnects once on error."""

    def __init__(self, url, token, ctx):
        m = re.match(r"https://([^:/]+):(\d+)", url)
        self.host, self.port, self.token, self.ctx = m.group(1), int(m.group(2)), token, ctx
        self.c = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=30)

    def req(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        for _ in range(2):
            try:
                self.c.request(method, path, body=data, headers=headers)
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        raise RuntimeError(f"{method} {path} failed")

    def close(self):
        self.c.close()


class MultiTenantServer:
    """`vkube serve` on a fresh data dir, listening on free ports; stop() removes everything."""

    def __init__(self, binary, extra=(), prefix="vkube-bench-", launcher=()):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.data = os.path.join(self.work, "data")
        self.log = open(os.path.join(self.work, "vkube.log"), "w")
        self.proc = subprocess.Popen([*launcher, binary, "serve", "--data-dir", self.data, "--listen", "127.0.0.1:0",
                                      "--default-tenant", "", "--log-level", "warn", *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        endpoint = os.path.join(self.data, "endpoint.json")
        for _ in range(300):
            if os.path.exists(endpoint):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        self.endpoint = json.load(open(endpoint))
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.data, "pki", "ca.crt"))
        token = open(os.path.join(self.data, "platform-admin.token")).read().strip()
        self.admin = Conn(self.endpoint["adminServer"], token, self.ctx)

    def create_tenant(self, name):
        """Creates a tenant; returns its admin token."""
        status, body = self.admin.req("POST", "/v1/tenants", {"metadata": {"name": name}})
        assert status == 201, (status, body)
        return open(os.path.join(self.data, "tenants", name, "pki", "admin.token")).read().strip()

    def tenant_conn(self, token):
        return Conn(self.endpoint["server"], token, self.ctx)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)
