"""Set-up command 1 (`scripts/run.sh`) as a user runs it, minus install and build: a local host
cluster plus a virtual cluster synced to it; `kubectl run` in the virtual cluster reaches Running on
a host node, its logs come through, and stopping the script stops both processes.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port_pair():
    """A port p with p+1 also free (the script puts the host on PORT+1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", p))
                b.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    raise AssertionError("no two adjacent free ports")


class RunScript(unittest.TestCase):
    def test_run_sh_serves_a_virtual_cluster_whose_pods_run_on_the_local_host(self):
        data = tempfile.mkdtemp(prefix="vkube-run-")
        port = free_port_pair()
        env = dict(os.environ, SKIP_BUILD="1", VKUBE_BIN=harness.BINARY, DATA_DIR=data, PORT=str(port))
        proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run.sh")], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        kubeconfig = os.path.join(data, "admin.kubeconfig")

        def kubectl(*args, **kw):
            return subprocess.run([harness.KUBECTL, "--kubeconfig", kubeconfig, *args], capture_output=True,
                                  text=True, timeout=90, **kw)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and kubectl("get", "ns", "default").returncode != 0:
                self.assertIsNone(proc.poll(), "run.sh exited early")
                time.sleep(0.2)
            self.assertIn(f"https://127.0.0.1:{port}", open(kubeconfig).read())
            self.assertEqual(kubectl("run", "web", "--image=nginx").returncode, 0)
            p = kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
            self.assertEqual(p.returncode, 0, p.stderr)
            node = kubectl("get", "pod", "web", "-o", "jsonpath={.spec.nodeName}").stdout
            self.assertTrue(node.startswith("vkube-node-"), node)
            host = subprocess.run([harness.KUBECTL, "--kubeconfig", os.path.join(data, "host", "admin.kubeconfig"),
                                   "get", "pods", "-n", "vkube-tenants", "-o", "name"],
                                  capture_output=True, text=True, timeout=60)
            self.assertIn("pod/web-x-default-x-default", host.stdout)
            self.assertIn("container web", kubectl("logs", "web", "--tail=1").stdout)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
            leftovers = subprocess.run(["pgrep", "-f", f"data-dir {data}"], capture_output=True, text=True).stdout
            shutil.rmtree(data, ignore_errors=True)
        self.assertEqual(leftovers.strip(), "", "processes left running")


if __name__ == "__main__":
    harness.main()
