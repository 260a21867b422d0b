"""`vkube serve --store=etcd` against a real etcd (Debian's etcd-server), driven by real kubectl.

etcd runs on free 127.0.0.1 ports with a temporary data dir. vkube keeps every tenant's objects
there: they survive kill -9 of vkube, a second tenant is isolated from the first (API and etcd key
prefix), watches see changes, and the keys are where the README says they are.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import KUBECTL, VkubeServer  # noqa: E402

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
PREFIX = "/vkube/e2e"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    """One etcd member on 127.0.0.1 with its own data dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vkube-e2e-etcd-")
        self.client_port, self.peer_port = free_port(), free_port()
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.client_port}"

    def start(self):
        peer = f"http://127.0.0.1:{self.peer_port}"
        with open(os.path.join(self.dir, "etcd.log"), "ab") as log:
            self.proc = subprocess.Popen(
                [ETCD, "--name=e2e", f"--data-dir={self.dir}/data", f"--listen-client-urls={self.url}",
                 f"--advertise-client-urls={self.url}", f"--listen-peer-urls={peer}",
                 f"--initial-advertise-peer-urls={peer}", f"--initial-cluster=e2e={peer}",
                 "--heartbeat-interval=20", "--election-timeout=100", "--logger=zap", "--log-level=error"],
                stdout=log, stderr=log)
        deadline = time.time() + 40  # a loaded CI machine (ctest -j2 beside other e2e modules) is slow
        while time.time() < deadline:
            if self.ctl("endpoint", "health", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise AssertionError("etcd did not start: " + open(os.path.join(self.dir, "etcd.log")).read()[-2000:])

    def ctl(self, *args, check=True):
        env = dict(os.environ, ETCDCTL_API="3")
        p = subprocess.run([ETCDCTL, f"--endpoints={self.url}", *args], capture_output=True, text=True,
                           timeout=30, env=env)
        if check and p.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)}: {p.stderr}")
        return p

    def keys(self, prefix):
        return [k for k in self.ctl("get", "--prefix", "--keys-only", prefix).stdout.splitlines() if k]

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def configmap(name, ns, **data):
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                       "data": data})


@unittest.skipUnless(os.path.exists(ETCD), "etcd is not installed (apt-get install etcd-server etcd-client)")
class EtcdStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd().start()
        cls.server = VkubeServer(extra_args=["--store=etcd", f"--etcd-endpoints={cls.etcd.url}",
                                             f"--etcd-prefix={PREFIX}"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.etcd.cleanup()

    def kubectl(self, *args, kubeconfig=None, **kw):
        if kubeconfig is None:
            return self.server.kubectl(*args, **kw)
        cmd = [KUBECTL, "--kubeconfig", kubeconfig, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=kw.get("timeout", 60), input=kw.get("input"))
        if kw.get("check", True) and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def get_json(self, *args, kubeconfig=None):
        return json.loads(self.kubectl("get", *args, "-o", "json", kubeconfig=kubeconfig).stdout)

    def connect(self, tenant):
        """`vkube connect TENANT --route path`: a kubeconfig for the current listener."""
        kc = os.path.join(self.server.data_dir, f"{tenant}.kubeconfig")
        p = subprocess.run([harness.BINARY, "connect", tenant, "--data-dir", self.server.data_dir, "--route", "path",
                            "--out", kc], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return kc

    def test_1_objects_live_in_etcd_and_survive_kill_9(self):
        self.kubectl("create", "namespace", "shop")
        self.kubectl("create", "configmap", "settings", "-n", "shop", "--from-literal=color=blue")
        self.kubectl("create", "secret", "generic", "creds", "-n", "shop", "--from-literal=password=s3cret")
        self.kubectl("create", "deployment", "web", "-n", "shop", "--image=nginx", "--replicas=2")
        self.kubectl("label", "configmap", "settings", "-n", "shop", "tier=front")
        # The deployment controller's ReplicaSet and pods are written through the same store.
        harness.wait_for(self, lambda: len(self.get_json("pods", "-n", "shop")["items"]) == 2, 30, "2 pods")
        before = {kind: self.get_json(kind, "-n", "shop") for kind in ("configmaps", "secrets", "deployments",
                                                                      "replicasets", "pods")}
        cm = self.get_json("configmap", "settings", "-n", "shop")
        # Keys: PREFIX/TENANT/RESOURCE/NS!NAME, one partition marker per tenant.
        keys = self.etcd.keys(PREFIX + "/")
        self.assertIn(f"{PREFIX}/default/configmaps/shop!settings", keys)
        self.assertIn(f"{PREFIX}/default/apps/deployments/shop!web", keys)
        self.assertIn(f"{PREFIX}/default/namespaces/!shop", keys)
        self.assertIn(f"{PREFIX}/.partitions/default", keys)
        # resourceVersion is the etcd revision of the write.
        rev = self.etcd.ctl("get", f"{PREFIX}/default/configmaps/shop!settings", "-w", "json").stdout
        mod = json.loads(rev)["kvs"][0]["mod_revision"]
        self.assertEqual(cm["metadata"]["resourceVersion"], str(mod))
        self.assertEqual(cm["metadata"]["labels"], {"tier": "front"})

        # kill -9: nothing is on local disk but credentials; every acknowledged write is in etcd.
        self.server.stop(sig=signal.SIGKILL)
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "store.db")))
        self.server.start()
        after = {kind: self.get_json(kind, "-n", "shop") for kind in before}
        for kind in ("configmaps", "secrets", "deployments", "replicasets"):
            self.assertEqual({o["metadata"]["name"]: o["metadata"]["uid"] for o in after[kind]["items"]},
                             {o["metadata"]["name"]: o["metadata"]["uid"] for o in before[kind]["items"]}, kind)
        self.assertEqual(len(after["pods"]["items"]), 2)
        self.assertEqual(self.get_json("configmap", "settings", "-n", "shop"), cm)  # byte-for-byte state
        self.assertEqual(self.get_json("configmaps", "-n", "shop", "-l", "tier=front")["items"][0]["metadata"]["name"],
                         "settings")  # labels (attrs) came back from etcd too
        secret = self.get_json("secret", "creds", "-n", "shop")
        self.assertEqual(secret["data"]["password"], "czNjcmV0")
        # Still writable, and revisions keep increasing.
        self.kubectl("create", "configmap", "after", "-n", "shop", "--from-literal=x=1")
        self.assertGreater(int(self.get_json("configmap", "after", "-n", "shop")["metadata"]["resourceVersion"]),
                           int(cm["metadata"]["resourceVersion"]))

    def test_2_watch_sees_changes(self):
        self.kubectl("create", "namespace", "watched")
        w = subprocess.Popen([KUBECTL, "--kubeconfig", self.server.kubeconfig, "get", "configmaps", "-n", "watched",
                              "--watch", "-o", "name"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        threading.Thread(target=lambda: [lines.append(l.strip()) for l in w.stdout], daemon=True).start()
        try:
            harness.wait_for(self, lambda: "configmap/kube-root-ca.crt" in lines, 30, "initial list")
            self.kubectl("create", "configmap", "live", "-n", "watched", "--from-literal=a=b")
            harness.wait_for(self, lambda: "configmap/live" in lines, 15, "watch event for configmap/live")
        finally:
            w.kill()
            w.wait()

    def test_3_second_tenant_is_isolated(self):
        token = self.server.platform_token()
        ca = os.path.join(self.server.data_dir, "pki", "ca.crt")
        p = subprocess.run(["curl", "-sS", "--cacert", ca, "-H", f"Authorization: Bearer {token}", "-X", "POST",
                            "-H", "Content-Type: application/json", "--data", '{"metadata":{"name":"team-b"}}',
                            "-o", "/dev/null", "-w", "%{http_code}", self.server.admin_url + "/v1/tenants"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stdout, "201", p.stderr)
        kc = self.connect("team-b")
        self.kubectl("create", "namespace", "shop", kubeconfig=kc)  # same names, other tenant
        self.kubectl("create", "configmap", "settings", "-n", "shop", "--from-literal=color=red", kubeconfig=kc)
        self.assertEqual(self.get_json("configmap", "settings", "-n", "shop", kubeconfig=kc)["data"], {"color": "red"})
        self.assertEqual(self.get_json("configmap", "settings", "-n", "shop")["data"], {"color": "blue"})
        names_b = {o["metadata"]["name"] for o in self.get_json("configmaps", "-A", kubeconfig=kc)["items"]}
        self.assertNotIn("after", names_b)
        self.assertEqual(self.kubectl("get", "deployment", "web", "-n", "shop", kubeconfig=kc, check=False).returncode,
                         1)
        self.assertIn(f"{PREFIX}/team-b/configmaps/shop!settings", self.etcd.keys(f"{PREFIX}/team-b/"))
        self.assertNotIn(f"{PREFIX}/team-b/apps/deployments/shop!web", self.etcd.keys(f"{PREFIX}/team-b/"))
        # Both tenants come back after a restart.
        self.server.stop(sig=signal.SIGKILL)
        self.server.start()
        kc = self.connect("team-b")  # the listener's port changed
        self.assertEqual(self.get_json("configmap", "settings", "-n", "shop", kubeconfig=kc)["data"], {"color": "red"})
        self.assertEqual(self.get_json("configmap", "settings", "-n", "shop")["data"], {"color": "blue"})
        # A graceful stop exits 0.
        self.assertEqual(self.server.stop(), 0)
        self.server.start()

    def test_4_two_replicas_share_a_tenant_and_one_runs_its_controllers(self):
        """Two vkube processes on one etcd prefix serve the same tenant: one holds the controller
        Lease (so a Deployment gets its pods once, not twice); when it dies the other takes over."""
        second = VkubeServer(extra_args=["--store=etcd", f"--etcd-endpoints={self.etcd.url}",
                                         f"--etcd-prefix={PREFIX}"]).start()
        replicas = [self.server, second]
        leads = lambda srv: any("leads kube-system/kube-controller-manager" in l for l in srv.log_lines)  # noqa: E731
        try:
            # (A restarted replica waits out its dead predecessor's lease: up to 15 s.)
            harness.wait_for(self, lambda: any(leads(r) for r in replicas), 40, "a replica to lead")
            leader = next(r for r in replicas if leads(r))
            other = second if leader is self.server else self.server
            self.assertFalse(leads(other))
            kc = other.kubeconfig
            self.kubectl("create", "namespace", "ha", kubeconfig=kc)
            self.kubectl("create", "deployment", "two", "-n", "ha", "--image=nginx", "--replicas=3", kubeconfig=kc)
            pods = lambda: self.get_json("pods", "-n", "ha", kubeconfig=kc)["items"]  # noqa: E731
            harness.wait_for(self, lambda: len(pods()) == 3, 30, "3 pods made by the leader's controllers")
            time.sleep(3)  # a second active controller manager would have made more by now
            self.assertEqual(len(pods()), 3)
            self.assertEqual(len(self.get_json("replicasets", "-n", "ha", kubeconfig=kc)["items"]), 1)
            holder = self.get_json("lease", "kube-controller-manager", "-n", "kube-system",
                                   kubeconfig=kc)["spec"]["holderIdentity"]
            # The leader dies without releasing the lease; the other replica takes over.
            leader.stop(sig=signal.SIGKILL)
            self.kubectl("scale", "deployment", "two", "-n", "ha", "--replicas=4", kubeconfig=kc)
            harness.wait_for(self, lambda: len(pods()) == 4, 45, "the surviving replica's controllers to scale up")
            self.assertTrue(leads(other))
            lease = self.get_json("lease", "kube-controller-manager", "-n", "kube-system", kubeconfig=kc)
            self.assertNotEqual(lease["spec"]["holderIdentity"], holder)
            self.assertGreaterEqual(lease["spec"]["leaseTransitions"], 1)
        finally:
            second.cleanup()
            if self.server.proc is None:
                self.server.start()


if __name__ == "__main__":
    harness.main()
