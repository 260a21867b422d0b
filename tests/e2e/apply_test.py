"""Server-side apply and managedFields: real kubectl 1.32 against `vkube serve` over TLS.

`kubectl apply --server-side` creates and updates, drops fields no longer applied, conflicts with
other managers' fields as kube-apiserver words it, `--force-conflicts` takes them, a second
manager applying the same value shares them, `--dry-run=server` and `kubectl diff --server-side`
persist nothing, and client-side writes are recorded too (`kubectl create` → kubectl-create,
operation Update), shown by `--show-managed-fields` and hidden by default.
"""
import json
import os
import re
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase  # noqa: E402

NS = "apply"


def deployment(replicas=2, image="nginx:1.25", labels=None, min_ready=None, with_replicas=True):
    meta_labels = {"app": "web", **(labels or {})}
    spec = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]},
        },
    }
    if with_replicas:
        spec["replicas"] = replicas
    if min_ready is not None:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS, "labels": meta_labels}, "spec": spec}


class ServerSideApply(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.kubectl("create", "namespace", NS)
        cls.tmp = tempfile.mkdtemp(prefix="vkube-apply-")

    def write(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            if isinstance(obj, str):
                f.write(obj)
            else:
                json.dump(obj, f)
        return path

    def managed(self, *args):
        obj = json.loads(self.kubectl("get", *args, "-n", NS, "-o", "json", "--show-managed-fields").stdout)
        return obj, obj["metadata"].get("managedFields", [])

    @staticmethod
    def entry(entries, manager, operation=None):
        for e in entries:
            if e["manager"] == manager and (operation is None or e["operation"] == operation):
                return e
        return None

    def test_01_apply_creates_with_an_apply_entry(self):
        p = self.kubectl("apply", "--server-side", "-f", self.write("d1.json", deployment()))
        self.assertIn("deployment.apps/web serverside-applied", p.stdout)
        obj, entries = self.managed("deployment", "web")
        e = self.entry(entries, "kubectl", "Apply")
        self.assertIsNotNone(e, entries)
        self.assertEqual(e["apiVersion"], "apps/v1")
        self.assertEqual(e["fieldsType"], "FieldsV1")
        self.assertIn("time", e)
        f = e["fieldsV1"]
        self.assertIn("f:replicas", f["f:spec"])
        self.assertEqual(f["f:spec"]["f:selector"], {})
        containers = f["f:spec"]["f:template"]["f:spec"]["f:containers"]
        self.assertIn('k:{"name":"nginx"}', containers)
        self.assertIn('k:{"containerPort":80,"protocol":"TCP"}', containers['k:{"name":"nginx"}']["f:ports"])
        self.assertEqual(obj["spec"]["replicas"], 2)
        # Hidden by default, like kube's kubectl.
        plain = json.loads(self.kubectl("get", "deployment", "web", "-n", NS, "-o", "json").stdout)
        self.assertNotIn("managedFields", plain["metadata"])
        self.assertNotIn("managedFields", self.kubectl("get", "deployment", "web", "-n", NS, "-o", "yaml").stdout)
        self.assertIn("managedFields:", self.kubectl("get", "deployment", "web", "-n", NS, "-o", "yaml",
                                                     "--show-managed-fields").stdout)

    def test_02_reapply_updates_and_removes_what_is_no_longer_applied(self):
        self.kubectl("apply", "--server-side", "-f",
                     self.write("d2.json", deployment(image="nginx:1.26", labels={"tier": "front"}, min_ready=3)))
        obj, _ = self.managed("deployment", "web")
        self.assertEqual(obj["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26")
        self.assertEqual(obj["metadata"]["labels"]["tier"], "front")
        self.assertEqual(obj["spec"]["minReadySeconds"], 3)
        self.kubectl("apply", "--server-side", "-f", self.write("d3.json", deployment(image="nginx:1.26")))
        obj, entries = self.managed("deployment", "web")
        self.assertNotIn("tier", obj["metadata"]["labels"])
        self.assertNotIn("minReadySeconds", obj["spec"])
        self.assertNotIn("f:tier", self.entry(entries, "kubectl", "Apply")["fieldsV1"]["f:metadata"]["f:labels"])

    def test_03_scale_then_reapply_conflicts_and_force_wins(self):
        self.kubectl("scale", "deployment", "web", "-n", NS, "--replicas=5")
        obj, entries = self.managed("deployment", "web")
        self.assertEqual(obj["spec"]["replicas"], 5)
        scaler = [e for e in entries if e["operation"] == "Update" and "f:replicas" in e["fieldsV1"].get("f:spec", {})]
        self.assertEqual(len(scaler), 1, entries)
        self.assertEqual(scaler[0].get("subresource"), "scale")
        p = self.kubectl("apply", "--server-side", "-f", self.write("d4.json", deployment(image="nginx:1.26")),
                         check=False)
        self.assertNotEqual(p.returncode, 0)
        expected = (f'Apply failed with 1 conflict: conflict with "{scaler[0]["manager"]}" with subresource "scale" '
                    f'using apps/v1: .spec.replicas')
        self.assertIn(expected, p.stderr)
        self.assertEqual(self.get_json("deployment", "web", "-n", NS)["spec"]["replicas"], 5)
        # The raw Status: 409 Conflict with a FieldManagerConflict cause.
        code, body = self.server.curl(
            f"/apis/apps/v1/namespaces/{NS}/deployments/web?fieldManager=kubectl", method="PATCH",
            data=json.dumps(deployment(image="nginx:1.26")).encode(),
            headers=["Content-Type: application/apply-patch+yaml"])
        self.assertEqual(code, 409, body)
        st = json.loads(body)
        self.assertEqual(st["reason"], "Conflict")
        self.assertEqual(st["details"]["causes"], [{
            "reason": "FieldManagerConflict", "message": f'conflict with "{scaler[0]["manager"]}" with subresource '
                                                        f'"scale" using apps/v1', "field": ".spec.replicas"}])
        # --force-conflicts takes the field.
        self.kubectl("apply", "--server-side", "--force-conflicts", "-f", self.write("d5.json", deployment(image="nginx:1.26")))
        obj, entries = self.managed("deployment", "web")
        self.assertEqual(obj["spec"]["replicas"], 2)
        self.assertIn("f:replicas", self.entry(entries, "kubectl", "Apply")["fieldsV1"]["f:spec"])
        left = self.entry(entries, scaler[0]["manager"], "Update")
        self.assertTrue(left is None or "f:replicas" not in left["fieldsV1"].get("f:spec", {}), entries)

    def test_04_second_manager_applying_the_same_value_shares(self):
        self.kubectl("apply", "--server-side", "--field-manager=other", "-f",
                     self.write("d6.json", deployment(image="nginx:1.26")))
        _, entries = self.managed("deployment", "web")
        for m in ("kubectl", "other"):
            e = self.entry(entries, m, "Apply")
            self.assertIsNotNone(e, entries)
            self.assertIn("f:replicas", e["fieldsV1"]["f:spec"])
        # Now neither can change it alone.
        p = self.kubectl("apply", "--server-side", "--field-manager=other", "-f",
                         self.write("d7.json", deployment(replicas=4, image="nginx:1.26")), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas', p.stderr)
        # "other" stops applying: the shared values stay (kubectl still owns them), its entry goes.
        bare = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": NS}}
        self.kubectl("apply", "--server-side", "--field-manager=other", "-f", self.write("d7b.json", bare))
        obj, entries = self.managed("deployment", "web")
        self.assertIsNone(self.entry(entries, "other"), entries)
        self.assertEqual(obj["spec"]["replicas"], 2)
        self.assertEqual(obj["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26")

    def test_05_dry_run_server_and_diff_persist_nothing(self):
        before = self.get_json("deployment", "web", "-n", NS)
        changed = self.write("d8.json", deployment(image="nginx:1.27"))
        p = self.kubectl("apply", "--server-side", "--dry-run=server", "-f", changed)
        self.assertIn("serverside-applied (server dry run)", p.stdout)
        after = self.get_json("deployment", "web", "-n", NS)
        self.assertEqual(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"])
        self.assertEqual(after["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26")
        d = self.kubectl("diff", "--server-side", "-f", changed, check=False)
        self.assertEqual(d.returncode, 1, d.stderr)
        self.assertIn("-      - image: nginx:1.26", d.stdout)
        self.assertIn("+      - image: nginx:1.27", d.stdout)
        same = self.kubectl("diff", "--server-side", "-f", self.write("d9.json", deployment(image="nginx:1.26")),
                            check=False)
        self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
        self.assertEqual(self.get_json("deployment", "web", "-n", NS)["metadata"]["resourceVersion"],
                         before["metadata"]["resourceVersion"])

    def test_06_client_side_writes_are_recorded_as_updates(self):
        self.kubectl("create", "configmap", "plain", "-n", NS, "--from-literal=a=1")
        _, entries = self.managed("configmap", "plain")
        e = self.entry(entries, "kubectl-create")
        self.assertIsNotNone(e, entries)
        self.assertEqual(e["operation"], "Update")
        self.assertEqual(e["fieldsV1"], {"f:data": {".": {}, "f:a": {}}})
        self.kubectl("label", "configmap", "plain", "-n", NS, "x=y")
        _, entries = self.managed("configmap", "plain")
        e = self.entry(entries, "kubectl-label")
        self.assertIsNotNone(e, entries)
        self.assertEqual(e["fieldsV1"], {"f:metadata": {"f:labels": {".": {}, "f:x": {}}}})
        # A request without ?fieldManager is recorded under its User-Agent's product.
        code, body = self.server.curl(f"/api/v1/namespaces/{NS}/configmaps/plain", method="PATCH",
                                      data=b'{"data":{"b":"2"}}',
                                      headers=["Content-Type: application/merge-patch+json",
                                               "User-Agent: my-tool/1.0 (linux)"])
        self.assertEqual(code, 200, body)
        self.assertIsNotNone(self.entry(json.loads(body)["metadata"]["managedFields"], "my-tool", "Update"))

    def test_07_configmap_applied_server_side_from_yaml(self):
        manifest = textwrap.dedent(f"""\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: {NS}
            data:
              mode: "on"
              level: "3"
            """)
        path = self.write("cm.yaml", manifest)
        self.kubectl("apply", "--server-side", "-f", path)
        obj, entries = self.managed("configmap", "settings")
        self.assertEqual(obj["data"], {"mode": "on", "level": "3"})
        self.assertEqual(self.entry(entries, "kubectl", "Apply")["fieldsV1"],
                         {"f:data": {"f:level": {}, "f:mode": {}}})
        # A YAML body straight from curl.
        code, body = self.server.curl(f"/api/v1/namespaces/{NS}/configmaps/raw?fieldManager=curl", method="PATCH",
                                      data=b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\ndata:\n  k: v\n",
                                      headers=["Content-Type: application/apply-patch+yaml"])
        self.assertEqual(code, 201, body)
        self.assertEqual(json.loads(body)["data"], {"k": "v"})

    def test_08_apply_errors_as_kube(self):
        url = f"/api/v1/namespaces/{NS}/configmaps/settings"
        cm = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"}}'
        code, body = self.server.curl(url, method="PATCH", data=cm,
                                      headers=["Content-Type: application/apply-patch+yaml"])
        self.assertEqual(code, 422, body)
        self.assertEqual(json.loads(body)["message"],
                         'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
                         'apply patch')
        code, body = self.server.curl(url + "?fieldManager=x", method="PATCH", data=cm,
                                      headers=["Content-Type: application/apply-patch+cbor"])
        self.assertEqual(code, 415, body)
        self.assertIn("application/apply-patch+yaml", json.loads(body)["message"])
        code, body = self.server.curl(url + "?fieldManager=x&force=true", method="PATCH", data=b'{"data":{}}',
                                      headers=["Content-Type: application/merge-patch+json"])
        self.assertEqual(code, 422, body)
        self.assertIn("force: Forbidden: may not be specified for non-apply patch", json.loads(body)["message"])

    def test_09_custom_resource_applied_server_side(self):
        p = self.kubectl("api-resources", "--api-group=apiextensions.k8s.io", "-o", "name", check=False)
        if "customresourcedefinitions.apiextensions.k8s.io" not in p.stdout.split():
            self.skipTest("CustomResourceDefinitions are not served")
        crd = {
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.demo.vkube.io"},
            "spec": {"group": "demo.vkube.io", "scope": "Namespaced",
                     "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {"type": "object", "properties": {
                             "size": {"type": "integer"}}}}}}}]}}
        self.kubectl("apply", "--server-side", "-f", self.write("crd.json", crd))
        self.wait_for(lambda: "gadgets" in self.kubectl("api-resources", "--api-group=demo.vkube.io", check=False).stdout,
                      timeout=20, what="gadgets served")
        gadget = {"apiVersion": "demo.vkube.io/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": NS},
                  "spec": {"size": 3}}
        self.kubectl("apply", "--server-side", "-f", self.write("g.json", gadget))
        _, entries = self.managed("gadget", "g")
        self.assertEqual(self.entry(entries, "kubectl", "Apply")["fieldsV1"], {"f:spec": {"f:size": {}}})


    def test_10_client_side_then_server_side_then_client_side(self):
        def manifest(replicas, image, labels=None):
            d = deployment(replicas=replicas, image=image, labels=labels)
            d["metadata"]["name"] = "handover"
            return d
        annotation = "kubectl.kubernetes.io/last-applied-configuration"
        self.kubectl("apply", "-f", self.write("h1.json", manifest(2, "nginx:1.25")))
        # The same manifest, changed, moved to --server-side: no conflict with the client-side
        # apply's fields that still hold what it applied (kube's lastAppliedManager).
        v2 = manifest(3, "nginx:1.26", labels={"tier": "front"})
        p = self.kubectl("apply", "--server-side", "-f", self.write("h2.json", v2))
        self.assertIn("deployment.apps/handover serverside-applied", p.stdout)
        obj, entries = self.managed("deployment", "handover")
        self.assertEqual(obj["spec"]["replicas"], 3)
        self.assertEqual(obj["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26")
        self.assertIn("f:replicas", self.entry(entries, "kubectl", "Apply")["fieldsV1"]["f:spec"])
        csa = self.entry(entries, "kubectl-client-side-apply")
        self.assertTrue(csa is None or "f:replicas" not in csa["fieldsV1"].get("f:spec", {}), entries)
        # ... and the annotation now holds what was applied (kube's lastAppliedUpdater) ...
        self.assertEqual(json.loads(obj["metadata"]["annotations"][annotation])["metadata"]["labels"],
                         {"app": "web", "tier": "front"})
        # ... so a client-side apply that drops the label removes it (three-way against it).
        self.kubectl("apply", "-f", self.write("h3.json", manifest(3, "nginx:1.26")))
        obj, _ = self.managed("deployment", "handover")
        self.assertEqual(obj["metadata"]["labels"], {"app": "web"})


    def test_11_apply_on_the_scale_subresource(self):
        d = deployment(replicas=2)
        d["metadata"]["name"] = "scaled"
        self.kubectl("apply", "--server-side", "-f", self.write("s1.json", d))
        url = f"/apis/apps/v1/namespaces/{NS}/deployments/scaled/scale"
        scale = b'{"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":4}}'
        code, body = self.server.curl(url + "?fieldManager=autoscaler", method="PATCH", data=scale,
                                      headers=["Content-Type: application/apply-patch+yaml"])
        self.assertEqual(code, 409, body)
        self.assertEqual(json.loads(body)["message"],
                         'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas')
        code, body = self.server.curl(url + "?fieldManager=autoscaler&force=true", method="PATCH", data=scale,
                                      headers=["Content-Type: application/apply-patch+yaml"])
        self.assertEqual(code, 200, body)
        self.assertEqual((json.loads(body)["kind"], json.loads(body)["spec"]), ("Scale", {"replicas": 4}))
        obj, entries = self.managed("deployment", "scaled")
        self.assertEqual(obj["spec"]["replicas"], 4)
        e = self.entry(entries, "autoscaler", "Apply")
        self.assertEqual((e["subresource"], e["fieldsV1"]), ("scale", {"f:spec": {"f:replicas": {}}}))
        self.assertNotIn("f:replicas", self.entry(entries, "kubectl", "Apply")["fieldsV1"]["f:spec"])


if __name__ == "__main__":
    import harness
    harness.main()
