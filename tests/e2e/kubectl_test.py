"""Issue 2 acceptance: real kubectl 1.32 against `vkube serve` over real TLS (HTTP/2 via ALPN)."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase, VkubeServer  # noqa: E402

MANIFEST = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: app-config
      namespace: team-a
      labels:
        app: web
    data:
      greeting: hello
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: team-a
    spec:
      replicas: 2
      selector:
        matchLabels:
          app: web
      template:
        metadata:
          labels:
            app: web
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            ports:
            - containerPort: 80
    """)


def table_rows(text):
    """Splits `kubectl get` output into a header and rows of whitespace-separated cells."""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return re.split(r"\s{2,}", lines[0].strip()), [re.split(r"\s{2,}", l.strip()) for l in lines[1:]]


class KubectlBasics(ServerTestCase):

    def test_01_get_namespaces_shows_system_namespaces_as_table(self):
        out = self.kubectl("get", "ns").stdout
        header, rows = table_rows(out)
        self.assertEqual(header, ["NAME", "STATUS", "AGE"])
        names = {r[0]: r[1] for r in rows}
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.assertEqual(names.get(ns), "Active", out)

    def test_02_create_namespace_and_run_pod(self):
        self.assertIn("namespace/team-a created", self.kubectl("create", "ns", "team-a").stdout)
        out = self.kubectl("run", "web-0", "-n", "team-a", "--image=nginx:1.25", "--labels=app=web,tier=front").stdout
        self.assertIn("pod/web-0 created", out)
        header, rows = table_rows(self.kubectl("get", "pods", "-n", "team-a").stdout)
        self.assertEqual(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        self.assertEqual(rows[0][:4], ["web-0", "0/1", "Pending", "0"])
        pod = self.get_json("pod", "web-0", "-n", "team-a")
        # kube-apiserver defaulting and metadata the server owns
        self.assertEqual(pod["spec"]["restartPolicy"], "Always")
        self.assertEqual(pod["spec"]["dnsPolicy"], "ClusterFirst")
        self.assertEqual(pod["spec"]["terminationGracePeriodSeconds"], 30)
        self.assertEqual(pod["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent")
        self.assertRegex(pod["metadata"]["uid"], r"^[0-9a-f-]{36}$")
        self.assertRegex(pod["metadata"]["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(pod["metadata"]["resourceVersion"].isdigit())
        self.assertEqual(pod["status"]["phase"], "Pending")

    def test_03_get_pod_yaml(self):
        out = self.kubectl("get", "pod", "web-0", "-n", "team-a", "-o", "yaml").stdout
        self.assertIn("kind: Pod", out)
        self.assertIn("name: web-0", out)
        self.assertIn("image: nginx:1.25", out)
        self.assertIn("tier: front", out)

    def test_04_apply_twice_second_unchanged(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(MANIFEST)
        try:
            first = self.kubectl("apply", "-f", f.name).stdout
            self.assertIn("configmap/app-config created", first)
            self.assertIn("deployment.apps/web created", first)
            second = self.kubectl("apply", "-f", f.name).stdout
            self.assertIn("configmap/app-config unchanged", second)
            self.assertIn("deployment.apps/web unchanged", second)
        finally:
            os.unlink(f.name)
        dep = self.get_json("deployment", "web", "-n", "team-a")
        self.assertEqual(dep["spec"]["replicas"], 2)
        self.assertEqual(dep["spec"]["strategy"]["type"], "RollingUpdate")
        self.assertEqual(dep["metadata"]["generation"], 1)
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration", dep["metadata"]["annotations"])
        header, rows = table_rows(self.kubectl("get", "deploy", "-n", "team-a").stdout)
        self.assertEqual(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        self.assertEqual(rows[0][:2], ["web", "0/2"])

    def test_05_apply_changed_manifest_patches(self):
        changed = MANIFEST.replace("greeting: hello", "greeting: bonjour").replace("replicas: 2", "replicas: 3")
        out = self.kubectl("apply", "-f", "-", input=changed).stdout
        self.assertIn("configmap/app-config configured", out)
        self.assertIn("deployment.apps/web configured", out)
        self.assertEqual(self.get_json("cm", "app-config", "-n", "team-a")["data"]["greeting"], "bonjour")
        dep = self.get_json("deployment", "web", "-n", "team-a")
        self.assertEqual(dep["spec"]["replicas"], 3)
        self.assertEqual(dep["metadata"]["generation"], 2)

    def test_06_replace_updates_object(self):
        cm = self.get_json("cm", "app-config", "-n", "team-a")
        cm["data"]["extra"] = "value"
        out = self.kubectl("replace", "-f", "-", input=json.dumps(cm)).stdout
        self.assertIn("configmap/app-config replaced", out)
        got = self.get_json("cm", "app-config", "-n", "team-a")
        self.assertEqual(got["data"]["extra"], "value")
        self.assertGreater(int(got["metadata"]["resourceVersion"]), int(cm["metadata"]["resourceVersion"]))

    def test_07_stale_update_conflicts(self):
        cm = self.get_json("cm", "app-config", "-n", "team-a")
        stale = json.loads(json.dumps(cm))
        cm["data"]["v"] = "1"
        self.kubectl("replace", "-f", "-", input=json.dumps(cm))
        stale["data"]["v"] = "2"
        p = self.kubectl("replace", "-f", "-", input=json.dumps(stale), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Operation cannot be fulfilled on configmaps "app-config": the object has been modified; '
                      "please apply your changes to the latest version and try again", p.stderr)
        self.assertEqual(self.get_json("cm", "app-config", "-n", "team-a")["data"]["v"], "1")

    def test_08_label_and_annotate(self):
        self.assertIn("pod/web-0 labeled", self.kubectl("label", "pod", "web-0", "-n", "team-a", "env=prod").stdout)
        self.assertIn("pod/web-0 annotated",
                      self.kubectl("annotate", "pod", "web-0", "-n", "team-a", "owner=team-a").stdout)
        pod = self.get_json("pod", "web-0", "-n", "team-a")
        self.assertEqual(pod["metadata"]["labels"]["env"], "prod")
        self.assertEqual(pod["metadata"]["labels"]["app"], "web")
        self.assertEqual(pod["metadata"]["annotations"]["owner"], "team-a")
        # selectors: label and field
        out = self.kubectl("get", "pods", "-n", "team-a", "-l", "env=prod", "-o", "name").stdout.split()
        self.assertEqual(out, ["pod/web-0"])
        self.assertEqual(self.kubectl("get", "pods", "-n", "team-a", "-l", "env=dev", "-o", "name").stdout.strip(), "")
        out = self.kubectl("get", "pods", "-A", "--field-selector", "metadata.name=web-0", "-o", "name").stdout.split()
        self.assertEqual(out, ["pod/web-0"])
        out = self.kubectl("get", "pods", "-A", "--field-selector", "status.phase=Running", "-o", "name").stdout
        self.assertEqual(out.strip(), "")
        # removing a label
        self.kubectl("label", "pod", "web-0", "-n", "team-a", "env-")
        self.assertNotIn("env", self.get_json("pod", "web-0", "-n", "team-a")["metadata"]["labels"])

    def test_09_watch_receives_concurrent_changes(self):
        w = self.server.kubectl_popen("get", "configmaps", "-n", "team-a", "-w", "--output-watch-events")
        try:
            time.sleep(1.0)  # let the watch establish
            self.kubectl("create", "configmap", "watched", "-n", "team-a", "--from-literal=v=one")
            self.kubectl("patch", "configmap", "watched", "-n", "team-a", "--type=merge", "-p", '{"data":{"v":"two"}}')
            self.kubectl("delete", "configmap", "watched", "-n", "team-a")
            time.sleep(1.0)
        finally:
            w.send_signal(signal.SIGINT)
            out, err = w.communicate(timeout=10)
        header, rows = table_rows(out)
        self.assertEqual(header[:3], ["EVENT", "NAME", "DATA"], out + err)
        events = [r[0] for r in rows if r[1] == "watched"]
        self.assertEqual(events, ["ADDED", "MODIFIED", "DELETED"], out + err)

    def test_10_errors_are_kube_statuses(self):
        p = self.kubectl("get", "pod", "nope", "-n", "team-a", check=False)
        self.assertIn('pods "nope" not found', p.stderr)
        p = self.kubectl("create", "ns", "team-a", check=False)
        self.assertIn('namespaces "team-a" already exists', p.stderr)
        p = self.kubectl("run", "x", "-n", "missing-ns", "--image=busybox", check=False)
        self.assertIn('namespaces "missing-ns" not found', p.stderr)
        p = self.kubectl("create", "configmap", "Bad_Name", "-n", "team-a", check=False)
        self.assertIn("a lowercase RFC 1123 subdomain must consist of", p.stderr)

    def test_11_delete(self):
        self.assertIn('pod "web-0" deleted', self.kubectl("delete", "pod", "web-0", "-n", "team-a").stdout)
        p = self.kubectl("get", "pod", "web-0", "-n", "team-a", check=False)
        self.assertIn('pods "web-0" not found', p.stderr)

    def test_12_list_and_reviews_with_client_side_validation(self):
        """A v1 List and the create-only review kinds are validated by kubectl itself, from the
        protobuf /openapi/v2 (the only form it downloads for that)."""
        lst = ("apiVersion: v1\nkind: List\nitems:\n"
               "- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1, namespace: default}, data: {k: v}}\n"
               "- {apiVersion: v1, kind: ConfigMap, metadata: {name: l2, namespace: default}}\n")
        out = self.kubectl("create", "-f", "-", input=lst).stdout
        self.assertEqual(out.split("\n")[:2], ["configmap/l1 created", "configmap/l2 created"])
        bad = lst.replace("name: l2", "name: l3").replace("name: l1", "name: l4").replace("data: {k: v}",
                                                                                     "dataa: {k: v}")
        p = self.kubectl("create", "-f", "-", input=bad, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('unknown field "dataa"', p.stderr)
        self.assertEqual(self.kubectl("get", "cm", "l3", "-n", "default", check=False).returncode, 1,
                         "nothing of a refused List is created")
        ssar = ("apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\n"
                "spec: {resourceAttributes: {verb: get, resource: pods, namespace: default}}\n")
        review = json.loads(self.kubectl("create", "-f", "-", "-o", "json", input=ssar).stdout)
        self.assertTrue(review["status"]["allowed"])
        code, body = self.server.curl("/openapi/v2", headers=[
            "Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf"])
        self.assertEqual(code, 200)
        self.assertGreater(len(body), 100000)


class RawProtocol(ServerTestCase):
    """What kubectl does not exercise: HTTP/1.1, auth failures, limits."""

    def test_unauthenticated_is_401_status(self):
        code, body = self.server.curl("/api/v1/namespaces", token=False)
        self.assertEqual(code, 401)
        st = json.loads(body)
        self.assertEqual((st["kind"], st["reason"], st["code"]), ("Status", "Unauthorized", 401))
        code, _ = self.server.curl("/api/v1/namespaces", token=False, headers=["Authorization: Bearer wrong"])
        self.assertEqual(code, 401)

    def test_healthz_and_version_are_public(self):
        self.assertEqual(self.server.curl("/healthz", token=False), (200, "ok"))
        code, body = self.server.curl("/version", token=False)
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body)["major"], "1")

    def test_http11_and_http2_serve_the_same_api(self):
        for proto in ("--http1.1", "--http2"):
            code, body = self.server.curl("/api/v1/namespaces/default", http=proto)
            self.assertEqual(code, 200, proto)
            self.assertEqual(json.loads(body)["metadata"]["name"], "default")

    def test_oversized_body_is_413(self):
        big = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"' + b"x" * (4 << 20) + b'"}}'
        for proto in ("--http1.1", "--http2"):
            code, body = self.server.curl("/api/v1/namespaces/default/configmaps", http=proto, method="POST",
                                          data=big, headers=["Content-Type: application/json"])
            self.assertEqual(code, 413, proto)
        self.assertEqual(self.server.curl("/api/v1/namespaces/default/configmaps/big")[0], 404)

    def test_slow_header_client_is_disconnected(self):
        """Slowloris: a header block that never completes is cut off at the header deadline (10 s)."""
        import socket, ssl
        ctx = ssl.create_default_context(cafile=os.path.join(self.server.data_dir, "pki", "ca.crt"))
        ctx.set_alpn_protocols(["http/1.1"])
        raw = socket.create_connection(("127.0.0.1", self.server.port))
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.settimeout(20)
        start = time.time()
        try:
            data = s.recv(1024)
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        elapsed = time.time() - start
        self.assertEqual(data, b"")
        self.assertLess(elapsed, 15)
        self.assertGreater(elapsed, 5)
        s.close()
        # the server is still healthy
        self.assertEqual(self.server.curl("/healthz", token=False), (200, "ok"))

    def test_concurrent_http2_streams_on_one_connection(self):
        import subprocess
        out = subprocess.run(["h2load", "-n", "400", "-c", "1", "-m", "100", "-H",
                              f"Authorization: Bearer {self.server.token()}",
                              self.server.url + "/api/v1/namespaces/default"],
                             capture_output=True, text=True, timeout=60).stdout
        self.assertIn("400 succeeded", out)
        self.assertIn("400 2xx", out)

    def test_large_responses_are_gzipped_when_accepted(self):
        """kube-apiserver's response compression: >= 128 KiB and Accept-Encoding: gzip (Go clients send it)."""
        import gzip
        for i in range(3):
            manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": f"gz-{i}", "namespace": "default"},
                                   "data": {"k": "v" * 60000}})
            self.assertEqual(self.server.curl("/api/v1/namespaces/default/configmaps", method="POST",
                                              data=manifest.encode(),
                                              headers=["Content-Type: application/json"])[0], 201)
        for proto in ("--http1.1", "--http2"):
            cmd = ["curl", "-sS", proto, "--cacert", os.path.join(self.server.data_dir, "pki", "ca.crt"),
                   "-H", f"Authorization: Bearer {self.server.token()}", "-H", "Accept-Encoding: gzip",
                   "-D", "-", "-o", "/dev/stderr", self.server.url + "/api/v1/namespaces/default/configmaps"]
            p = subprocess.run(cmd, capture_output=True, timeout=60)
            headers = p.stdout.decode().lower()
            self.assertIn("content-encoding: gzip", headers, proto)
            listed = json.loads(gzip.decompress(p.stderr))
            self.assertGreaterEqual(len([c for c in listed["items"] if c["metadata"]["name"].startswith("gz-")]), 3)
            # small answers stay identity-encoded; a client without gzip gets plain JSON
            small = subprocess.run(cmd[:-1] + [self.server.url + "/api/v1/namespaces/default"],
                                   capture_output=True, timeout=60)
            self.assertNotIn("content-encoding", small.stdout.decode().lower(), proto)
        code, body = self.server.curl("/api/v1/namespaces/default/configmaps")
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body)["kind"], "ConfigMapList")
        # kubectl (client-go) asks for gzip and decodes it transparently
        self.assertIn("configmap/gz-2", self.kubectl("get", "configmaps", "-n", "default", "-o", "name").stdout)
        self.kubectl("delete", "configmap", "gz-0", "gz-1", "gz-2", "-n", "default")

    def test_malformed_json_is_400(self):
        code, body = self.server.curl("/api/v1/namespaces/default/configmaps", method="POST", data=b"{nope",
                                      headers=["Content-Type: application/json"])
        self.assertEqual(code, 400)
        self.assertEqual(json.loads(body)["reason"], "BadRequest")

    def test_watch_too_old_resource_version_is_410(self):
        code, body = self.server.curl("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1&timeoutSeconds=1")
        # kube answers 200 and an ERROR event carrying a 410 Status when history no longer covers the RV,
        # or streams normally when it does; the store keeps a bounded history so both are legal here.
        self.assertEqual(code, 200)


class IdleConnections(unittest.TestCase):

    def test_silent_http2_and_http11_connections_are_closed_at_idle_timeout(self):
        import socket, ssl
        srv = VkubeServer(extra_args=["--idle-timeout", "2"]).start()
        try:
            for alpn in ("h2", "http/1.1"):
                ctx = ssl.create_default_context(cafile=os.path.join(srv.data_dir, "pki", "ca.crt"))
                ctx.set_alpn_protocols([alpn])
                s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="127.0.0.1")
                self.assertEqual(s.selected_alpn_protocol(), alpn)
                if alpn == "h2":  # client preface + empty SETTINGS, then silence
                    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
                s.settimeout(15)
                start, got = time.time(), b""
                try:
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                except (ConnectionResetError, ssl.SSLError):
                    pass
                elapsed = time.time() - start
                self.assertGreater(elapsed, 1.5, alpn)
                self.assertLess(elapsed, 8, alpn)
                if alpn == "h2":  # walk the server's frames: a GOAWAY (type 7) must be among them
                    types, i = [], 0
                    while i + 9 <= len(got):
                        length = int.from_bytes(got[i:i + 3], "big")
                        types.append(got[i + 3])
                        i += 9 + length
                    self.assertIn(7, types, got)
                s.close()
        finally:
            srv.cleanup()


class Durability(unittest.TestCase):

    def test_restart_keeps_every_object_and_sigterm_is_graceful(self):
        srv = VkubeServer().start()
        try:
            srv.kubectl("create", "ns", "keep")
            for i in range(20):
                srv.kubectl("create", "configmap", f"cm-{i}", "-n", "keep", f"--from-literal=i={i}")
            before = json.loads(srv.kubectl("get", "cm", "-n", "keep", "-o", "json").stdout)
            token_before = srv.token()
            watch = srv.kubectl_popen("get", "cm", "-n", "keep", "-w")
            time.sleep(0.5)
            self.assertEqual(srv.stop(sig=signal.SIGTERM), 0, "".join(srv.log_lines[-20:]))
            watch.wait(timeout=10)  # the open watch was closed by the drain, not left hanging
            srv.start()
            self.assertEqual(srv.token(), token_before, "credentials are reused across restarts")
            after = json.loads(srv.kubectl("get", "cm", "-n", "keep", "-o", "json").stdout)
            strip = lambda l: sorted((i["metadata"]["name"], i["metadata"]["resourceVersion"], i["metadata"]["uid"],
                                      json.dumps(i.get("data"))) for i in l["items"])
            self.assertEqual(strip(before), strip(after))
            # the revision counter continues past the old one
            srv.kubectl("create", "configmap", "after", "-n", "keep")
            rv = int(json.loads(srv.kubectl("get", "cm", "after", "-n", "keep", "-o", "json").stdout)
                     ["metadata"]["resourceVersion"])
            self.assertGreater(rv, max(int(i["metadata"]["resourceVersion"]) for i in before["items"]))
        finally:
            srv.cleanup()

    def test_kill9_loses_no_acknowledged_write(self):
        srv = VkubeServer().start()
        try:
            srv.kubectl("create", "ns", "crash")
            acked = []
            for i in range(30):
                srv.kubectl("create", "configmap", f"c-{i}", "-n", "crash")
                acked.append(f"c-{i}")
            srv.stop(sig=signal.SIGKILL)
            srv.start()
            names = srv.kubectl("get", "cm", "-n", "crash", "-o", "name").stdout.split()
            for n in acked:
                self.assertIn(f"configmap/{n}", names)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    import harness
    harness.main()
