"""CustomResourceDefinitions (apiextensions.k8s.io/v1): real kubectl 1.32 against `vkube serve` over TLS.

What a kube-apiserver 1.32 does with a CRD, seen through kubectl: the CRD is accepted and becomes
Established (its conditions and acceptedNames as the naming/establishing controllers write them),
the new group/versions/resource appear in discovery (api-resources, api-versions, explain from the
published OpenAPI), custom objects are created, defaulted, printed with the CRD's printer columns,
validated against the structural schema with kube's messages, pruned or refused when they carry
unknown fields (fieldValidation Strict/Warn/Ignore), read through every served version, and have
their status and scale subresources; they are watched, belong to the `all` category, go with their
namespace and garbage-collect their dependents. A cluster-scoped CRD works without namespaces, an
invalid CRD is a 422 Invalid, and deleting the CRD deletes its objects and its discovery.

The expected texts come from the 1.32 sources: apiextensions-apiserver (naming/establishing
controllers, CRD validation, custom resource handler/strategy/table convertor/scale), kube-openapi
validation errors, and kubectl's printers and error handling.
"""
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase  # noqa: E402

GROUP = "stable.example.com"
CRD = "crontabs.stable.example.com"
CRON_PATTERN = r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"
CR_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
TABLE_ACCEPT = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io"
AGE_RE = r"^\d+[smh]"


def crontab_schema():
    return {
        "type": "object",
        "description": "CronTab runs an image on a cron schedule.",
        "properties": {
            "spec": {
                "type": "object",
                "description": "CronTabSpec is the desired schedule.",
                "properties": {
                    "cronSpec": {"type": "string", "pattern": CRON_PATTERN,
                                 "description": "The schedule, in cron format."},
                    "image": {"type": "string", "description": "The image to run."},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1,
                                 "description": "How many copies run at once."},
                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                              "description": "Free-form settings, kept as given."},
                },
            },
            "status": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer"},
                    "labelSelector": {"type": "string"},
                },
            },
        },
    }


SUBRESOURCES = {
    "status": {},
    "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
              "labelSelectorPath": ".status.labelSelector"},
}


def crontab_crd():
    """The CronTab CRD of the Kubernetes docs, with two served versions (v1 stored). singular and
    listKind are left out: the server defaults them (crontab, CronTabList)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"], "categories": ["all"]},
            "conversion": {"strategy": "None"},
            "versions": [
                {"name": "v1", "served": True, "storage": True,
                 "schema": {"openAPIV3Schema": crontab_schema()},
                 "subresources": SUBRESOURCES,
                 "additionalPrinterColumns": [
                     {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                     {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                     {"name": "Image", "type": "string", "priority": 1, "jsonPath": ".spec.image",
                      "description": "The image to run."},
                     {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                 ]},
                {"name": "v1beta1", "served": True, "storage": False,
                 "schema": {"openAPIV3Schema": crontab_schema()},
                 "subresources": SUBRESOURCES},
            ],
        },
    }


def crontab(name, ns, version="v1", **spec):
    spec.setdefault("cronSpec", "*/5 * * * *")
    return {"apiVersion": f"{GROUP}/{version}", "kind": "CronTab",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def table_rows(text):
    """Splits `kubectl get` output into a header and rows of cells (columns are 3+ spaces apart)."""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return re.split(r"\s{2,}", lines[0].strip()), [re.split(r"\s{2,}", l.strip()) for l in lines[1:]]


def conditions(obj):
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


class CustomResourceDefinitions(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="vkube-crd-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    # --- helpers -------------------------------------------------------------------------------

    def apply(self, obj, *args, check=True):
        return self.kubectl("apply", "-f", "-", *args, input=json.dumps(obj), check=check)

    def ensure_crd(self):
        """Applies the CronTab CRD (idempotent) and waits for it to be Established, so every test
        also runs on its own."""
        self.apply(crontab_crd())
        self.kubectl("wait", "--for", "condition=established", "--timeout=30s", f"crd/{CRD}")

    def fresh_ns(self, name):
        ns = f"crd-{name}"
        self.kubectl("create", "namespace", ns)
        return ns

    def fresh_cache(self):
        """A discovery/HTTP cache dir of its own: kubectl as a new client sees the server."""
        return "--cache-dir=" + tempfile.mkdtemp(dir=self.tmp)

    def ct(self, name, ns):
        return self.get_json("crontab", name, "-n", ns)

    def api_resource_rows(self, group):
        p = self.kubectl("api-resources", f"--api-group={group}", "--no-headers")
        return [re.split(r"\s{2,}", l.strip()) for l in p.stdout.splitlines() if l.strip()]

    # --- the CRD itself ------------------------------------------------------------------------

    def test_01_crd_is_accepted_and_established(self):
        # The kind itself, as kube-apiserver serves it.
        header, rows = table_rows(self.kubectl("api-resources", "--api-group=apiextensions.k8s.io", "-o", "wide").stdout)
        self.assertEqual(header, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"])
        self.assertEqual(rows, [["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false",
                                 "CustomResourceDefinition", "create,delete,deletecollection,get,list,patch,update,watch",
                                 "api-extensions"]])

        p = self.apply(crontab_crd())
        self.assertIn(f"customresourcedefinition.apiextensions.k8s.io/{CRD} created", p.stdout)
        p = self.kubectl("wait", "--for", "condition=established", "--timeout=30s", f"crd/{CRD}")
        self.assertIn(f"customresourcedefinition.apiextensions.k8s.io/{CRD} condition met", p.stdout)

        crd = self.get_json("crd", CRD)
        self.assertEqual(crd["kind"], "CustomResourceDefinition")
        self.assertEqual(crd["apiVersion"], "apiextensions.k8s.io/v1")
        self.assertEqual(crd["metadata"]["generation"], 1)
        # Defaulted names, and the names the naming controller accepted.
        self.assertEqual(crd["spec"]["names"]["singular"], "crontab")
        self.assertEqual(crd["spec"]["names"]["listKind"], "CronTabList")
        self.assertEqual(crd["spec"]["conversion"]["strategy"], "None")
        self.assertEqual(crd["status"]["acceptedNames"], {
            "plural": "crontabs", "singular": "crontab", "shortNames": ["ct"], "kind": "CronTab",
            "listKind": "CronTabList", "categories": ["all"]})
        self.assertEqual(crd["status"]["storedVersions"], ["v1"])
        conds = conditions(crd)
        self.assertEqual({k: (c["status"], c["reason"], c["message"]) for k, c in conds.items()}, {
            "NamesAccepted": ("True", "NoConflicts", "no conflicts found"),
            "Established": ("True", "InitialNamesAccepted", "the initial names have been accepted")})
        for c in conds.values():
            self.assertRegex(c["lastTransitionTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        # Re-applying the same manifest changes nothing.
        self.assertIn(f"customresourcedefinition.apiextensions.k8s.io/{CRD} unchanged",
                      self.apply(crontab_crd()).stdout)
        # `kubectl get crd`: kube's default table (name, creation time).
        header, rows = table_rows(self.kubectl("get", "crd", CRD).stdout)
        self.assertEqual(header, ["NAME", "CREATED AT"])
        self.assertEqual(rows[0][0], CRD)
        self.assertRegex(rows[0][1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_02_discovery_serves_the_group_versions_and_resource(self):
        self.ensure_crd()
        out = self.kubectl("api-resources", f"--api-group={GROUP}").stdout
        header, rows = table_rows(out)
        self.assertEqual(header, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"])
        self.assertEqual(rows, [["crontabs", "ct", f"{GROUP}/v1", "true", "CronTab"]], out)
        header, rows = table_rows(self.kubectl("api-resources", f"--api-group={GROUP}", "-o", "wide").stdout)
        self.assertEqual(header[-2:], ["VERBS", "CATEGORIES"])
        self.assertEqual(rows[0][-2:], [",".join(CR_VERBS), "all"])
        self.assertIn(f"crontabs.{GROUP}",
                      self.kubectl("api-resources", "--categories=all", "-o", "name").stdout.split())

        versions = self.kubectl("api-versions").stdout.split()
        self.assertIn(f"{GROUP}/v1", versions)
        self.assertIn(f"{GROUP}/v1beta1", versions)

        group = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}").stdout)
        self.assertEqual(group["kind"], "APIGroup")
        self.assertEqual(group["name"], GROUP)
        self.assertEqual(group["versions"], [{"groupVersion": f"{GROUP}/v1", "version": "v1"},
                                             {"groupVersion": f"{GROUP}/v1beta1", "version": "v1beta1"}])
        self.assertEqual(group["preferredVersion"], {"groupVersion": f"{GROUP}/v1", "version": "v1"})

        for version in ("v1", "v1beta1"):
            rl = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}/{version}").stdout)
            self.assertEqual((rl["kind"], rl["groupVersion"]), ("APIResourceList", f"{GROUP}/{version}"))
            res = {r["name"]: r for r in rl["resources"]}
            self.assertEqual(sorted(res), ["crontabs", "crontabs/scale", "crontabs/status"], (version, rl))
            main = res["crontabs"]
            self.assertEqual((main["singularName"], main["namespaced"], main["kind"], main["verbs"],
                              main["shortNames"], main["categories"]),
                             ("crontab", True, "CronTab", CR_VERBS, ["ct"], ["all"]))
            self.assertTrue(main.get("storageVersionHash"), main)
            self.assertEqual((res["crontabs/status"]["kind"], res["crontabs/status"]["verbs"],
                              res["crontabs/status"]["namespaced"]), ("CronTab", ["get", "patch", "update"], True))
            scale = res["crontabs/scale"]
            self.assertEqual((scale.get("group"), scale.get("version"), scale["kind"], scale["verbs"]),
                             ("autoscaling", "v1", "Scale", ["get", "patch", "update"]))

    def test_03_explain_shows_the_published_schema(self):
        self.ensure_crd()
        out = self.kubectl("explain", "crontab.spec").stdout
        self.assertRegex(out, r"(?m)^GROUP:[ \t]+stable\.example\.com$")
        self.assertRegex(out, r"(?m)^KIND:[ \t]+CronTab$")
        self.assertRegex(out, r"(?m)^VERSION:[ \t]+v1$")
        self.assertRegex(out, r"(?m)^FIELD: spec <Object>$")
        self.assertRegex(out, r"(?m)^DESCRIPTION:\n    CronTabSpec is the desired schedule\.$")
        self.assertRegex(out, r"(?m)^  cronSpec[ \t]+<string>\n    The schedule, in cron format\.$")
        self.assertRegex(out, r"(?m)^  extra[ \t]+<Object>\n    Free-form settings, kept as given\.$")
        self.assertRegex(out, r"(?m)^  image[ \t]+<string>\n    The image to run\.$")
        self.assertRegex(out, r"(?m)^  replicas[ \t]+<integer>\n    How many copies run at once\.$")

        out = self.kubectl("explain", "crontab.spec", "--recursive").stdout
        self.assertRegex(out, r"(?m)^FIELDS:\n  cronSpec[ \t]+<string>\n  extra[ \t]+<Object>\n"
                              r"  image[ \t]+<string>\n  replicas[ \t]+<integer>$")

        out = self.kubectl("explain", "crontab", "--recursive").stdout
        self.assertRegex(out, r"(?m)^DESCRIPTION:\n    CronTab runs an image on a cron schedule\.$")
        self.assertRegex(out, r"(?m)^  apiVersion[ \t]+<string>$")
        self.assertRegex(out, r"(?m)^  kind[ \t]+<string>$")
        self.assertRegex(out, r"(?m)^  metadata[ \t]+<ObjectMeta>$")
        self.assertRegex(out, r"(?m)^    name[ \t]+<string>$")  # ObjectMeta's fields, expanded
        self.assertRegex(out, r"(?m)^  spec[ \t]+<Object>\n    cronSpec[ \t]+<string>\n    extra[ \t]+<Object>\n"
                              r"    image[ \t]+<string>\n    replicas[ \t]+<integer>\n"
                              r"  status[ \t]+<Object>\n    labelSelector[ \t]+<string>\n"
                              r"    replicas[ \t]+<integer>$")

        out = self.kubectl("explain", "crontab", f"--api-version={GROUP}/v1beta1").stdout
        self.assertRegex(out, r"(?m)^VERSION:[ \t]+v1beta1$")
        p = self.kubectl("explain", "crontab.spec.nope", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('field "nope" does not exist', p.stderr)

    # --- custom objects ------------------------------------------------------------------------

    def test_04_create_get_and_printer_columns(self):
        self.ensure_crd()
        ns = self.fresh_ns("crud")
        p = self.apply(crontab("nightly", ns, image="cron:1"))
        self.assertIn(f"crontab.{GROUP}/nightly created", p.stdout)

        obj = self.ct("nightly", ns)
        self.assertEqual((obj["apiVersion"], obj["kind"]), (f"{GROUP}/v1", "CronTab"))
        self.assertEqual(obj["spec"], {"cronSpec": "*/5 * * * *", "image": "cron:1", "replicas": 1})  # defaulted
        self.assertEqual(obj["metadata"]["generation"], 1)
        self.assertEqual(obj["metadata"]["namespace"], ns)
        self.assertRegex(obj["metadata"]["uid"], r"^[0-9a-f-]{36}$")
        self.assertTrue(obj["metadata"]["resourceVersion"].isdigit())
        self.assertRegex(obj["metadata"]["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertNotIn("status", obj)

        # The printer columns; Image (priority 1) only with -o wide.
        for res in ("ct", "crontab", "crontabs", f"crontabs.{GROUP}", f"crontabs.v1.{GROUP}"):
            out = self.kubectl("get", res, "-n", ns).stdout
            header, rows = table_rows(out)
            self.assertEqual(header, ["NAME", "SPEC", "REPLICAS", "AGE"], (res, out))
            self.assertEqual(rows[0][:3], ["nightly", "*/5 * * * *", "1"], out)
            self.assertRegex(rows[0][3], AGE_RE)
        out = self.kubectl("get", "ct", "-n", ns, "-o", "wide").stdout
        header, rows = table_rows(out)
        self.assertEqual(header, ["NAME", "SPEC", "REPLICAS", "IMAGE", "AGE"], out)
        self.assertEqual(rows[0][:4], ["nightly", "*/5 * * * *", "1", "cron:1"], out)
        self.assertEqual(self.kubectl("get", "ct", "-n", ns, "-o", "name").stdout.split(), [f"crontab.{GROUP}/nightly"])

        # The server-side Table behind them.
        code, body = self.server.curl(f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs", headers=[TABLE_ACCEPT])
        self.assertEqual(code, 200, body)
        table = json.loads(body)
        self.assertEqual((table["kind"], table["apiVersion"]), ("Table", "meta.k8s.io/v1"))
        self.assertEqual([(c["name"], c["type"], c.get("format", ""), c.get("priority", 0))
                          for c in table["columnDefinitions"]],
                         [("Name", "string", "name", 0), ("Spec", "string", "", 0), ("Replicas", "integer", "", 0),
                          ("Image", "string", "", 1), ("Age", "date", "", 0)])
        descs = [c["description"] for c in table["columnDefinitions"]]
        self.assertEqual(descs[1], "Custom resource definition column (in JSONPath format): .spec.cronSpec")
        self.assertEqual(descs[3], "The image to run.")
        self.assertEqual(len(table["rows"]), 1)
        cells = table["rows"][0]["cells"]
        self.assertEqual(cells[:4], ["nightly", "*/5 * * * *", 1, "cron:1"])
        self.assertRegex(cells[4], AGE_RE)
        self.assertEqual(table["rows"][0]["object"]["metadata"]["name"], "nightly")

        # The list kind.
        lst = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs").stdout)
        self.assertEqual((lst["kind"], lst["apiVersion"]), ("CronTabList", f"{GROUP}/v1"))
        self.assertEqual([(i["kind"], i["metadata"]["name"]) for i in lst["items"]], [("CronTab", "nightly")])
        self.assertTrue(lst["metadata"]["resourceVersion"].isdigit())

        # A missing column value prints <none>.
        self.apply(crontab("bare", ns))
        rows = table_rows(self.kubectl("get", "ct", "bare", "-n", ns, "-o", "wide").stdout)[1]
        # kube's Table has a null cell there, which kubectl prints as nothing
        self.assertEqual(rows[0][:3], ["bare", "*/5 * * * *", "1"])
        self.assertEqual(len(rows[0]), 4, rows)

        p = self.kubectl("delete", "ct", "bare", "-n", ns)
        self.assertIn(f'crontab.{GROUP} "bare" deleted', p.stdout)
        p = self.kubectl("get", "ct", "bare", "-n", ns, check=False)
        self.assertIn(f'Error from server (NotFound): crontabs.{GROUP} "bare" not found', p.stderr)
        p = self.apply(crontab("nightly", ns, image="cron:1"))
        self.assertIn(f"crontab.{GROUP}/nightly unchanged", p.stdout)
        p = self.kubectl("create", "-f", "-", input=json.dumps(crontab("nightly", ns)), check=False)
        self.assertIn(f'Error from server (AlreadyExists): error when creating "STDIN": crontabs.{GROUP} "nightly" '
                      'already exists', p.stderr)

    def test_05_every_served_version_reads_the_same_object(self):
        self.ensure_crd()
        ns = self.fresh_ns("versions")
        self.apply(crontab("both", ns, image="cron:2", replicas=2))
        v1 = self.ct("both", ns)
        beta = self.get_json(f"crontabs.v1beta1.{GROUP}", "both", "-n", ns)
        self.assertEqual(beta["apiVersion"], f"{GROUP}/v1beta1")
        self.assertEqual(beta["kind"], "CronTab")
        self.assertEqual(beta["spec"], v1["spec"])
        self.assertEqual(beta["metadata"]["uid"], v1["metadata"]["uid"])
        self.assertEqual(beta["metadata"]["resourceVersion"], v1["metadata"]["resourceVersion"])
        # v1beta1 has no printer columns: kube's default Name/Age table.
        header, rows = table_rows(self.kubectl("get", f"crontabs.v1beta1.{GROUP}", "-n", ns).stdout)
        self.assertEqual(header, ["NAME", "AGE"])
        self.assertEqual(rows[0][0], "both")
        # Written through v1beta1 (None conversion: only apiVersion differs), stored as v1.
        p = self.apply(crontab("older", ns, version="v1beta1", image="cron:0"))
        self.assertIn(f"crontab.{GROUP}/older created", p.stdout)
        got = self.ct("older", ns)
        self.assertEqual(got["apiVersion"], f"{GROUP}/v1")
        self.assertEqual(got["spec"], {"cronSpec": "*/5 * * * *", "image": "cron:0", "replicas": 1})
        code, body = self.server.curl(f"/apis/{GROUP}/v1beta1/namespaces/{ns}/crontabs")
        self.assertEqual(code, 200, body)
        lst = json.loads(body)
        self.assertEqual((lst["kind"], lst["apiVersion"]), ("CronTabList", f"{GROUP}/v1beta1"))
        self.assertEqual(sorted((i["apiVersion"], i["metadata"]["name"]) for i in lst["items"]),
                         [(f"{GROUP}/v1beta1", "both"), (f"{GROUP}/v1beta1", "older")])
        # A Table with the objects in it (as `kubectl get -o wide` asks for) carries them as served.
        code, body = self.server.curl(f"/apis/{GROUP}/v1beta1/namespaces/{ns}/crontabs?includeObject=Object",
                                      headers=["Accept: application/json;as=Table;v=v1;g=meta.k8s.io"])
        self.assertEqual(code, 200, body)
        self.assertEqual(sorted(r["object"]["apiVersion"] for r in json.loads(body)["rows"]),
                         [f"{GROUP}/v1beta1"] * 2)

    def test_06_generation_follows_spec_changes_only(self):
        self.ensure_crd()
        ns = self.fresh_ns("generation")
        self.apply(crontab("gen", ns, image="cron:1"))
        gen = lambda: self.ct("gen", ns)["metadata"]["generation"]  # noqa: E731
        self.assertEqual(gen(), 1)
        self.kubectl("patch", "ct", "gen", "-n", ns, "--type=merge", "-p", '{"spec":{"image":"cron:2"}}')
        self.assertEqual(gen(), 2)
        self.kubectl("label", "ct", "gen", "-n", ns, "tier=batch")
        self.kubectl("annotate", "ct", "gen", "-n", ns, "note=x")
        self.assertEqual(gen(), 2)
        self.kubectl("patch", "ct", "gen", "-n", ns, "--subresource=status", "--type=merge", "-p",
                     '{"status":{"replicas":1}}')
        obj = self.ct("gen", ns)
        self.assertEqual(obj["status"], {"replicas": 1})
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.kubectl("patch", "ct", "gen", "-n", ns, "--type=merge", "-p", '{"spec":{"replicas":4}}')
        self.assertEqual(gen(), 3)

    def test_07_schema_validation_errors_as_kube(self):
        self.ensure_crd()
        ns = self.fresh_ns("validation")
        cases = [
            (crontab("too-many", ns, replicas=11),
             'The CronTab "too-many" is invalid: spec.replicas: Invalid value: 11: '
             'spec.replicas in body should be less than or equal to 10'),
            (crontab("too-few", ns, replicas=0),
             'The CronTab "too-few" is invalid: spec.replicas: Invalid value: 0: '
             'spec.replicas in body should be greater than or equal to 1'),
            (crontab("wrong-type", ns, replicas="three"),
             'The CronTab "wrong-type" is invalid: spec.replicas: Invalid value: "string": '
             'spec.replicas in body must be of type integer: "string"'),
            (crontab("bad-spec", ns, cronSpec="every minute"),
             'The CronTab "bad-spec" is invalid: spec.cronSpec: Invalid value: "every minute": '
             "spec.cronSpec in body should match '" + CRON_PATTERN + "'"),
        ]
        for obj, message in cases:
            p = self.apply(obj, check=False)
            self.assertNotEqual(p.returncode, 0, obj)
            self.assertIn(message, p.stderr)
        # Two errors at once: kubectl lists them.
        p = self.apply(crontab("both-bad", ns, replicas=11, image=5), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('The CronTab "both-bad" is invalid: \n', p.stderr)
        self.assertIn('* spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"',
                      p.stderr)
        self.assertIn("* spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
                      p.stderr)
        self.assertEqual(self.kubectl("get", "ct", "-n", ns, "-o", "name").stdout.strip(), "")

        # The raw Status: 422 Invalid with one cause per field.
        code, body = self.server.curl(f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs", method="POST",
                                      data=json.dumps(crontab("too-many", ns, replicas=11)).encode(),
                                      headers=["Content-Type: application/json"])
        self.assertEqual(code, 422, body)
        st = json.loads(body)
        self.assertEqual((st["kind"], st["status"], st["reason"], st["code"]), ("Status", "Failure", "Invalid", 422))
        self.assertEqual(st["message"], f'CronTab.{GROUP} "too-many" is invalid: spec.replicas: Invalid value: 11: '
                                        'spec.replicas in body should be less than or equal to 10')
        self.assertEqual(st["details"], {
            "name": "too-many", "group": GROUP, "kind": "CronTab",
            "causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                        "message": "Invalid value: 11: spec.replicas in body should be less than or equal to 10"}]})

        # Updates are validated too.
        self.apply(crontab("ok", ns, replicas=3))
        p = self.kubectl("patch", "ct", "ok", "-n", ns, "--type=merge", "-p", '{"spec":{"replicas":42}}', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('The CronTab "ok" is invalid: spec.replicas: Invalid value: 42: '
                      'spec.replicas in body should be less than or equal to 10', p.stderr)
        self.assertEqual(self.ct("ok", ns)["spec"]["replicas"], 3)

    def test_08_unknown_fields_are_refused_warned_or_pruned(self):
        self.ensure_crd()
        ns = self.fresh_ns("pruning")
        # kubectl's default --validate=strict → fieldValidation=Strict: refused.
        p = self.apply(crontab("strict", ns, bogus="x"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (BadRequest): error when creating "STDIN": CronTab in version "v1" cannot be '
                      'handled as a CronTab: strict decoding error: unknown field "spec.bogus"', p.stderr)
        self.assertEqual(self.kubectl("get", "ct", "strict", "-n", ns, check=False).returncode, 1)

        # --validate=warn → Warn: created with a warning, the field pruned.
        p = self.apply(crontab("warned", ns, bogus="x"), "--validate=warn")
        self.assertIn(f"crontab.{GROUP}/warned created", p.stdout)
        self.assertIn('Warning: unknown field "spec.bogus"', p.stderr)
        self.assertEqual(self.ct("warned", ns)["spec"], {"cronSpec": "*/5 * * * *", "replicas": 1})

        # --validate=false → Ignore: created silently, the field pruned (also at the top level).
        obj = crontab("lenient", ns, bogus="x", replicas=2)
        obj["topLevelBogus"] = {"a": 1}
        p = self.apply(obj, "--validate=false")
        self.assertIn(f"crontab.{GROUP}/lenient created", p.stdout)
        self.assertNotIn("Warning", p.stderr)
        got = self.ct("lenient", ns)
        self.assertEqual(got["spec"], {"cronSpec": "*/5 * * * *", "replicas": 2})
        self.assertNotIn("topLevelBogus", got)
        code, body = self.server.curl(f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs/lenient")
        self.assertEqual(code, 200, body)
        stored = json.loads(body)
        stored["metadata"].pop("annotations", None)  # kubectl's last-applied-configuration has the manifest
        self.assertNotIn("ogus", json.dumps(stored))

        # x-kubernetes-preserve-unknown-fields keeps whatever is below it, even under Strict.
        extra = {"anything": {"nested": [1, "two", {"deep": True}]}, "flag": False, "n": 3}
        p = self.apply(crontab("preserved", ns, extra=extra))
        self.assertIn(f"crontab.{GROUP}/preserved created", p.stdout)
        self.assertEqual(self.ct("preserved", ns)["spec"]["extra"], extra)
        self.kubectl("patch", "ct", "preserved", "-n", ns, "--type=merge", "-p", '{"spec":{"extra":{"more":"yes"}}}')
        self.assertEqual(self.ct("preserved", ns)["spec"]["extra"], {**extra, "more": "yes"})

    # --- subresources --------------------------------------------------------------------------

    def test_09_status_subresource(self):
        self.ensure_crd()
        ns = self.fresh_ns("status")
        obj = crontab("st", ns, image="cron:1")
        obj["status"] = {"replicas": 9}
        self.apply(obj)
        self.assertNotIn("status", self.ct("st", ns))  # create cannot set status

        p = self.kubectl("patch", "ct", "st", "-n", ns, "--subresource=status", "--type=merge", "-p",
                         '{"status":{"replicas":2,"labelSelector":"app=cron"}}')
        self.assertIn(f"crontab.{GROUP}/st patched", p.stdout)
        got = self.ct("st", ns)
        self.assertEqual(got["status"], {"replicas": 2, "labelSelector": "app=cron"})
        rv = got["metadata"]["resourceVersion"]
        self.assertEqual(self.get_json("ct", "st", "-n", ns, "--subresource=status")["status"]["replicas"], 2)

        # The main resource cannot change status: the write is a no-op.
        p = self.kubectl("patch", "ct", "st", "-n", ns, "--type=merge", "-p", '{"status":{"replicas":7}}')
        self.assertIn(f"crontab.{GROUP}/st patched (no change)", p.stdout)
        got = self.ct("st", ns)
        self.assertEqual(got["status"], {"replicas": 2, "labelSelector": "app=cron"})
        self.assertEqual(got["metadata"]["resourceVersion"], rv)
        # ... nor can a full replace.
        got["status"]["replicas"] = 8
        got["spec"]["image"] = "cron:2"
        self.assertIn(f"crontab.{GROUP}/st replaced",
                      self.kubectl("replace", "-f", "-", input=json.dumps(got)).stdout)
        got = self.ct("st", ns)
        self.assertEqual((got["spec"]["image"], got["status"]["replicas"]), ("cron:2", 2))

        # The status subresource cannot change the spec.
        self.kubectl("patch", "ct", "st", "-n", ns, "--subresource=status", "--type=merge", "-p",
                     '{"spec":{"image":"cron:9"},"status":{"replicas":3}}')
        got = self.ct("st", ns)
        self.assertEqual((got["spec"]["image"], got["status"]["replicas"]), ("cron:2", 3))

        # Status is validated against the schema too.
        p = self.kubectl("patch", "ct", "st", "-n", ns, "--subresource=status", "--type=merge", "-p",
                         '{"status":{"replicas":"many"}}', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('The CronTab "st" is invalid: status.replicas: Invalid value: "string": '
                      'status.replicas in body must be of type integer: "string"', p.stderr)

    def test_10_scale_subresource(self):
        self.ensure_crd()
        ns = self.fresh_ns("scale")
        self.apply(crontab("sc", ns, image="cron:1"))
        self.kubectl("patch", "ct", "sc", "-n", ns, "--subresource=status", "--type=merge", "-p",
                     '{"status":{"replicas":2,"labelSelector":"app=cron"}}')
        p = self.kubectl("scale", "ct/sc", "-n", ns, "--replicas=3")
        self.assertIn(f"crontab.{GROUP}/sc scaled", p.stdout)
        cr = self.ct("sc", ns)
        self.assertEqual(cr["spec"]["replicas"], 3)
        self.assertEqual(cr["metadata"]["generation"], 2)
        self.assertEqual(cr["status"]["replicas"], 2)
        self.assertEqual(table_rows(self.kubectl("get", "ct", "sc", "-n", ns).stdout)[1][0][2], "3")

        scale = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs/sc/scale").stdout)
        md = cr["metadata"]
        self.assertEqual(scale, {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": "sc", "namespace": ns, "uid": md["uid"], "resourceVersion": md["resourceVersion"],
                         "creationTimestamp": md["creationTimestamp"]},
            "spec": {"replicas": 3},
            "status": {"replicas": 2, "selector": "app=cron"}})
        # Through v1beta1 as well, and written through the subresource with kubectl patch.
        beta = json.loads(self.kubectl("get", "--raw",
                                       f"/apis/{GROUP}/v1beta1/namespaces/{ns}/crontabs/sc/scale").stdout)
        self.assertEqual((beta["kind"], beta["apiVersion"], beta["spec"]), ("Scale", "autoscaling/v1", {"replicas": 3}))
        p = self.kubectl("patch", "ct", "sc", "-n", ns, "--subresource=scale", "--type=merge", "-p",
                         '{"spec":{"replicas":4}}')
        # kubectl names what the server answered: the Scale
        self.assertRegex(p.stdout, r"^(scale\.autoscaling|crontab\.stable\.example\.com)/sc patched$")
        self.assertEqual(self.ct("sc", ns)["spec"]["replicas"], 4)
        # The schema still bounds the replicas set through /scale.
        p = self.kubectl("scale", "ct/sc", "-n", ns, "--replicas=11", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.replicas in body should be less than or equal to 10", p.stderr)
        self.assertEqual(self.ct("sc", ns)["spec"]["replicas"], 4)

    # --- watch, categories, lifecycle ---------------------------------------------------------

    def test_11_watch_shows_events(self):
        self.ensure_crd()
        ns = self.fresh_ns("watch")
        w = self.server.kubectl_popen("get", "ct", "-n", ns, "-w", "--output-watch-events")
        try:
            time.sleep(1.0)  # let the watch establish
            self.apply(crontab("watched", ns, image="cron:1"))
            self.kubectl("patch", "ct", "watched", "-n", ns, "--type=merge", "-p", '{"spec":{"replicas":2}}')
            self.assertIn(f'crontab.{GROUP} "watched" deleted', self.kubectl("delete", "ct", "watched", "-n", ns).stdout)
            time.sleep(1.0)
        finally:
            w.send_signal(signal.SIGINT)
            out, err = w.communicate(timeout=10)
        header, rows = table_rows(out)
        self.assertEqual(header, ["EVENT", "NAME", "SPEC", "REPLICAS", "AGE"], out + err)
        self.assertEqual([(r[0], r[3]) for r in rows if r[1] == "watched"],
                         [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")], out + err)

        # A raw JSON watch carries the objects with their kind.
        self.apply(crontab("raw", ns))
        rv = self.ct("raw", ns)["metadata"]["resourceVersion"]
        code, body = self.server.curl(f"/apis/{GROUP}/v1/namespaces/{ns}/crontabs?watch=1&timeoutSeconds=1"
                                      f"&fieldSelector=metadata.name%3Draw")
        self.assertEqual(code, 200, body)
        events = [json.loads(l) for l in body.splitlines() if l.strip()]
        self.assertEqual([(e["type"], e["object"]["kind"], e["object"]["metadata"]["resourceVersion"])
                          for e in events], [("ADDED", "CronTab", rv)])

    def test_12_get_all_includes_the_all_category(self):
        self.ensure_crd()
        ns = self.fresh_ns("all")
        self.apply(crontab("member", ns))
        out = self.kubectl("get", "all", "-n", ns, "-o", "name", self.fresh_cache()).stdout.split()
        self.assertEqual(out, [f"crontab.{GROUP}/member"])
        out = self.kubectl("get", "all", "-n", ns, self.fresh_cache()).stdout
        self.assertRegex(out, r"(?m)^(crontab\.stable\.example\.com/)?member +\*/5 \* \* \* \* +1 +\d+[smh]$")

    def test_13_deleting_a_namespace_deletes_its_crontabs(self):
        self.ensure_crd()
        ns = self.fresh_ns("doomed")
        keep = self.fresh_ns("kept")
        for name in ("a", "b"):
            self.apply(crontab(name, ns))
        self.apply(crontab("c", keep))
        p = self.kubectl("delete", "namespace", ns, "--timeout=60s", timeout=90)
        self.assertIn(f'namespace "{ns}" deleted', p.stdout)
        p = self.kubectl("get", "namespace", ns, check=False)
        self.assertIn(f'namespaces "{ns}" not found', p.stderr)
        everywhere = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}/v1/crontabs").stdout)["items"]
        self.assertEqual([i["metadata"]["name"] for i in everywhere if i["metadata"]["namespace"] == ns], [])
        self.assertIn(("c", keep), [(i["metadata"]["name"], i["metadata"]["namespace"]) for i in everywhere])
        # A namespace of the same name starts empty.
        self.kubectl("create", "namespace", ns)
        p = self.kubectl("get", "ct", "-n", ns)
        self.assertEqual(p.stdout.strip(), "")
        self.assertIn(f"No resources found in {ns} namespace.", p.stderr)

    def test_14_owner_references_garbage_collect_dependents(self):
        self.ensure_crd()
        ns = self.fresh_ns("gc")

        def owned_configmap(name, owner, block=False):
            ref = {"apiVersion": f"{GROUP}/v1", "kind": "CronTab", "name": owner["metadata"]["name"],
                   "uid": owner["metadata"]["uid"]}
            if block:
                ref["blockOwnerDeletion"] = True
            return {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": ns, "ownerReferences": [ref]}, "data": {"k": "v"}}

        # Background (kubectl's default): the owner goes, then the collector deletes the dependent.
        self.apply(crontab("owner", ns))
        owner = self.ct("owner", ns)
        self.apply(owned_configmap("dependent", owner))
        self.assertEqual(self.get_json("cm", "dependent", "-n", ns)["metadata"]["ownerReferences"][0]["uid"],
                         owner["metadata"]["uid"])
        self.assertIn(f'crontab.{GROUP} "owner" deleted', self.kubectl("delete", "ct", "owner", "-n", ns).stdout)
        self.wait_for(lambda: self.kubectl("get", "cm", "dependent", "-n", ns, check=False).returncode != 0,
                      timeout=30, what="the ConfigMap owned by the deleted CronTab to be collected")
        p = self.kubectl("get", "cm", "dependent", "-n", ns, check=False)
        self.assertIn('configmaps "dependent" not found', p.stderr)

        # Foreground: the owner waits for its blocking dependent.
        self.apply(crontab("owner2", ns))
        owner2 = self.ct("owner2", ns)
        self.apply(owned_configmap("dependent2", owner2, block=True))
        self.kubectl("delete", "ct", "owner2", "-n", ns, "--cascade=foreground", "--timeout=30s")
        p = self.kubectl("get", "cm", "dependent2", "-n", ns, check=False)
        self.assertIn('configmaps "dependent2" not found', p.stderr)

        # Orphan: the dependent stays, its ownerReference removed.
        self.apply(crontab("owner3", ns))
        self.apply(owned_configmap("dependent3", self.ct("owner3", ns)))
        self.kubectl("delete", "ct", "owner3", "-n", ns, "--cascade=orphan")
        self.wait_for(lambda: "ownerReferences" not in self.get_json("cm", "dependent3", "-n", ns)["metadata"],
                      timeout=30, what="the orphaned ConfigMap to lose its ownerReference")

    # --- other CRDs ----------------------------------------------------------------------------

    def test_15_cluster_scoped_crd(self):
        crd = {
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "gizmos.ops.example.com"},
            "spec": {"group": "ops.example.com", "scope": "Cluster",
                     "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {"type": "object", "properties": {
                             "size": {"type": "integer"}}}}}}}]}}
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/gizmos.ops.example.com created",
                      self.apply(crd).stdout)
        self.kubectl("wait", "--for", "condition=established", "--timeout=30s", "crd/gizmos.ops.example.com")
        self.assertEqual(self.api_resource_rows("ops.example.com"),
                         [["gizmos", "ops.example.com/v1", "false", "Gizmo"]])
        self.assertEqual(self.kubectl("api-resources", "--namespaced=false", "--api-group=ops.example.com",
                                      "-o", "name").stdout.split(), ["gizmos.ops.example.com"])
        rl = json.loads(self.kubectl("get", "--raw", "/apis/ops.example.com/v1").stdout)
        self.assertEqual([(r["name"], r["namespaced"], r["kind"]) for r in rl["resources"]],
                         [("gizmos", False, "Gizmo")])

        gizmo = {"apiVersion": "ops.example.com/v1", "kind": "Gizmo", "metadata": {"name": "g1"}, "spec": {"size": 3}}
        self.assertIn("gizmo.ops.example.com/g1 created", self.apply(gizmo).stdout)
        got = self.get_json("gizmo", "g1")
        self.assertNotIn("namespace", got["metadata"])
        self.assertEqual(got["spec"], {"size": 3})
        self.assertEqual(got["metadata"]["generation"], 1)
        header, rows = table_rows(self.kubectl("get", "gizmos").stdout)
        self.assertEqual(header, ["NAME", "AGE"])
        self.assertEqual([r[0] for r in rows], ["g1"])
        # -n is ignored for a cluster-scoped kind, as for nodes.
        self.assertEqual(self.get_json("gizmo", "g1", "-n", "default")["metadata"]["uid"], got["metadata"]["uid"])
        code, body = self.server.curl("/apis/ops.example.com/v1/gizmos/g1")
        self.assertEqual(code, 200, body)
        self.assertEqual(json.loads(body)["metadata"]["uid"], got["metadata"]["uid"])
        code, _ = self.server.curl("/apis/ops.example.com/v1/namespaces/default/gizmos/g1")
        self.assertEqual(code, 404)
        code, _ = self.server.curl("/apis/ops.example.com/v1/namespaces/default/gizmos")
        self.assertEqual(code, 404)
        # Schema validation applies as for namespaced kinds.
        bad = {"apiVersion": "ops.example.com/v1", "kind": "Gizmo", "metadata": {"name": "g2"}, "spec": {"size": "big"}}
        p = self.apply(bad, check=False)
        self.assertIn('The Gizmo "g2" is invalid: spec.size: Invalid value: "string": '
                      'spec.size in body must be of type integer: "string"', p.stderr)
        self.assertIn('gizmo.ops.example.com "g1" deleted', self.kubectl("delete", "gizmo", "g1").stdout)
        self.assertEqual(json.loads(self.kubectl("get", "--raw", "/apis/ops.example.com/v1/gizmos").stdout)["items"], [])

    def test_16_invalid_crds_are_refused_with_422(self):
        def crd(name, plural, storage=True):
            return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": name},
                    "spec": {"group": GROUP, "scope": "Namespaced",
                             "names": {"plural": plural, "singular": plural[:-1], "kind": "Thing"},
                             "versions": [{"name": "v1", "served": True, "storage": storage,
                                           "schema": {"openAPIV3Schema": {"type": "object"}}}]}}

        # The name must be PLURAL.GROUP.
        p = self.kubectl("create", "-f", "-", input=json.dumps(crd(f"wrongname.{GROUP}", "things")), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f'The CustomResourceDefinition "wrongname.{GROUP}" is invalid: metadata.name: Invalid value: '
                      f'"wrongname.{GROUP}": must be spec.names.plural+"."+spec.group', p.stderr)

        # Exactly one storage version (none here, so nothing to record in status.storedVersions either).
        nostorage = crd(f"nostorages.{GROUP}", "nostorages", storage=False)
        p = self.kubectl("create", "-f", "-", input=json.dumps(nostorage), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f'The CustomResourceDefinition "nostorages.{GROUP}" is invalid: \n* spec.versions: Invalid value: ',
                      p.stderr)
        self.assertRegex(p.stderr, r"(?m)^\* spec\.versions: Invalid value: .*: must have exactly one version marked "
                                   r"as storage version$")
        self.assertIn("* status.storedVersions: Invalid value: []string(nil): must have at least one stored version",
                      p.stderr)

        code, body = self.server.curl("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", method="POST",
                                      data=json.dumps(nostorage).encode(), headers=["Content-Type: application/json"])
        self.assertEqual(code, 422, body)
        st = json.loads(body)
        self.assertEqual((st["kind"], st["status"], st["reason"], st["code"]), ("Status", "Failure", "Invalid", 422))
        self.assertTrue(st["message"].startswith(
            f'CustomResourceDefinition.apiextensions.k8s.io "nostorages.{GROUP}" is invalid: [spec.versions: '),
            st["message"])
        d = st["details"]
        self.assertEqual((d["name"], d["group"], d["kind"]),
                         (f"nostorages.{GROUP}", "apiextensions.k8s.io", "CustomResourceDefinition"))
        self.assertEqual([(c["reason"], c["field"]) for c in d["causes"]],
                         [("FieldValueInvalid", "spec.versions"), ("FieldValueInvalid", "status.storedVersions")])
        self.assertTrue(d["causes"][0]["message"].endswith(": must have exactly one version marked as storage version"))
        self.assertEqual(d["causes"][1]["message"], "Invalid value: []string(nil): must have at least one stored version")

        for name in (f"wrongname.{GROUP}", f"nostorages.{GROUP}"):
            p = self.kubectl("get", "crd", name, check=False)
            self.assertIn(f'customresourcedefinitions.apiextensions.k8s.io "{name}" not found', p.stderr)

    # --- last: the CRD goes ----------------------------------------------------------------

    def test_17_deleting_the_crd_deletes_its_objects_and_its_discovery(self):
        self.ensure_crd()
        ns1, ns2 = self.fresh_ns("final-1"), self.fresh_ns("final-2")
        for name, ns in (("x", ns1), ("y", ns1), ("z", ns2)):
            self.apply(crontab(name, ns))
        p = self.kubectl("delete", "crd", CRD, "--timeout=60s", timeout=90)
        self.assertIn(f'customresourcedefinition.apiextensions.k8s.io "{CRD}" deleted', p.stdout)
        p = self.kubectl("get", "crd", CRD, check=False)
        self.assertIn(f'customresourcedefinitions.apiextensions.k8s.io "{CRD}" not found', p.stderr)

        # Gone from discovery (api-resources also refreshes kubectl's discovery cache).
        self.wait_for(lambda: "crontabs" not in self.kubectl("api-resources", f"--api-group={GROUP}").stdout,
                      timeout=20, what="crontabs to leave discovery")
        self.assertNotIn(f"{GROUP}/v1", self.kubectl("api-versions").stdout.split())
        self.assertNotIn(f"{GROUP}/v1beta1", self.kubectl("api-versions").stdout.split())
        p = self.kubectl("get", "ct", "-n", ns1, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('the server doesn\'t have a resource type "ct"', p.stderr)
        code, _ = self.server.curl(f"/apis/{GROUP}/v1/namespaces/{ns1}/crontabs")
        self.assertEqual(code, 404)
        code, _ = self.server.curl(f"/apis/{GROUP}")
        self.assertEqual(code, 404)

        # Its objects went with it: the same CRD created again serves no CronTabs.
        self.ensure_crd()
        self.assertEqual(self.get_json("ct", "-A")["items"], [])
        lst = json.loads(self.kubectl("get", "--raw", f"/apis/{GROUP}/v1/crontabs").stdout)
        self.assertEqual(lst["items"], [])


if __name__ == "__main__":
    import harness
    harness.main()
