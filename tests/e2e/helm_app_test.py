"""Issue 3 acceptance (Helm): the real Helm 3 binary installs, upgrades, rolls back and uninstalls an
application chart (tests/e2e/charts/demo-app: Deployment, Service, ConfigMap, Secret, ServiceAccount,
Role/RoleBinding, a CRD in crds/ and a custom resource of it) in a tenant of `vkube serve`, with
OpenAPI validation on (Helm's default: it validates every manifest against the server's OpenAPI, or
lets the server validate when /openapi/v3 advertises fieldValidation). Everything Helm did is then
checked with kubectl.

The CRD part runs only when discovery lists apiextensions.k8s.io/v1 CustomResourceDefinition; without
it the rest runs with `--skip-crds --set widget.enabled=false` and the test reports the skip.

Run: python3 tests/e2e/helm_app_test.py --binary build/bin/vkube   (helm: scripts/install-helm.sh)
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHART = os.path.join(HERE, "charts", "demo-app")
HELM = os.environ.get("HELM") or os.path.join(ROOT, ".tools", "bin", "helm")
NS = "demo"
RELEASE = "shop"
CRD = "widgets.demo.vkube.io"
# (kubectl resource, name) of every templated object of the release.
OBJECTS = [("deployment", RELEASE), ("service", RELEASE), ("configmap", f"{RELEASE}-config"),
           ("secret", f"{RELEASE}-secret"), ("serviceaccount", RELEASE), ("role", f"{RELEASE}-reader"),
           ("rolebinding", f"{RELEASE}-reader")]
WIDGET = ("widgets.demo.vkube.io", f"{RELEASE}-widget")


class HelmAppTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A private Helm home: the test never reads or writes the user's Helm config, cache or repos.
        cls.helm_home = tempfile.mkdtemp(prefix="vkube-helm-home-")
        p = cls.server.kubectl("api-resources", "--api-group=apiextensions.k8s.io", "-o", "name", check=False)
        cls.crds_served = "customresourcedefinitions.apiextensions.k8s.io" in p.stdout.split()
        p = cls.server.kubectl("api-resources", "--api-group=authorization.k8s.io", "-o", "name", check=False)
        cls.access_reviews_served = "selfsubjectaccessreviews.authorization.k8s.io" in p.stdout.split()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.helm_home, ignore_errors=True)
        super().tearDownClass()

    def helm(self, *args, check=True, timeout=120):
        env = dict(os.environ, HELM_CACHE_HOME=f"{self.helm_home}/cache", HELM_CONFIG_HOME=f"{self.helm_home}/config",
                   HELM_DATA_HOME=f"{self.helm_home}/data")
        cmd = [HELM, *args, "--kubeconfig", self.server.kubeconfig]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def crd_args(self):
        return [] if self.crds_served else ["--skip-crds", "--set", "widget.enabled=false"]

    def objects(self):
        return OBJECTS + ([WIDGET] if self.crds_served else [])

    def exists(self, kind, name, ns=NS):
        p = self.kubectl("get", kind, name, "-n", ns, "-o", "name", check=False)
        if p.returncode == 0:
            return True
        self.assertIn("NotFound", p.stderr, p.stderr)
        return False

    def deployment_image(self):
        d = self.get_json("deployment", RELEASE, "-n", NS)
        return d["spec"]["template"]["spec"]["containers"][0]["image"]

    def replica_sets(self):
        """{image: ReplicaSet} of the release's Deployment (owner checked, not only labels)."""
        out = {}
        for rs in self.get_json("replicasets", "-n", NS)["items"]:
            owners = rs["metadata"].get("ownerReferences") or []
            if any(o["kind"] == "Deployment" and o["name"] == RELEASE for o in owners):
                out[rs["spec"]["template"]["spec"]["containers"][0]["image"]] = rs
        return out

    def config(self):
        return self.get_json("configmap", f"{RELEASE}-config", "-n", NS)["data"]

    def history(self):
        return [(h["revision"], h["status"], h["description"])
                for h in json.loads(self.helm("history", RELEASE, "-n", NS, "-o", "json").stdout)]

    def wait(self, predicate, what, timeout=30):
        self.wait_for(predicate, timeout=timeout, what=what)

    def test_0_chart_lints_and_renders_every_kind(self):
        out = self.helm("lint", "--strict", CHART).stdout
        self.assertIn("1 chart(s) linted, 0 chart(s) failed", out)
        rendered = self.helm("template", RELEASE, CHART, "-n", NS, "--include-crds").stdout
        kinds = sorted(line.split(": ", 1)[1] for line in rendered.splitlines() if line.startswith("kind: "))
        self.assertEqual(kinds, sorted(["ConfigMap", "CustomResourceDefinition", "Deployment", "Role", "RoleBinding",
                                        "Secret", "Service", "ServiceAccount", "Widget"]))

    def test_1a_unknown_field_is_reported_and_not_stored(self):
        """OpenAPI validation on (no --disable-openapi-validation): a field no schema knows is refused by
        Helm's client-side OpenAPI v2 check, or — when /openapi/v3 advertises fieldValidation, as
        vkube's does — left to the server, which (like kube-apiserver's default Warn) drops it and
        names it in a Warning header that Helm prints."""
        p = self.helm("install", "bad1", CHART, "-n", "validation", "--create-namespace", *self.crd_args(),
                      "--set", "bogusContainerField=x", check=False)
        try:
            # client-go logs a server warning as `warnings.go:70] unknown field "..."` (newer: quoted, \"...\")
            reported = r'unknown field \\?"spec\.template\.spec\.containers\[0\]\.bogusField\\?"'
            self.assertRegex(p.stdout + p.stderr, reported, "neither Helm nor the server reported the unknown field")
            if p.returncode == 0:
                c = self.get_json("deployment", "bad1", "-n", "validation")["spec"]["template"]["spec"]["containers"][0]
                self.assertNotIn("bogusField", c, "the server stored a field its schema does not have")
            else:
                self.assertFalse(self.exists("deployment", "bad1", "validation"))
        finally:
            self.helm("uninstall", "bad1", "-n", "validation", "--wait", check=False)

    def test_1b_wrong_type_is_refused(self):
        """`replicas: two` cannot be decoded into an int32: kube-apiserver answers 400 BadRequest
        (`... cannot be handled as a Deployment: json: cannot unmarshal string ...`), so the install fails."""
        p = self.helm("install", "bad2", CHART, "-n", "validation", "--create-namespace", *self.crd_args(),
                      "--set-string", "replicas=two", check=False)
        try:
            self.assertNotEqual(p.returncode, 0, "a Deployment with spec.replicas: \"two\" was accepted:\n" + p.stdout)
            self.assertIn("replicas", p.stderr)
            self.assertFalse(self.exists("deployment", "bad2", "validation"))
        finally:
            self.helm("uninstall", "bad2", "-n", "validation", "--wait", check=False)

    def test_1c_custom_resource_schema_is_enforced(self):
        """The CRD's structural schema (size minimum 1, colour enum) refuses a bad custom resource."""
        if not self.crds_served:
            self.skipTest("apiextensions.k8s.io/v1 CustomResourceDefinition not served by vkube")
        p = self.helm("install", "bad3", CHART, "-n", "validation", "--create-namespace", "--set", "widget.size=0",
                      "--set", "widget.color=pink", check=False)
        try:
            self.assertNotEqual(p.returncode, 0, p.stdout)
            self.assertIn("spec.size", p.stderr)
            self.assertIn("spec.color", p.stderr)
            self.assertFalse(self.exists("widgets.demo.vkube.io", "bad3-widget", "validation"))
        finally:
            self.helm("uninstall", "bad3", "-n", "validation", "--wait", check=False)

    def test_2_install_upgrade_rollback_uninstall(self):
        t0 = time.time()
        partial = []  # checks left out because the server lacks the API they need
        # --- install (revision 1)
        p = self.helm("install", RELEASE, CHART, "-n", NS, "--create-namespace", *self.crd_args(), check=False)
        self.assertEqual(p.returncode, 0, f"helm install failed:\n{p.stdout}\n{p.stderr}")
        self.assertIn("STATUS: deployed", p.stdout)
        self.assertIn("REVISION: 1", p.stdout)
        for kind, name in self.objects():
            obj = self.get_json(kind, name, "-n", NS)
            self.assertEqual(obj["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm", f"{kind}/{name}")
            self.assertEqual(obj["metadata"]["annotations"]["meta.helm.sh/release-name"], RELEASE, f"{kind}/{name}")
            self.assertEqual(obj["metadata"]["annotations"]["meta.helm.sh/release-namespace"], NS, f"{kind}/{name}")
        self.assertEqual(self.deployment_image(), "nginx:1.27")
        self.assertEqual(self.config(), {"greeting": "hello", "level": "info"})
        secret = self.get_json("secret", f"{RELEASE}-secret", "-n", NS)
        self.assertEqual(base64.b64decode(secret["data"]["password"]).decode(), "s3cr3t")  # stringData folded in
        self.assertNotIn("stringData", secret)
        svc = self.get_json("service", RELEASE, "-n", NS)
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], "http")
        self.assertRegex(svc["spec"].get("clusterIP", ""), r"^\d+\.\d+\.\d+\.\d+$")
        binding = self.get_json("rolebinding", f"{RELEASE}-reader", "-n", NS)
        self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": RELEASE, "namespace": NS}])
        if self.access_reviews_served:  # the Role grants exactly its one ConfigMap to the bound account
            sa = f"--as=system:serviceaccount:{NS}:{RELEASE}"
            for resource, want in [(f"configmap/{RELEASE}-config", "yes"), ("configmap/other", "no"),
                                   (f"secret/{RELEASE}-secret", "no")]:
                can = self.kubectl("auth", "can-i", "get", resource, "-n", NS, sa, check=False)
                self.assertEqual(can.stdout.strip(), want, f"can-i get {resource}: {can.stderr}")
        else:
            partial.append("`kubectl auth can-i` (authorization.k8s.io/v1 SelfSubjectAccessReview not served)")
        self.wait(lambda: "nginx:1.27" in self.replica_sets(), "the Deployment's first ReplicaSet")
        if self.crds_served:
            crd = self.get_json("crd", CRD)
            established = [c for c in crd["status"]["conditions"] if c["type"] == "Established"]
            self.assertEqual(established[0]["status"], "True")
            self.assertNotIn("meta.helm.sh/release-name", crd["metadata"].get("annotations") or {})  # crds/: unmanaged
            # additionalPrinterColumns replace the default Age column (kube adds Age only without them).
            table = self.kubectl("get", "widgets", "-n", NS).stdout
            self.assertRegex(table, r"^NAME\s+SIZE\s+COLOR\n")
            self.assertRegex(table, rf"\n{RELEASE}-widget\s+3\s+blue\n")
            self.assertEqual(self.get_json("wdg", f"{RELEASE}-widget", "-n", NS)["spec"], {"size": 3, "color": "blue"})

        # --- upgrade (revision 2): new image and config; the Deployment rolls to a new ReplicaSet
        p = self.helm("upgrade", RELEASE, CHART, "-n", NS, *self.crd_args(), "--set", "image.tag=1.28",
                      "--set", "config.greeting=bonjour", "--set", "widget.size=5", check=False)
        self.assertEqual(p.returncode, 0, f"helm upgrade failed:\n{p.stdout}\n{p.stderr}")
        self.assertIn("REVISION: 2", p.stdout)
        self.assertEqual(self.deployment_image(), "nginx:1.28")
        self.assertEqual(self.config(), {"greeting": "bonjour", "level": "info"})
        self.wait(lambda: "nginx:1.28" in self.replica_sets(), "a ReplicaSet with the new image")
        sets = self.replica_sets()
        self.assertEqual(set(sets), {"nginx:1.27", "nginx:1.28"})
        self.assertEqual(sets["nginx:1.28"]["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2")
        self.assertNotEqual(sets["nginx:1.27"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"],
                            sets["nginx:1.28"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"])
        if self.crds_served:
            self.assertEqual(self.get_json("widgets", f"{RELEASE}-widget", "-n", NS)["spec"]["size"], 5)

        # --- rollback to revision 1 (creates revision 3 with revision 1's manifest)
        p = self.helm("rollback", RELEASE, "1", "-n", NS, check=False)
        self.assertEqual(p.returncode, 0, f"helm rollback failed:\n{p.stdout}\n{p.stderr}")
        self.assertIn("Rollback was a success", p.stdout)
        self.assertEqual(self.deployment_image(), "nginx:1.27")
        self.assertEqual(self.config(), {"greeting": "hello", "level": "info"})
        # The Deployment's template equals revision 1's again: its ReplicaSet is reused, not duplicated.
        self.wait(lambda: self.replica_sets().get("nginx:1.27", {}).get("metadata", {}).get("annotations", {})
                  .get("deployment.kubernetes.io/revision") == "3", "revision 1's ReplicaSet to become revision 3")
        self.assertEqual(set(self.replica_sets()), {"nginx:1.27", "nginx:1.28"})
        if self.crds_served:
            self.assertEqual(self.get_json("widgets", f"{RELEASE}-widget", "-n", NS)["spec"]["size"], 3)

        # --- history
        self.assertEqual(self.history(), [(1, "superseded", "Install complete"), (2, "superseded", "Upgrade complete"),
                                          (3, "deployed", "Rollback to 1")])
        table = self.helm("history", RELEASE, "-n", NS).stdout
        self.assertRegex(table, r"REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION")
        self.assertRegex(table, r"\n3\s.*deployed\s+demo-app-0\.1\.0\s+1\.27\s+Rollback to 1")
        records = self.kubectl("get", "secrets", "-n", NS, "-l", f"owner=helm,name={RELEASE}", "-o", "name").stdout
        records = records.split()
        self.assertEqual(sorted(records), [f"secret/sh.helm.release.v1.{RELEASE}.v{i}" for i in (1, 2, 3)])

        # --- uninstall: every templated object and the release records go; the CRD stays (crds/ policy)
        p = self.helm("uninstall", RELEASE, "-n", NS, "--wait", "--timeout", "60s", check=False)
        self.assertEqual(p.returncode, 0, f"helm uninstall failed:\n{p.stdout}\n{p.stderr}")
        self.assertIn(f'release "{RELEASE}" uninstalled', p.stdout)
        for kind, name in self.objects():
            self.assertFalse(self.exists(kind, name), f"{kind}/{name} still there after uninstall")
        self.assertEqual(self.kubectl("get", "secrets", "-n", NS, "-l", "owner=helm", "-o", "name").stdout.strip(), "")
        self.assertEqual(json.loads(self.helm("list", "-n", NS, "-o", "json").stdout), [])
        # The Deployment's ReplicaSets are its dependents: the garbage collector removes them.
        self.wait(lambda: not self.replica_sets(), "the ReplicaSets to be garbage-collected")
        if self.crds_served:
            self.assertTrue(self.exists("crd", CRD, NS), "Helm must keep a CRD it installed from crds/")
            p = self.kubectl("get", "widgets", "-n", NS)
            self.assertIn("No resources found", p.stdout + p.stderr)
        print(f"install/upgrade/rollback/history/uninstall: {time.time() - t0:.1f}s", file=sys.stderr)
        if not self.crds_served:
            partial.append("the CRD and its custom resource (apiextensions.k8s.io/v1 CustomResourceDefinition not "
                           "served: installed with --skip-crds --set widget.enabled=false)")
        if partial:
            self.skipTest("everything else passed; left out: " + "; ".join(partial))


if __name__ == "__main__":
    harness.take_binary_arg()
    if not os.access(HELM, os.X_OK):
        sys.exit(f"helm not found at {HELM}: run scripts/install-helm.sh (or set HELM)")
    unittest.main(verbosity=2)
