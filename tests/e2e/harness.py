"""Starts the real vkube binary on a free port and drives it with real kubectl/curl.

Shared by every end-to-end test module. No mocks: a real process, real TLS, real clients.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

BINARY = os.environ.get("VKUBE_BINARY", "")
KUBECTL = shutil.which("kubectl") or "kubectl"
READY_RE = re.compile(r"vkube ready listen=https://([0-9.]+):(\d+)")


class VkubeServer:
    """One `vkube serve` process with its own data dir (kept across restart())."""

    def __init__(self, data_dir=None, extra_args=()):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="vkube-e2e-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_lines = []
        self._ready = threading.Event()

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "admin.kubeconfig")

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        assert BINARY, "VKUBE_BINARY must point at build/bin/vkube"
        self._ready.clear()
        self.log_lines = []
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        threading.Thread(target=self._pump, daemon=True).start()
        if not self._ready.wait(timeout):
            self.stop(sig=signal.SIGKILL)
            raise AssertionError("vkube did not become ready:\n" + "".join(self.log_lines[-50:]))
        return self

    def _pump(self):
        for line in self.proc.stdout:
            self.log_lines.append(line)
            m = READY_RE.search(line)
            if m and not self._ready.is_set():
                self.port = int(m.group(2))
                self._ready.set()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the process; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError(f"vkube did not exit within {timeout}s after {sig}")
        self.proc = None
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        try:
            self.stop(sig=signal.SIGKILL)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def endpoint(self):
        """DATA_DIR/endpoint.json, rewritten by every start: {server, adminServer, baseDomain, defaultTenant}."""
        with open(os.path.join(self.data_dir, "endpoint.json")) as f:
            return json.load(f)

    @property
    def admin_url(self):
        """The platform admin API's listener (its port changes on every start)."""
        return self.endpoint()["adminServer"]

    def platform_token(self):
        with open(os.path.join(self.data_dir, "platform-admin.token")) as f:
            return f.read().strip()

    def token(self):
        with open(self.kubeconfig) as f:
            m = re.search(r"token:\s*(\S+)", f.read())
        return m.group(1)

    def kubectl(self, *args, input=None, check=True, timeout=60):
        cmd = [KUBECTL, "--kubeconfig", self.kubeconfig, *args]
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def kubectl_popen(self, *args):
        return subprocess.Popen([KUBECTL, "--kubeconfig", self.kubeconfig, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def curl(self, path, *args, token=True, http="--http2", method="GET", data=None, headers=()):
        """Raw HTTP over TLS (trusting the tenant CA); returns (status, body_text)."""
        cmd = ["curl", "-sS", http, "--cacert", os.path.join(self.data_dir, "pki", "ca.crt"),
               "-o", "-", "-w", "\n%{http_code}", "-X", method]
        if token:
            cmd += ["-H", f"Authorization: Bearer {self.token()}"]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            cmd += ["--data-binary", "@-"]
        cmd += [*args, self.url + path]
        p = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
        out = p.stdout.decode(errors="replace")
        body, _, code = out.rpartition("\n")
        return int(code or 0), body


def wait_for(test, predicate, timeout=10, what="condition", detail=None):
    """Polls `predicate` every 50 ms; fails `test` after `timeout` seconds, with `detail()` if given."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    test.fail(f"timed out waiting for {what}" + (f"\n{detail()}" if detail else ""))


class ServerTestCase(unittest.TestCase):
    """A fresh vkube per test class."""

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = VkubeServer().start()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup()

    def kubectl(self, *args, **kw):
        return self.server.kubectl(*args, **kw)

    def get_json(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def wait_for(self, predicate, timeout=10, what="condition"):
        wait_for(self, predicate, timeout, what)


def take_binary_arg():
    """`script.py --binary PATH ...`: the binary under test (ctest passes it), removed from argv."""
    import sys
    if len(sys.argv) > 2 and sys.argv[1] == "--binary":
        global BINARY
        BINARY = os.environ["VKUBE_BINARY"] = os.path.abspath(sys.argv[2])
        del sys.argv[1:3]


def main():
    """Entry point of every e2e module: take --binary, run the module's tests verbosely."""
    take_binary_arg()
    unittest.main(module="__main__", verbosity=2)
