"""Issue 7 acceptance: the vkube Helm chart with the real Helm 3 binary, against a real `vkube host`.

Offline: `helm lint --strict`, `helm template` for the default and three non-default value sets (and
shared mode), with assertions on the rendered objects: kinds and names, least-privilege RBAC, the
kubeconfig Secret's keys and credentials, only flags the binary accepts unless a pending feature is
switched on (the syncer's flags are parsed by the real binary), security settings.
Against `vkube serve` started as the chart's pod would be: the chart-issued credentials are accepted
by vkube as its own; two releases are two isolated tenants.
Against `vkube host --nodes 2` (a host cluster with simulated nodes, real TLS, free ports):
`kubectl apply --dry-run=server` of every rendered manifest; `helm install` of two releases in two
namespaces (objects, StatefulSet pod Running/Ready on a simulated node), `upgrade` (credentials kept,
pod rolled), `uninstall` (objects and pods gone, data claim kept); `helm test` (hook pod Succeeded)
plus the hook's own script run for real against a vkube serving the release's credentials.

Kinds the server does not serve yet are reported and their part skipped (checked with
`kubectl api-resources` at run time, never hard-coded).

Run: python3 tests/helm/chart_test.py --binary build/bin/vkube   (helm: scripts/install-helm.sh)
"""
import base64
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import signal
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
import yaml  # noqa: E402  (Debian python3-yaml)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHART = os.path.join(ROOT, "charts", "vkube")
HELM = os.environ.get("HELM") or os.path.join(ROOT, ".tools", "bin", "helm")
VALUE_SETS = {
    "default": [],
    "exposed": ["-f", os.path.join(HERE, "values-exposed.yaml")],
    "etcd": ["-f", os.path.join(HERE, "values-etcd.yaml")],
    # The syncer with every option: host nodes followed (a nodes ClusterRole), tenant DNS, rate limit.
    "syncer": ["--set", "syncer.enabled=true", "--set", "syncer.followHostNodes=true",
               "--set", "syncer.hostDNS=10.96.0.10", "--set", "syncer.qps=50", "--set", "syncer.burst=100"],
    # The shared instance (serves tenant requests, SNI base domain) and a tenant joining it.
    "shared-instance": ["--set", "syncer.enabled=true", "--set", "tenantRequests.enabled=true",
                        "--set", "server.baseDomain=tenants.example.com"],
    "shared": ["--set", "mode=shared", "--set", "isolation.networkPolicy.enabled=true",
               "--set", "isolation.resourceQuota.enabled=true", "--set", "isolation.limitRange.enabled=true"],
}
KUBECONFIG_KEYS = {"config", "certificate-authority", "client-certificate", "client-key", "token"}
PKI_FILES = {"ca.crt", "ca.key", "server.crt", "server.key", "admin.crt", "admin.key", "admin.token", "sa.key"}
# The syncer's flags (src/options.cc): rendered only with syncer.enabled, and accepted by the binary.
SYNCER_FLAGS = {"--host-kubeconfig", "--host-namespace", "--host-dns", "--no-host-nodes", "--host-qps",
                "--host-burst", "--pod-api-address"}
# The syncer's needs in its host namespace, as (apiGroup, resource, verb); nothing else may be granted.
# It creates, updates and deletes its host objects (never patches; endpoints: those of selectorless
# Services), lists and watches them (get is the read set's third verb, revealing nothing list does
# not), reads events, and relays logs and the exec/attach/port-forward upgrades (GET for WebSocket,
# POST = create for SPDY).
READ = ["get", "list", "watch"]
EXPECTED_ROLE = {("", r, v) for r in ["pods", "configmaps", "secrets", "persistentvolumeclaims", "services",
                                      "endpoints"] for v in [*READ, "create", "update", "delete"]}
EXPECTED_ROLE |= {("", "events", v) for v in READ}
EXPECTED_ROLE |= {("", "pods/log", "get")}
EXPECTED_ROLE |= {("", r, v) for r in ["pods/exec", "pods/attach", "pods/portforward"] for v in ["get", "create"]}
NODES_READ_ONLY = [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]

HOST_NODES = 2
NODE_NAMES = [f"vkube-node-{i}" for i in range(HOST_NODES)]

_HELM_HOME = tempfile.mkdtemp(prefix="vkube-helm-home-")


def helm(*args, check=True, timeout=180):
    # A private HELM_*_HOME: the test never reads or writes the user's Helm config, cache or repos.
    env = dict(os.environ, HELM_CACHE_HOME=f"{_HELM_HOME}/cache", HELM_CONFIG_HOME=f"{_HELM_HOME}/config",
               HELM_DATA_HOME=f"{_HELM_HOME}/data")
    p = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def render(release="t1", namespace="team-a", values=(), tests=False):
    args = ["template", release, CHART, "--namespace", namespace, *values]
    if not tests:
        args.append("--skip-tests")
    return [d for d in yaml.safe_load_all(helm(*args).stdout) if d]


def find(docs, kind, name=None):
    hits = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    return hits


def one(docs, kind, name=None):
    hits = find(docs, kind, name)
    assert len(hits) == 1, f"want exactly one {kind} {name or ''}, got {len(hits)}"
    return hits[0]


def secret_data(secret):
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def container(docs):
    return one(docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]


def grants(role):
    """(apiGroup, resource, verb) of every rule of a Role or ClusterRole."""
    return {(g, r, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
            for v in rule["verbs"]}


def syncer_args(args):
    return [a for a in args if a.split("=", 1)[0] in SYNCER_FLAGS]


def flag_names(args):
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]


def tls_sans(args):
    return [a.split("=", 1)[1] for a in args if a.startswith("--tls-san=")]


def binary_flags():
    """Every --flag the binary's usage text lists: what `vkube serve` accepts today."""
    p = subprocess.run([harness.BINARY, "--help"], capture_output=True, text=True, timeout=10)
    return set(re.findall(r"--[a-z][a-z0-9-]*", p.stdout + p.stderr))


def curl_status(tmp, server, path, ca_pem, token=None, cert=None):
    """The HTTP status of GET server.url + path with this CA (and token or client certificate)."""
    ca = os.path.join(tmp, f"ca-{server.port}.crt")
    with open(ca, "w") as f:
        f.write(ca_pem)
    cmd = ["curl", "-sS", "--http2", "--cacert", ca, "-o", "/dev/null", "-w", "%{http_code}"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if cert:
        crt, key = os.path.join(tmp, "c.crt"), os.path.join(tmp, "c.key")
        for file, pem in [(crt, cert[0]), (key, cert[1])]:
            with open(file, "w") as f:
                f.write(pem)
        cmd += ["--cert", crt, "--key", key]
    p = subprocess.run([*cmd, server.url + path], capture_output=True, text=True, timeout=30)
    return p.stdout.strip() if p.returncode == 0 else f"curl error {p.returncode}: {p.stderr.strip()}"


def openssl(*args, input=None):
    p = subprocess.run(["openssl", *args], input=input, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {p.stderr}")
    return p.stdout


def cert_sans(pem):
    text = openssl("x509", "-noout", "-ext", "subjectAltName", input=pem)
    return set(re.findall(r"(?:DNS|IP Address):([^,\s]+)", text))


def cert_subject(pem):
    return openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", input=pem).strip()


def verify(ca_pem, cert_pem, tmp):
    ca = os.path.join(tmp, "verify-ca.crt")
    with open(ca, "w") as f:
        f.write(ca_pem)
    return "OK" in openssl("verify", "-CAfile", ca, input=cert_pem)


def pubkey(pem, is_key):
    return openssl("pkey", "-pubout", input=pem) if is_key else openssl("x509", "-noout", "-pubkey", input=pem)


class ChartRenderTest(unittest.TestCase):
    """`helm lint` and `helm template`: what the chart renders, without a server."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vkube-helm-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_lint_strict_every_value_set(self):
        for name, values in VALUE_SETS.items():
            with self.subTest(values=name):
                out = helm("lint", "--strict", CHART, *values).stdout
                self.assertIn("1 chart(s) linted, 0 chart(s) failed", out)

    def test_schema_rejects_bad_values(self):
        cases = {
            "unknown top-level key": (["--set", "replicas=3"], "Additional property replicas is not allowed"),
            "unknown nested key": (["--set", "service.typo=1"], "Additional property typo is not allowed"),
            "bad service type": (["--set", "service.type=ExternalName"], "service.type"),
            "bad mode": (["--set", "mode=both"], "mode"),
            "ingress without host": (["--set", "ingress.enabled=true"], "ingress.host"),
            "etcd without endpoints": (["--set", "store.type=etcd"], "endpoints"),
            "bad log level": (["--set", "server.logLevel=trace"], "server.logLevel"),
            "unknown syncer key": (["--set", "syncer.hostDns=10.0.0.10"], "Additional property hostDns is not allowed"),
            "host DNS not an IP": (["--set", "syncer.hostDNS=dns.example.com"], "syncer.hostDNS"),
            "negative host qps": (["--set", "syncer.qps=-1"], "syncer.qps"),
            "pod API address without port": (["--set", "syncer.podApiAddress=api.example.com"],
                                             "syncer.podApiAddress"),
            "bad host namespace": (["--set", "syncer.hostNamespace=Team_A"], "syncer.hostNamespace"),
        }
        for what, (args, message) in cases.items():
            with self.subTest(what):
                p = helm("template", "x", CHART, *args, check=False)
                self.assertNotEqual(p.returncode, 0, p.stdout[:300])
                self.assertIn(message, p.stderr)

    def test_long_release_name_fails_with_a_clear_message(self):
        p = helm("template", "a" * 53, CHART, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("longer than 52 characters", p.stderr)

    def test_default_objects_kinds_and_names(self):
        docs = render("t1", "team-a")
        kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
        self.assertEqual(kinds, sorted([
            ("ServiceAccount", "t1"), ("Secret", "t1-pki"), ("Secret", "vc-t1"), ("Role", "t1"),
            ("RoleBinding", "t1"), ("Service", "t1"), ("Service", "t1-headless"), ("StatefulSet", "t1")]))
        for d in docs:
            self.assertEqual(d["metadata"]["namespace"], "team-a", d["kind"])
            self.assertEqual(d["metadata"]["labels"]["app.kubernetes.io/instance"], "t1")
        svc = one(docs, "Service", "t1")
        self.assertEqual(svc["spec"]["type"], "ClusterIP")
        self.assertEqual(svc["spec"]["ports"][0]["port"], 443)
        self.assertEqual(one(docs, "Service", "t1-headless")["spec"]["clusterIP"], "None")

    def test_default_statefulset_runs_vkube_serve_safely(self):
        docs = render("t1", "team-a")
        sts = one(docs, "StatefulSet", "t1")
        pod = sts["spec"]["template"]["spec"]
        c = container(docs)
        self.assertEqual(sts["spec"]["replicas"], 1)
        self.assertEqual(sts["spec"]["serviceName"], "t1-headless")
        self.assertEqual(c["image"], "ghcr.io/vkube/vkube:0.1.0")
        self.assertEqual(c["args"][0], "serve")
        # Only flags the binary accepts.
        unknown = set(flag_names(c["args"])) - binary_flags()
        self.assertEqual(unknown, set(), f"flags vkube does not accept: {unknown}")
        self.assertIn("--data-dir=/var/lib/vkube", c["args"])
        self.assertIn("--listen=0.0.0.0:6443", c["args"])
        self.assertEqual(tls_sans(c["args"]), ["t1", "t1.team-a", "t1.team-a.svc", "t1.team-a.svc.cluster.local"])
        # Probes over HTTPS on the health endpoints.
        for probe, path in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz"), ("startupProbe", "/readyz")]:
            self.assertEqual(c[probe]["httpGet"], {"path": path, "port": "https", "scheme": "HTTPS"})
        self.assertEqual(c["resources"]["requests"], {"cpu": "50m", "memory": "64Mi"})
        # Non-root, read-only root file system, no privileges, no host API token by default.
        self.assertEqual(pod["securityContext"]["runAsUser"], 65532)
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
        self.assertEqual(c["securityContext"]["capabilities"]["drop"], ["ALL"])
        self.assertIs(pod["automountServiceAccountToken"], False)
        self.assertIs(one(docs, "ServiceAccount")["automountServiceAccountToken"], False)
        # Embedded store on a claim from the StatefulSet; pki mounted read-only from the chart's Secret.
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        self.assertEqual(claim["metadata"]["name"], "data")
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "5Gi")
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        self.assertEqual(mounts["data"]["mountPath"], "/var/lib/vkube")
        self.assertEqual(mounts["pki"]["mountPath"], "/var/lib/vkube/pki")
        self.assertTrue(mounts["pki"]["readOnly"])
        self.assertEqual(mounts["tmp"]["mountPath"], "/tmp")
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(volumes["pki"]["secret"]["secretName"], "t1-pki")
        self.assertNotIn("data", volumes)

    def test_rbac_is_least_privilege(self):
        for name, values in VALUE_SETS.items():
            with self.subTest(values=name):
                docs = render("t1", "team-a", values)
                host_ns = "tenant-b-workloads" if name == "etcd" else "team-a"  # syncer.hostNamespace
                role = one(docs, "Role", "t1")
                self.assertEqual(role["metadata"]["namespace"], host_ns)
                for rule in role["rules"]:
                    self.assertNotIn("resourceNames", rule)
                self.assertEqual(grants(role), EXPECTED_ROLE)
                binding = one(docs, "RoleBinding", "t1")
                self.assertEqual(binding["metadata"]["namespace"], host_ns)
                self.assertEqual(binding["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                                      "name": "t1"})
                # mode: shared binds the shared instance's account (shared.serviceAccount).
                subject = ("vkube", "vkube-system") if name == "shared" else ("t1", "team-a")
                self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": subject[0],
                                                        "namespace": subject[1]}])
                # No wildcard anywhere, in any Role or ClusterRole.
                for r in find(docs, "Role") + find(docs, "ClusterRole"):
                    for g, res, v in grants(r):
                        self.assertNotIn("*", (g, res, v), r["metadata"]["name"])
                if name == "etcd":
                    # The host namespace is elsewhere and vkube writes vc-t1: secrets in the release
                    # namespace, nothing more.
                    kc = one(docs, "Role", "t1-kubeconfig")
                    self.assertEqual(kc["metadata"]["namespace"], "team-a")
                    self.assertEqual(grants(kc), {("", "secrets", v) for v in ["get", "create", "update"]})
                    self.assertEqual(one(docs, "RoleBinding", "t1-kubeconfig")["subjects"], binding["subjects"])
                else:
                    self.assertEqual(len(find(docs, "Role")), 1)
                cluster = find(docs, "ClusterRole")
                # exposed: rbac.clusterRole.enabled; syncer: syncer.followHostNodes. Nodes, read only.
                if name in ("exposed", "syncer"):
                    (cr,) = cluster
                    self.assertEqual(cr["metadata"]["name"], "vkube-team-a-t1")
                    self.assertEqual(cr["rules"], NODES_READ_ONLY)
                    crb = one(docs, "ClusterRoleBinding")
                    self.assertEqual(crb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                      "name": cr["metadata"]["name"]})
                    self.assertEqual(crb["subjects"], binding["subjects"])
                elif name == "shared-instance":
                    # Finding tenant requests: ConfigMaps, read only (see the shared-instance test).
                    (cr,) = cluster
                    self.assertEqual(grants(cr), {("", "configmaps", v) for v in READ})
                else:
                    self.assertEqual(cluster, [])
                    self.assertEqual(find(docs, "ClusterRoleBinding"), [])

    def test_syncer_enabled_passes_the_syncer_flags_and_mounts_the_token(self):
        docs = render("t1", "team-a", ["--set", "syncer.enabled=true"])
        args = container(docs)["args"]
        # In-cluster credentials, the release namespace, host pods pointed at the tenant Service's
        # in-cluster name and port, host nodes not read (no cluster-wide grant).
        self.assertEqual(syncer_args(args), ["--host-kubeconfig=in-cluster", "--host-namespace=team-a",
                                             "--pod-api-address=t1.team-a.svc:443", "--no-host-nodes"])
        self.assertEqual(one(docs, "Service", "t1")["spec"]["ports"][0]["port"], 443)
        self.assertEqual(set(flag_names(args)) - binary_flags(), set(), "flags vkube does not accept")
        # Host pods verify the tenant CA against that name: it is served and in the certificate.
        self.assertIn("t1.team-a.svc", tls_sans(args))
        self.assertIn("t1.team-a.svc", cert_sans(secret_data(one(docs, "Secret", "t1-pki"))["server.crt"]))
        # The syncer talks to the host API with the ServiceAccount token (automount null = auto).
        self.assertIs(one(docs, "StatefulSet")["spec"]["template"]["spec"]["automountServiceAccountToken"], True)
        self.assertIs(one(docs, "ServiceAccount")["automountServiceAccountToken"], True)
        self.assertEqual(grants(one(docs, "Role", "t1")), EXPECTED_ROLE)
        self.assertEqual(find(docs, "ClusterRole"), [])
        self.assertEqual(find(docs, "ClusterRoleBinding"), [])
        # Off by default: no syncer flag at all.
        self.assertEqual(syncer_args(container(render("t1", "team-a"))["args"]), [])

    def test_syncer_options(self):
        docs = render("t1", "team-a", [*VALUE_SETS["syncer"], "--set", "syncer.hostNamespace=team-a-pods",
                                       "--set", "syncer.hostKubeconfig=/etc/vkube/host/config",
                                       "--set", "service.port=8443"])
        self.assertEqual(syncer_args(container(docs)["args"]), [
            "--host-kubeconfig=/etc/vkube/host/config", "--host-namespace=team-a-pods",
            "--pod-api-address=t1.team-a.svc:8443", "--host-dns=10.96.0.10", "--host-qps=50", "--host-burst=100"])
        # The Role and its binding are where the syncer works; the subject stays the release's account.
        for kind in ["Role", "RoleBinding"]:
            self.assertEqual(one(docs, kind, "t1")["metadata"]["namespace"], "team-a-pods")
        self.assertEqual(one(docs, "RoleBinding", "t1")["subjects"],
                         [{"kind": "ServiceAccount", "name": "t1", "namespace": "team-a"}])
        # followHostNodes: nodes are cluster-scoped, read only; named per namespace and release.
        cr = one(docs, "ClusterRole", "vkube-team-a-t1")
        self.assertEqual(cr["rules"], NODES_READ_ONLY)
        self.assertEqual(one(docs, "ClusterRoleBinding", "vkube-team-a-t1")["roleRef"]["name"], "vkube-team-a-t1")
        other = render("t1", "team-b", VALUE_SETS["syncer"])
        self.assertEqual([d["metadata"]["name"] for d in find(other, "ClusterRole") + find(other, "ClusterRoleBinding")],
                         ["vkube-team-b-t1", "vkube-team-b-t1"])
        # followHostNodes without the syncer grants nothing cluster-wide; a 0 rate limit is passed (no limit).
        docs = render("t1", "team-a", ["--set", "syncer.followHostNodes=true"])
        self.assertEqual(find(docs, "ClusterRole"), [])
        args = container(render("t1", "team-a", ["--set", "syncer.enabled=true", "--set", "syncer.qps=0"]))["args"]
        self.assertIn("--host-qps=0", args)
        self.assertNotIn("--host-burst", flag_names(args))
        self.assertNotIn("--host-dns", flag_names(args))

    def test_syncer_pod_api_address_override_is_served(self):
        docs = render("t1", "team-a", ["--set", "syncer.enabled=true",
                                       "--set", "syncer.podApiAddress=api.t1.example.com:6443"])
        args = container(docs)["args"]
        self.assertIn("--pod-api-address=api.t1.example.com:6443", args)
        self.assertIn("api.t1.example.com", tls_sans(args))
        self.assertIn("api.t1.example.com", cert_sans(secret_data(one(docs, "Secret", "t1-pki"))["server.crt"]))

    def test_syncer_in_cluster_refuses_automount_false(self):
        p = helm("template", "t1", CHART, "--set", "syncer.enabled=true", "--set", "serviceAccount.automount=false",
                 check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("do not set serviceAccount.automount=false", p.stderr)

    def test_syncer_flags_parse_with_the_real_binary(self):
        """`vkube serve` with the chart's syncer arguments gets past flag parsing (exit 2 with usage
        otherwise) and stops at loading the in-cluster host credentials, which do not exist here."""
        for values in (["--set", "syncer.enabled=true"], VALUE_SETS["syncer"], VALUE_SETS["shared-instance"]):
            with self.subTest(values=values):
                args = [a for a in container(render("t1", "team-a", values))["args"]
                        if not a.startswith(("--data-dir", "--listen"))]
                env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
                p = subprocess.run([harness.BINARY, *args, f"--data-dir={self.tmp}/data", "--listen=127.0.0.1:0"],
                                   capture_output=True, text=True, timeout=30, env=env)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn("host: kubeconfig: not in a cluster", p.stdout + p.stderr)

    def test_syncer_network_policy_admits_the_host_namespace(self):
        docs = render("t1", "team-a", ["--set", "syncer.enabled=true", "--set", "syncer.hostNamespace=team-a-pods",
                                       "--set", "isolation.networkPolicy.enabled=true",
                                       "--set", "isolation.networkPolicy.apiIngressFrom[0].podSelector.matchLabels.app=x"])
        peers = one(docs, "NetworkPolicy", "t1-control-plane")["spec"]["ingress"][0]["from"]
        self.assertEqual(peers[-1], {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "team-a-pods"}},
                                     "podSelector": {}})

    def test_kubeconfig_secret_holds_a_working_credential_set(self):
        docs = render("t1", "team-a")
        vc = secret_data(one(docs, "Secret", "vc-t1"))
        self.assertEqual(set(vc), KUBECONFIG_KEYS)
        pki = secret_data(one(docs, "Secret", "t1-pki"))
        self.assertEqual(set(pki), PKI_FILES)
        config = yaml.safe_load(vc["config"])
        (cluster,) = config["clusters"]
        (user,) = config["users"]
        self.assertEqual(cluster["cluster"]["server"], "https://t1.team-a.svc")
        self.assertEqual(base64.b64decode(cluster["cluster"]["certificate-authority-data"]).decode(),
                         vc["certificate-authority"])
        self.assertEqual(user["user"]["token"], vc["token"])
        self.assertEqual(config["current-context"], "vkube-t1")
        # One CA, the one vkube will load, signs both certificates; the key matches the client certificate.
        self.assertEqual(vc["certificate-authority"], pki["ca.crt"])
        self.assertEqual(vc["token"], pki["admin.token"])
        self.assertGreaterEqual(len(vc["token"]), 40)
        self.assertTrue(verify(pki["ca.crt"], vc["client-certificate"], self.tmp))
        self.assertTrue(verify(pki["ca.crt"], pki["server.crt"], self.tmp))
        self.assertEqual(pubkey(vc["client-key"], True), pubkey(vc["client-certificate"], False))
        self.assertIn("CN=kubernetes-admin", cert_subject(vc["client-certificate"]))
        # The serving certificate carries every --tls-san (vkube would re-issue it otherwise) and
        # the names vkube always includes.
        sans = cert_sans(pki["server.crt"])
        self.assertLessEqual(set(tls_sans(container(docs)["args"])), sans)
        self.assertLessEqual({"127.0.0.1", "localhost", "kubernetes", "kubernetes.default.svc"}, sans)

    def test_every_release_gets_its_own_credentials(self):
        a = secret_data(one(render("a", "team-a"), "Secret", "vc-a"))
        b = secret_data(one(render("b", "team-b"), "Secret", "vc-b"))
        for key in ["certificate-authority", "client-certificate", "client-key", "token"]:
            self.assertNotEqual(a[key], b[key], key)

    def test_exposed_value_set(self):
        docs = render("t1", "team-a", VALUE_SETS["exposed"])
        svc = one(docs, "Service", "t1")
        self.assertEqual(svc["spec"]["type"], "LoadBalancer")
        self.assertEqual(svc["spec"]["loadBalancerSourceRanges"], ["203.0.113.0/24"])
        self.assertEqual(svc["spec"]["externalTrafficPolicy"], "Local")
        ing = one(docs, "Ingress", "t1")
        self.assertEqual(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"], "true")
        self.assertEqual(ing["spec"]["ingressClassName"], "nginx")
        (rule,) = ing["spec"]["rules"]
        self.assertEqual(rule["host"], "api.tenant-a.example.com")
        self.assertEqual(rule["http"]["paths"][0]["backend"]["service"], {"name": "t1", "port": {"name": "https"}})
        self.assertNotIn("tls", ing["spec"])  # passthrough: vkube terminates TLS
        args = container(docs)["args"]
        for san in ["api.tenant-a.example.com", "203.0.113.10", "tenant-a.example.com"]:
            self.assertIn(san, tls_sans(args))
        pki = secret_data(one(docs, "Secret", "t1-pki"))
        self.assertLessEqual(set(tls_sans(args)), cert_sans(pki["server.crt"]))
        self.assertEqual(set(flag_names(args)) - binary_flags(), set())
        quota = one(docs, "ResourceQuota", "t1")
        self.assertEqual(quota["spec"]["hard"]["pods"], "50")
        self.assertEqual(quota["spec"]["hard"]["services.nodeports"], "0")
        (limits,) = one(docs, "LimitRange", "t1")["spec"]["limits"]
        self.assertEqual(limits["type"], "Container")
        self.assertEqual(limits["defaultRequest"], {"cpu": "100m", "memory": "128Mi"})
        workloads = one(docs, "NetworkPolicy", "t1-workloads")
        self.assertEqual(workloads["spec"]["podSelector"], {})
        self.assertEqual(workloads["spec"]["policyTypes"], ["Ingress", "Egress"])
        self.assertIn("10.0.0.0/8", workloads["spec"]["egress"][2]["to"][0]["ipBlock"]["except"])
        cp = one(docs, "NetworkPolicy", "t1-control-plane")
        self.assertEqual(cp["spec"]["ingress"][0]["ports"], [{"protocol": "TCP", "port": 6443}])
        self.assertEqual(cp["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"],
                         {"kubernetes.io/metadata.name": "ingress-nginx"})
        self.assertEqual(container(docs)["resources"]["limits"], {"memory": "1Gi"})

    def test_etcd_nodeport_value_set_passes_pending_flags_only_because_enabled(self):
        docs = render("t1", "team-a", VALUE_SETS["etcd"])
        sts = one(docs, "StatefulSet", "t1")
        # Objects are in etcd, but the data directory's credentials and tenant records must survive a
        # restart (else every kubeconfig handed out stops working): a small claim, no emptyDir.
        (claim,) = sts["spec"]["volumeClaimTemplates"]
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "1Gi")
        volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
        self.assertNotIn("data", volumes)
        self.assertEqual(volumes["etcd-tls"]["secret"]["secretName"], "etcd-client")
        self.assertNotIn("pki", volumes)
        svc = one(docs, "Service", "t1")
        self.assertEqual(svc["spec"]["type"], "NodePort")
        self.assertEqual(svc["spec"]["ports"][0]["nodePort"], 30643)
        self.assertEqual(svc["spec"]["ports"][0]["port"], 6443)
        args = container(docs)["args"]
        self.assertIn("--store=etcd", args)
        self.assertIn("--etcd-endpoints=https://etcd-0.etcd.platform.svc:2379,https://etcd-1.etcd.platform.svc:2379",
                      args)
        self.assertIn("--etcd-prefix=/vkube/team-a/t1", args)
        self.assertIn("--kubeconfig-secret=vc-t1", args)
        self.assertIn("--host-namespace=tenant-b-workloads", args)
        self.assertIn("--host-kubeconfig=in-cluster", args)
        self.assertIn("--pod-api-address=t1.team-a.svc:6443", args)  # service.port 6443
        self.assertIn("--no-http2", args)
        # The binary accepts every flag this value set renders (etcd store, vkube-written Secret).
        self.assertEqual(set(flag_names(args)) - binary_flags(), set())
        # vkube fills the Secret: the chart renders no data (an upgrade never overwrites it) and no pki.
        vc = one(docs, "Secret", "vc-t1")
        self.assertNotIn("data", vc)
        self.assertEqual(vc["metadata"]["annotations"]["vkube.dev/filled-by"], "vkube")
        self.assertEqual(find(docs, "Secret", "t1-pki"), [])
        # The pod talks to the host API (syncer, Secret writer), so it mounts its token.
        self.assertIs(sts["spec"]["template"]["spec"]["automountServiceAccountToken"], True)

    def test_shared_mode_renders_only_the_tenant_request_and_rbac(self):
        docs = render("t1", "team-a", ["--set", "mode=shared", "--set", "isolation.networkPolicy.enabled=true"])
        kinds = {d["kind"] for d in docs}
        self.assertEqual(kinds, {"ConfigMap", "Role", "RoleBinding", "Secret", "NetworkPolicy"})
        self.assertEqual(one(docs, "RoleBinding")["subjects"],
                         [{"kind": "ServiceAccount", "name": "vkube", "namespace": "vkube-system"}])
        cm = one(docs, "ConfigMap", "t1-tenant")
        self.assertEqual(cm["metadata"]["labels"]["vkube.dev/tenant-request"], "true")
        self.assertEqual(cm["data"], {"tenant": "t1", "hostNamespace": "team-a", "kubeconfigSecret": "vc-t1"})
        self.assertNotIn("data", one(docs, "Secret", "vc-t1"))
        self.assertEqual([n["metadata"]["name"] for n in find(docs, "NetworkPolicy")], ["t1-workloads"])
        # The tenant's pods reach their API: the shared instance's namespace is an allowed egress.
        egress = one(docs, "NetworkPolicy")["spec"]["egress"]
        self.assertIn({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vkube-system"}}}]},
                      egress)
        # With the instance's base domain the kubeconfig points at the tenant's SNI name.
        cm = one(render("t1", "team-a", ["--set", "mode=shared", "--set", "shared.tenant=shop",
                                         "--set", "shared.baseDomain=tenants.example.com"]), "ConfigMap")
        self.assertEqual(cm["data"]["tenant"], "shop")
        self.assertEqual(cm["data"]["server"], "https://shop.tenants.example.com")
        # What the instance would refuse fails at install instead.
        for values, message in [(["--set", "syncer.hostNamespace=elsewhere"], "leave syncer.hostNamespace empty"),
                                (["--set", "shared.tenant=" + "a" * 41], "shared.tenant: String length must be less"),
                                ([], "longer than 40 characters")]:
            release = "t1" if values else "r" * 41  # the default tenant name is the release name
            p = helm("template", release, CHART, "--namespace", "team-a", "--set", "mode=shared", *values, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(message, p.stderr)

    def test_shared_instance_serves_tenant_requests_with_a_read_only_cluster_grant(self):
        docs = render("vkube", "vkube-system", VALUE_SETS["shared-instance"])
        args = container(docs)["args"]
        self.assertIn("--tenant-requests", args)
        self.assertIn("--base-domain=tenants.example.com", args)
        # Requested tenants' kubeconfigs point at the instance's Service (+ /tenants/NAME).
        self.assertIn("--kubeconfig-server=https://vkube.vkube-system.svc", args)
        # Each tenant's pods reach their own API by its SNI name.
        self.assertIn("--pod-api-address={tenant}.tenants.example.com:443", args)
        self.assertEqual(set(flag_names(args)) - binary_flags(), set(), "flags vkube does not accept")
        # Requests are found cluster-wide: read-only ConfigMaps, nothing else.
        cr = one(docs, "ClusterRole", "vkube-vkube-system-vkube-requests")
        self.assertEqual(grants(cr), {("", "configmaps", v) for v in READ})
        crb = one(docs, "ClusterRoleBinding", "vkube-vkube-system-vkube-requests")
        self.assertEqual(crb["subjects"], [{"kind": "ServiceAccount", "name": "vkube", "namespace": "vkube-system"}])
        # It is what `mode: shared` releases bind by default.
        self.assertEqual(one(render("t1", "team-a", ["--set", "mode=shared"]), "RoleBinding")["subjects"],
                         crb["subjects"])
        p = helm("template", "vkube", CHART, "--set", "tenantRequests.enabled=true", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("tenantRequests.enabled needs syncer.enabled", p.stderr)

    def test_helm_test_hook_checks_the_tenant_api_with_the_token(self):
        docs = render("t1", "team-a", tests=True)
        pod = one(docs, "Pod", "t1-test-connection")
        self.assertEqual(pod["metadata"]["annotations"]["helm.sh/hook"], "test")
        c = pod["spec"]["containers"][0]
        env = {e["name"]: e for e in c["env"]}
        self.assertEqual(env["TOKEN"]["valueFrom"]["secretKeyRef"], {"name": "vc-t1", "key": "token"})
        script = c["args"][0]
        # The server is the one in the Secret's config (in mode: shared the instance chooses it).
        self.assertIn("/vc/config", script)
        self.assertEqual([i["key"] for i in pod["spec"]["volumes"][0]["secret"]["items"]],
                         ["certificate-authority", "config"])
        self.assertIn('"$SERVER/readyz"', script)
        self.assertIn("Authorization: Bearer $TOKEN", script)
        self.assertIn("--cacert /vc/certificate-authority", script)
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])

    def test_notes_tell_how_to_connect(self):
        with open(os.path.join(CHART, "templates", "NOTES.txt")) as f:
            notes = f.read()
        self.assertIn("get secret {{ $secret }}", notes)
        self.assertIn("vkube\\.dev/tenant-status", notes)  # mode: shared: what the instance made of it
        self.assertIn("pod-security.kubernetes.io/enforce", notes)


def dockerfile_instructions(path):
    """[(INSTRUCTION, argument)] of a Dockerfile: continuation lines joined, comments dropped."""
    out, pending = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = pending + line, ""
            word, _, arg = line.strip().partition(" ")
            out.append((word.upper(), arg.strip()))
    return out


class DockerfileTest(unittest.TestCase):
    """The image's Dockerfile is coherent with the build and the chart (no container engine here,
    so it is checked statically): multi-stage, built with the repository's own scripts, a distroless
    runtime of the same Debian release, non-root with the chart's UID, and every path it copies or
    runs matching what the build produces and what vkube and the chart expect."""

    @classmethod
    def setUpClass(cls):
        cls.ins = dockerfile_instructions(os.path.join(ROOT, "Dockerfile"))
        froms = [i for i, (w, _) in enumerate(cls.ins) if w == "FROM"]
        cls.build = cls.ins[froms[0]:froms[1]]
        cls.runtime = cls.ins[froms[-1]:]
        cls.args = dict(a.split("=", 1) for w, a in cls.ins if w == "ARG" and "=" in a)
        cls.froms = [a for w, a in cls.ins if w == "FROM"]
        with open(os.path.join(CHART, "values.yaml")) as f:
            cls.values = yaml.safe_load(f)

    def run_lines(self, stage):
        return " && ".join(a for w, a in stage if w == "RUN")

    def test_multi_stage_debian12_build_and_distroless_runtime(self):
        self.assertEqual(len(self.froms), 2, self.froms)
        self.assertEqual(self.froms[0], "${BUILD_IMAGE} AS build")
        self.assertEqual(self.froms[1], "${RUNTIME_IMAGE}")
        self.assertEqual(self.args["BUILD_IMAGE"], "debian:12")  # what scripts/install-deps.sh targets
        runtime = self.args["RUNTIME_IMAGE"]
        self.assertRegex(runtime, r"^gcr\.io/distroless/cc-debian12(:nonroot)?(@sha256:[0-9a-f]{64})?$")
        # Nothing runs in the runtime stage (a distroless image has no shell); it only copies from the build.
        self.assertEqual({w for w, _ in self.runtime[1:]}, {"COPY", "USER", "EXPOSE", "VOLUME", "ENTRYPOINT", "CMD"})
        for w, a in self.runtime:
            if w == "COPY":
                self.assertIn("--from=build", a)

    def test_runs_as_the_charts_non_root_user(self):
        users = [a for w, a in self.runtime if w == "USER"]
        self.assertEqual(len(users), 1)
        uid, gid = (int(x) for x in users[0].split(":"))
        self.assertNotEqual(uid, 0)
        self.assertNotEqual(gid, 0)
        self.assertEqual((uid, gid), (self.values["podSecurityContext"]["runAsUser"],
                                      self.values["podSecurityContext"]["runAsGroup"]))
        self.assertEqual(self.values["podSecurityContext"]["fsGroup"], gid)
        # The data directory (and the VOLUME initialised from it) belongs to that user.
        data = [a for w, a in self.runtime if w == "COPY" and a.endswith(" /var/lib/vkube/")]
        self.assertEqual(len(data), 1, "the runtime stage must create /var/lib/vkube for the runtime user")
        self.assertIn(f"--chown={uid}:{gid}", data[0])

    def test_built_with_the_repository_scripts_and_copies_what_the_build_makes(self):
        run = self.run_lines(self.build)
        for script in ["scripts/install-deps.sh", "scripts/build.sh"]:
            self.assertIn(script, run)
            self.assertTrue(os.access(os.path.join(ROOT, script), os.X_OK), script)
        with open(os.path.join(ROOT, "scripts", "build.sh")) as f:
            build_sh = f.read()
        self.assertIn("BUILD_DIR=${BUILD_DIR:-build}", build_sh)
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            self.assertIn("set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)", f.read())
        # build/bin/vkube, where build.sh puts it, is what gets stripped into the runtime tree.
        self.assertIn("objcopy --strip-debug build/bin/vkube /out/usr/local/bin/vkube", run)
        self.assertIn("ldd build/bin/vkube", run)
        entry = json.loads([a for w, a in self.runtime if w == "ENTRYPOINT"][0])
        self.assertEqual(entry, ["/usr/local/bin/vkube"])
        # The OpenAPI data vkube reads by default is copied to that very path.
        with open(os.path.join(ROOT, "src", "options.h")) as f:
            default_schema = re.search(r'openapi_schema = "([^"]+)"', f.read()).group(1)
        self.assertIn(f"cp {default_schema} ", run.replace("\\", "").replace("  ", " "))
        self.assertIn(os.path.dirname(default_schema), run)

    def test_context_copies_exist_and_host_build_trees_stay_out(self):
        with open(os.path.join(ROOT, ".dockerignore")) as f:
            ignored = {ln.strip() for ln in f if ln.strip() and not ln.startswith("#")}
        # A host build tree (its CMakeCache.txt names the host path) must not reach `scripts/build.sh`.
        self.assertLessEqual({".git", ".tools", "build", "build-*"}, ignored)
        for w, a in self.build:
            if w != "COPY" or "--from" in a:
                continue
            *sources, _ = a.split()
            for src in sources:
                if src != ".":
                    self.assertTrue(os.path.exists(os.path.join(ROOT, src)), src)
                    self.assertNotIn(src, ignored)

    def test_entrypoint_cmd_and_ports_match_the_chart(self):
        docs = render("t1", "team-a")
        c = container(docs)
        self.assertNotIn("command", c)  # the chart relies on the image's ENTRYPOINT
        self.assertEqual(c["args"][0], "serve")
        cmd = json.loads([a for w, a in self.runtime if w == "CMD"][0])
        self.assertEqual(cmd[0], "serve")
        self.assertIn("--data-dir=/var/lib/vkube", cmd)
        self.assertIn("--data-dir=/var/lib/vkube", c["args"])
        self.assertEqual(json.loads([a for w, a in self.runtime if w == "VOLUME"][0]), ["/var/lib/vkube"])
        port = self.values["server"]["port"]
        self.assertEqual([a for w, a in self.runtime if w == "EXPOSE"], [str(port)])
        self.assertIn(f"--listen=0.0.0.0:{port}", cmd)
        self.assertEqual(self.values["image"]["repository"], "ghcr.io/vkube/vkube")


def served_kinds(server):
    """(apiVersion, kind) pairs the server's discovery lists right now."""
    p = server.kubectl("api-resources", "--no-headers", check=False)
    out = set()
    for line in p.stdout.splitlines():
        cols = line.split()
        if len(cols) >= 4:
            out.add((cols[-3], cols[-1]))
    return out


def unserved(docs, served):
    return sorted({f"{d['apiVersion']}/{d['kind']}" for d in docs if (d["apiVersion"], d["kind"]) not in served})


def write_pki(data_dir, pki):
    d = os.path.join(data_dir, "pki")
    os.makedirs(d, mode=0o700)
    for name, content in pki.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(content)
        os.chmod(os.path.join(d, name), 0o400)
    os.chmod(d, 0o500)  # as in the pod: a read-only secret volume


def pki_snapshot(data_dir):
    d = os.path.join(data_dir, "pki")
    out = {}
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            out[n] = hashlib.sha256(f.read()).hexdigest()
    return out


def chart_server(release, namespace, values=()):
    """A vkube started exactly as the chart's pod would be: the chart's pki and --tls-san flags."""
    docs = render(release, namespace, values)
    data_dir = tempfile.mkdtemp(prefix=f"vkube-helm-{release}-")
    write_pki(data_dir, secret_data(one(docs, "Secret", f"{release}-pki")))
    args = [a for a in container(docs)["args"][1:] if not a.startswith(("--data-dir", "--listen"))]
    return harness.VkubeServer(data_dir=data_dir, extra_args=args), docs


class ChartCredentialsWithVkubeTest(unittest.TestCase):
    """The chart's credentials work with today's `vkube serve`, and two releases are two tenants."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vkube-helm-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            pki = os.path.join(s.data_dir, "pki")
            if os.path.isdir(pki):
                os.chmod(pki, 0o700)  # lets cleanup remove it when not running as root
            s.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, release, namespace, values=()):
        server, docs = chart_server(release, namespace, values)
        before = pki_snapshot(server.data_dir)
        self.servers.append(server)
        server.start()
        return server, docs, before

    def curl(self, server, path, ca_pem, token=None, cert=None):
        return curl_status(self.tmp, server, path, ca_pem, token, cert)

    def test_vkube_serves_with_the_chart_issued_pki_and_writes_nothing_there(self):
        server, docs, before = self.start("t1", "team-a", VALUE_SETS["exposed"])
        vc = secret_data(one(docs, "Secret", "vc-t1"))
        pki = secret_data(one(docs, "Secret", "t1-pki"))
        # The certificate vkube presents is the chart's, so clients trust the Secret's CA.
        served = ssl.get_server_certificate(("127.0.0.1", server.port))
        self.assertEqual(served.strip(), pki["server.crt"].strip())
        self.assertEqual(self.curl(server, "/api/v1/namespaces", vc["certificate-authority"], token=vc["token"]), "200")
        self.assertEqual(self.curl(server, "/api/v1/namespaces", vc["certificate-authority"],
                                   cert=(vc["client-certificate"], vc["client-key"])), "200")
        self.assertEqual(self.curl(server, "/api/v1/namespaces", vc["certificate-authority"], token="wrong"), "401")
        # The Secret's kubeconfig works as is once pointed at the address (the Service name in a cluster).
        config = yaml.safe_load(vc["config"])
        config["clusters"][0]["cluster"]["server"] = server.url
        kc = os.path.join(self.tmp, "tenant.kubeconfig")
        with open(kc, "w") as f:
            yaml.safe_dump(config, f)
        p = subprocess.run([harness.KUBECTL, "--kubeconfig", kc, "get", "ns", "default", "-o", "name"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stdout.strip(), "namespace/default", p.stderr)
        # Nothing was re-issued or added: the pod's read-only pki volume would have refused it.
        self.assertEqual(pki_snapshot(server.data_dir), before)

    def test_two_releases_are_two_isolated_tenants(self):
        a, docs_a, _ = self.start("alpha", "team-a")
        b, docs_b, _ = self.start("beta", "team-b")
        va = secret_data(one(docs_a, "Secret", "vc-alpha"))
        vb = secret_data(one(docs_b, "Secret", "vc-beta"))
        self.assertEqual(self.curl(a, "/api/v1/namespaces", va["certificate-authority"], token=va["token"]), "200")
        self.assertEqual(self.curl(b, "/api/v1/namespaces", vb["certificate-authority"], token=vb["token"]), "200")
        # A's token at B: 401. A's client certificate at B: refused (like kube-apiserver, the TLS
        # handshake already rejects a certificate from an unknown CA, else 401). A's CA does not trust B.
        self.assertEqual(self.curl(b, "/api/v1/namespaces", vb["certificate-authority"], token=va["token"]), "401")
        refused = self.curl(b, "/api/v1/namespaces", vb["certificate-authority"],
                            cert=(va["client-certificate"], va["client-key"]))
        self.assertTrue(refused == "401" or refused.startswith("curl error"), refused)
        self.assertIn("curl error", self.curl(b, "/readyz", va["certificate-authority"]))
        # Objects of one tenant are invisible to the other.
        a.kubectl("create", "configmap", "only-in-alpha", "-n", "default")
        self.assertEqual(b.kubectl("get", "configmap", "only-in-alpha", "-n", "default", check=False).returncode, 1)


class HostServer(harness.VkubeServer):
    """`vkube host --nodes 2`: a local host cluster (real TLS, a free port) whose simulated nodes
    schedule and run pods; same data dir layout, admin kubeconfig and ready line as `vkube serve`."""

    def start(self, timeout=30):
        assert harness.BINARY, "VKUBE_BINARY must point at build/bin/vkube"
        self._ready.clear()
        self.log_lines = []
        self.proc = subprocess.Popen(
            [harness.BINARY, "host", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", "--nodes", str(HOST_NODES),
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.time() + timeout
        while not self._ready.wait(0.1):
            if self.proc.poll() is not None or time.time() > deadline:
                out = "".join(self.log_lines)
                self.stop(sig=signal.SIGKILL)
                raise AssertionError("vkube host did not become ready:\n" + out[-5000:])
        return self


class ChartOnHostTest(unittest.TestCase):
    """Rendered manifests and real Helm releases against `vkube host --nodes 2`: the chart's
    StatefulSet pod is scheduled and Running/Ready on a simulated node, `helm test` runs its hook pod."""

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = HostServer().start()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vkube-helm-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kubectl(self, *args, **kw):
        return self.server.kubectl(*args, **kw)

    def get_json(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def wait_for(self, predicate, timeout=30, what="condition", detail=None):
        harness.wait_for(self, predicate, timeout, f"{what} ({timeout}s)", detail)

    def helm(self, *args, check=True, timeout=180):
        return helm(*args, "--kubeconfig", self.server.kubeconfig, check=check, timeout=timeout)

    def ensure_namespace(self, ns):
        if self.kubectl("get", "namespace", ns, check=False).returncode != 0:
            self.kubectl("create", "namespace", ns)

    def pod(self, name, ns):
        p = self.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def running_ready(self, name, ns):
        pod = self.pod(name, ns)
        if not pod or pod["status"].get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
            return False
        return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))

    def assert_pod_runs_on_a_node(self, name, ns):
        self.wait_for(lambda: self.running_ready(name, ns), what=f"pod {ns}/{name} Running and Ready")
        pod = self.pod(name, ns)
        self.assertIn(pod["spec"]["nodeName"], NODE_NAMES)
        self.assertRegex(pod["status"]["podIP"], r"^10\.244\.\d+\.\d+$")
        (status,) = pod["status"]["containerStatuses"]
        self.assertEqual((status["name"], status["ready"]), ("vkube", True))
        self.assertIn("running", status["state"])
        return pod

    def test_host_has_the_simulated_nodes(self):
        nodes = self.get_json("nodes")["items"]
        self.assertEqual(sorted(n["metadata"]["name"] for n in nodes), NODE_NAMES)

    def test_dry_run_server_apply_of_every_value_set(self):
        served = served_kinds(self.server)
        self.assertIn(("apps/v1", "StatefulSet"), served, "discovery lists no StatefulSet: is the server sane?")
        skipped = {}
        for name, values in VALUE_SETS.items():
            with self.subTest(values=name):
                ns = f"dry-{name}"
                docs = render("t1", ns, values, tests=True)  # the helm test hook Pod is validated too
                for n in {ns} | {d["metadata"].get("namespace") for d in docs} - {None}:
                    self.ensure_namespace(n)  # and syncer.hostNamespace (etcd), where the Role goes
                missing = unserved(docs, served)
                if missing:
                    skipped[name] = missing
                applicable = [d for d in docs if (d["apiVersion"], d["kind"]) in served]
                path = os.path.join(self.tmp, f"{name}.yaml")
                with open(path, "w") as f:
                    yaml.safe_dump_all(applicable, f)
                p = self.kubectl("apply", "--dry-run=server", "-f", path, check=False)
                self.assertEqual(p.returncode, 0, f"server dry-run apply of {name} failed:\n{p.stdout}\n{p.stderr}")
                lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
                self.assertEqual(len(lines), len(applicable), p.stdout)
                for ln in lines:
                    self.assertRegex(ln, r" (created|configured|unchanged) \(server dry run\)$")
                # Dry run: nothing was stored, and no pod was scheduled.
                stored = self.kubectl("get", "statefulsets,services,pods", "-n", ns, "-o", "name").stdout
                self.assertEqual(stored.strip(), "")
                for cr in find(applicable, "ClusterRole"):  # nodes (syncer), configmaps (shared-instance)
                    p = self.kubectl("get", "clusterrole", cr["metadata"]["name"], check=False)
                    self.assertIn("NotFound", p.stderr)
        if skipped:
            self.skipTest("applied every served kind; not served by vkube yet (part skipped): " +
                          "; ".join(f"{k}: {', '.join(v)}" for k, v in skipped.items()))

    def assert_release_objects(self, release, ns, present, kinds):
        for kind, name in kinds:
            p = self.kubectl("get", kind, name, "-n", ns, "-o", "json", check=False)
            if present:
                self.assertEqual(p.returncode, 0, f"{kind}/{name} missing in {ns}: {p.stderr}")
                obj = json.loads(p.stdout)
                self.assertEqual(obj["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm")
                self.assertEqual(obj["metadata"]["annotations"]["meta.helm.sh/release-name"], release)
            else:
                self.assertNotEqual(p.returncode, 0, f"{kind}/{name} still in {ns} after uninstall")
                self.assertIn("NotFound", p.stderr)

    def test_helm_install_upgrade_uninstall_two_tenants(self):
        served = served_kinds(self.server)
        docs = render("t1", "team-h")
        missing = unserved(docs, served)
        extra = []
        if any(k.endswith(("/Role", "/RoleBinding")) for k in missing):
            extra = ["--set", "rbac.create=false"]  # installs everything else; the RBAC part is reported below
        still_missing = unserved(render("t1", "team-h", extra), served)
        if still_missing:
            self.skipTest(f"vkube does not serve {', '.join(still_missing)} yet: helm install part skipped")
        kinds = [("serviceaccount", "{r}"), ("secret", "{r}-pki"), ("secret", "vc-{r}"), ("service", "{r}"),
                 ("service", "{r}-headless"), ("statefulset", "{r}")]
        if not extra:
            kinds += [("role", "{r}"), ("rolebinding", "{r}")]
        tenants = {"t1": "team-h", "t2": "team-i"}
        creds = {}
        for release, ns in tenants.items():
            p = self.helm("install", release, CHART, "--namespace", ns, "--create-namespace", *extra, check=False)
            self.assertEqual(p.returncode, 0, f"helm install {release} failed:\n{p.stdout}\n{p.stderr}")
            self.assertIn("STATUS: deployed", p.stdout)
            self.assertIn(f"get secret vc-{release}", p.stdout)  # NOTES.txt
            want = [(k, n.format(r=release)) for k, n in kinds]
            self.assert_release_objects(release, ns, True, want)
            secret = json.loads(self.kubectl("get", "secret", f"vc-{release}", "-n", ns, "-o", "json").stdout)
            self.assertEqual(set(secret["data"]), KUBECONFIG_KEYS)
            creds[release] = secret_data(secret)
            listed = json.loads(self.helm("list", "--namespace", ns, "-o", "json").stdout)
            self.assertEqual([(r["name"], r["status"]) for r in listed], [(release, "deployed")])
        # The StatefulSet controller made each release's pod and claim; the host scheduled the pod
        # on a simulated node and its kubelet made it Running and Ready.
        for release, ns in tenants.items():
            pod = self.assert_pod_runs_on_a_node(f"{release}-0", ns)
            self.assertEqual(pod["spec"]["containers"][0]["args"][0], "serve")
            self.assertEqual(pod["spec"]["serviceAccountName"], release)
            self.assertEqual(pod["metadata"]["ownerReferences"][0]["kind"], "StatefulSet")
            claim = next(v for v in pod["spec"]["volumes"] if v["name"] == "data")
            self.assertEqual(claim["persistentVolumeClaim"]["claimName"], f"data-{release}-0")
            self.assertEqual(self.get_json("pvc", f"data-{release}-0", "-n", ns)["spec"]["resources"]["requests"],
                             {"storage": "5Gi"})
            sts = self.get_json("statefulset", release, "-n", ns)
            self.wait_for(lambda: self.get_json("statefulset", release, "-n", ns)["status"].get("readyReplicas") == 1,
                          what=f"statefulset {release} readyReplicas=1")
            self.assertEqual(sts["spec"]["replicas"], 1)
        # Two releases, two tenants: nothing shared.
        for key in ["certificate-authority", "token", "client-key"]:
            self.assertNotEqual(creds["t1"][key], creds["t2"][key])
        self.assertEqual(self.kubectl("get", "statefulsets", "-n", "team-h", "-o", "name").stdout.split(),
                         ["statefulset.apps/t1"])

        # Upgrade: credentials survive (read back with lookup), new values reach the StatefulSet and
        # its rolled pod.
        before = self.pod("t1-0", "team-h")["metadata"]["uid"]
        p = self.helm("upgrade", "t1", CHART, "--namespace", "team-h", *extra, "--set", "server.logLevel=debug",
                      "--set", "server.tlsSANs={t1.example.com}", check=False)
        self.assertEqual(p.returncode, 0, f"helm upgrade failed:\n{p.stdout}\n{p.stderr}")
        after = secret_data(json.loads(self.kubectl("get", "secret", "vc-t1", "-n", "team-h", "-o", "json").stdout))
        self.assertEqual(after["certificate-authority"], creds["t1"]["certificate-authority"])
        self.assertEqual(after["token"], creds["t1"]["token"])
        pki = secret_data(json.loads(self.kubectl("get", "secret", "t1-pki", "-n", "team-h", "-o", "json").stdout))
        self.assertIn("t1.example.com", cert_sans(pki["server.crt"]))
        self.assertTrue(verify(after["certificate-authority"], pki["server.crt"], self.tmp))
        sts = json.loads(self.kubectl("get", "statefulset", "t1", "-n", "team-h", "-o", "json").stdout)
        args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
        self.assertIn("--log-level=debug", args)
        self.assertIn("--tls-san=t1.example.com", args)

        def rolled():
            pod = self.pod("t1-0", "team-h")
            return (pod is not None and pod["metadata"]["uid"] != before and self.running_ready("t1-0", "team-h")
                    and "--log-level=debug" in pod["spec"]["containers"][0]["args"])
        self.wait_for(rolled, timeout=60, what="the StatefulSet to roll t1-0 to the upgraded template")
        history = json.loads(self.helm("history", "t1", "--namespace", "team-h", "-o", "json").stdout)
        self.assertEqual([h["revision"] for h in history], [1, 2])

        # Uninstall removes every object of the release, and only that release; the pods go with
        # their StatefulSet, the data claim stays (persistentVolumeClaimRetentionPolicy Retain,
        # like vcluster: the tenant's data outlives the release).
        for release, ns in tenants.items():
            p = self.helm("uninstall", release, "--namespace", ns, "--wait", "--timeout", "60s", check=False)
            # The release's objects first: Helm deletes them before it purges its own release records.
            self.assert_release_objects(release, ns, False, [(k, n.format(r=release)) for k, n in kinds])
            self.assertEqual(p.returncode, 0, f"helm uninstall {release} failed:\n{p.stdout}\n{p.stderr}")
            self.assertEqual(self.kubectl("get", "secrets", "-n", ns, "-l", "owner=helm", "-o", "name").stdout.strip(),
                             "", "helm release records left behind")
            self.assertEqual(json.loads(self.helm("list", "--namespace", ns, "-o", "json").stdout), [])
            self.wait_for(lambda: self.pod(f"{release}-0", ns) is None, what=f"pod {release}-0 to be deleted")
            self.assertEqual(self.kubectl("get", "pvc", "-n", ns, "-o", "name").stdout.split(),
                             [f"persistentvolumeclaim/data-{release}-0"])
        if extra:
            self.skipTest("installed/upgraded/uninstalled with rbac.create=false: vkube does not serve "
                          f"{', '.join(k for k in missing if k.endswith(('/Role', '/RoleBinding')))} yet")

    def service_account_kubeconfig(self, name, ns):
        """A kubeconfig for the host with a token of ServiceAccount NS/NAME (TokenRequest): what an
        in-cluster vkube authenticates as, so the host's RBAC checks each of its calls."""
        token = self.kubectl("create", "token", name, "-n", ns, "--duration=1h").stdout.strip()
        with open(self.server.kubeconfig) as f:
            host = yaml.safe_load(f)
        cluster = host["clusters"][0]["cluster"]
        kc = {"apiVersion": "v1", "kind": "Config", "current-context": "sa",
              "clusters": [{"name": "host", "cluster": cluster}],
              "users": [{"name": "sa", "user": {"token": token}}],
              "contexts": [{"name": "sa", "context": {"cluster": "host", "user": "sa"}}]}
        path = os.path.join(self.tmp, f"{ns}-{name}.kubeconfig")
        with open(path, "w") as f:
            yaml.safe_dump(kc, f)
        return path

    def test_shared_mode_two_releases_are_two_isolated_tenants_of_the_shared_instance(self):
        """mode: shared. A shared-instance release (tenantRequests.enabled) is installed; its vkube
        runs here (the simulated kubelet does not execute images) with the StatefulSet's own
        arguments and a token of the release's ServiceAccount, so the host's RBAC checks that the
        chart grants it enough and no more. Two `mode: shared` releases then ask it for tenants."""
        hub_ns, releases = "vkube-system", [("shop", "team-s1", "cart"), ("blog", "team-s2", "post")]
        self.helm("install", "vkube", CHART, "--namespace", hub_ns, "--create-namespace",
                  "--set", "syncer.enabled=true", "--set", "tenantRequests.enabled=true")
        hub = None
        try:
            args = self.get_json("statefulset", "vkube", "-n", hub_ns)["spec"]["template"]["spec"]["containers"][0]["args"]
            self.assertIn("--tenant-requests", args)
            local = ("--data-dir", "--listen", "--host-kubeconfig", "--kubeconfig-server")  # this machine's
            args = [a for a in args[1:] if not a.startswith(local)]
            hub = harness.VkubeServer(extra_args=[*args, "--host-kubeconfig",
                                                  self.service_account_kubeconfig("vkube", hub_ns)]).start()
            for release, ns, _ in releases:
                self.helm("install", release, CHART, "--namespace", ns, "--create-namespace", "--set", "mode=shared",
                          "--set", "isolation.networkPolicy.enabled=true", "--set", "isolation.resourceQuota.enabled=true")
            # A labelled ConfigMap made by hand in a namespace that granted the instance nothing gets
            # no tenant (anyone who may create ConfigMaps there could otherwise make tenants).
            self.ensure_namespace("team-nobody")
            self.kubectl("create", "configmap", "sneaky", "-n", "team-nobody", "--from-literal=tenant=sneaky")
            self.kubectl("label", "configmap", "sneaky", "-n", "team-nobody", "vkube.dev/tenant-request=true")

            def status(release, ns):
                cm = self.get_json("configmap", f"{release}-tenant", "-n", ns)
                return (cm["metadata"].get("annotations") or {}).get("vkube.dev/tenant-status")
            kubectl_of = {}
            for release, ns, pod in releases:
                self.wait_for(lambda: status(release, ns) == "Ready", what=f"{ns}/{release}-tenant served")
                vc = secret_data(self.get_json("secret", f"vc-{release}", "-n", ns))
                self.assertEqual(set(vc), KUBECONFIG_KEYS)
                self.assertIn(f"server: {hub.url}/tenants/{release}\n", vc["config"])
                path = os.path.join(self.tmp, f"{release}.kubeconfig")
                with open(path, "w") as f:
                    f.write(vc["config"])
                kubectl_of[release] = [harness.KUBECTL, "--kubeconfig", path]
                subprocess.run(kubectl_of[release] + ["run", pod, "--image=busybox"], check=True, capture_output=True)
            for release, ns, pod in releases:
                # Each tenant's pod runs in its own release namespace, on a host node.
                host_pod = f"{pod}-x-default-x-{release}"
                self.wait_for(lambda: (self.pod(host_pod, ns) or {}).get("status", {}).get("phase") == "Running",
                              what=f"host pod {ns}/{host_pod} Running")
                self.assertIn(self.pod(host_pod, ns)["spec"]["nodeName"], NODE_NAMES)
                seen = subprocess.run(kubectl_of[release] + ["get", "pods", "-A", "-o", "name"], check=True,
                                      capture_output=True, text=True).stdout.split()
                self.assertEqual(seen, [f"pod/{pod}"])  # its own pod only
            self.wait_for(lambda: any("may not act in namespace team-nobody" in line for line in hub.log_lines),
                          what="the request without a Role refused")

            def tenants():
                p = subprocess.run([harness.BINARY, "tenants", "--data-dir", hub.data_dir], capture_output=True,
                                   text=True, timeout=30, check=True)
                return [line.split()[0] for line in p.stdout.splitlines()[1:]]
            self.assertEqual(tenants(), ["blog", "default", "shop"])
            # One tenant's token is nobody at the other.
            shop = secret_data(self.get_json("secret", "vc-shop", "-n", "team-s1"))
            blog = secret_data(self.get_json("secret", "vc-blog", "-n", "team-s2"))
            ca = blog["certificate-authority"]
            self.assertEqual(curl_status(self.tmp, hub, "/tenants/blog/api/v1/namespaces", ca, token=blog["token"]), "200")
            self.assertEqual(curl_status(self.tmp, hub, "/tenants/blog/api/v1/namespaces", ca, token=shop["token"]), "401")
            # helm test: the hook pod runs (simulated), and its own script, for real, passes against
            # the shared instance.
            p = self.helm("test", "shop", "--namespace", "team-s1", "--timeout", "90s")
            self.assertIn("Phase:          Succeeded", p.stdout)
            run = self.hook_script_with_secret("shop", "team-s1")
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertEqual(run.stdout.splitlines(), ["ok", "GET /api/v1/namespaces/default: 200"])
            # helm uninstall: the tenant goes, its pod with it; the other tenant is untouched.
            self.helm("uninstall", "shop", "--namespace", "team-s1", "--wait")
            self.wait_for(lambda: self.pod("cart-x-default-x-shop", "team-s1") is None, what="shop's host pod removed")
            self.wait_for(lambda: subprocess.run(kubectl_of["shop"] + ["get", "ns"], capture_output=True).returncode != 0,
                          what="tenant shop gone")
            self.assertEqual(self.kubectl("get", "configmaps,secrets,roles", "-n", "team-s1", "-o", "name").stdout.split(),
                             ["configmap/kube-root-ca.crt"])
            self.assertEqual(self.pod("post-x-default-x-blog", "team-s2")["status"]["phase"], "Running")
            p = subprocess.run(kubectl_of["blog"] + ["get", "pod", "post"], capture_output=True, text=True)
            # With the instance's log: how a crash while deleting shop (fixed in c2a4fe5) was found.
            self.assertEqual(p.returncode, 0, p.stderr + "".join(hub.log_lines)[-6000:])
            # With the shared instance down, helm uninstall still leaves nothing behind: the host's
            # garbage collector removes what the request owned. The instance, back, deletes the tenant.
            hub.stop()
            self.helm("uninstall", "blog", "--namespace", "team-s2", "--wait")
            self.wait_for(lambda: self.pod("post-x-default-x-blog", "team-s2") is None, what="blog's pod removed by host GC")
            self.assertEqual(tenants(), ["blog", "default"])
            hub.start()
            self.wait_for(lambda: tenants() == ["default"], what="tenant blog deleted once the instance is back",
                          detail=lambda: "".join(hub.log_lines)[-6000:])
        finally:
            for release, ns, _ in releases:
                self.helm("uninstall", release, "--namespace", ns, check=False)
            self.helm("uninstall", "vkube", "--namespace", hub_ns, check=False)
            if hub:
                hub.cleanup()

    def hook_script_with_secret(self, release, ns):
        """Runs the test hook's script (as Helm stored it) here with the release's kubeconfig Secret
        mounted where the hook pod mounts it. Returns the CompletedProcess of /bin/sh -ec SCRIPT."""
        hooks = [d for d in yaml.safe_load_all(self.helm("get", "hooks", release, "-n", ns).stdout) if d]
        c = one(hooks, "Pod", f"{release}-test-connection")["spec"]["containers"][0]
        vc = secret_data(self.get_json("secret", f"vc-{release}", "-n", ns))
        mount = os.path.join(self.tmp, f"vc-{release}")
        os.makedirs(mount, exist_ok=True)
        for key in ("certificate-authority", "config"):
            with open(os.path.join(mount, key), "w") as f:
                f.write(vc[key])
        script = c["args"][0].replace("/vc/", mount + "/")
        return subprocess.run(["/bin/sh", "-ec", script], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, TOKEN=vc["token"]))

    def hook_script_against_real_vkube(self, release, ns, token=None):
        """Runs the test hook's own script (as Helm stored it) on this machine against a real `vkube
        serve` started with the release's credentials as the host holds them: the simulated kubelet does
        not execute containers, this does. Returns the CompletedProcess of /bin/sh -ec SCRIPT."""
        hooks = [d for d in yaml.safe_load_all(self.helm("get", "hooks", release, "-n", ns).stdout) if d]
        pod = one(hooks, "Pod", f"{release}-test-connection")
        c = pod["spec"]["containers"][0]
        self.assertEqual(c["command"], ["/bin/sh", "-ec"])
        vc = secret_data(self.get_json("secret", f"vc-{release}", "-n", ns))
        data_dir = tempfile.mkdtemp(prefix=f"vkube-helm-hook-{release}-")
        write_pki(data_dir, secret_data(self.get_json("secret", f"{release}-pki", "-n", ns)))
        sts_args = self.get_json("statefulset", release, "-n", ns)["spec"]["template"]["spec"]["containers"][0]["args"]
        server = harness.VkubeServer(data_dir=data_dir, extra_args=[a for a in sts_args if a.startswith("--tls-san=")])
        try:
            server.start()
            ca = os.path.join(self.tmp, "vc")
            os.makedirs(ca, exist_ok=True)
            with open(os.path.join(ca, "certificate-authority"), "w") as f:
                f.write(vc["certificate-authority"])
            # The Secret's config as the hook reads it, its in-cluster server name swapped for this one.
            with open(os.path.join(ca, "config"), "w") as f:
                f.write(re.sub(r"(?m)^(\s*server: ).*$", lambda m: m.group(1) + server.url, vc["config"]))
            script = c["args"][0].replace("/vc/", ca + "/")
            env = dict(os.environ, TOKEN=token or vc["token"])
            if token:  # a failing check must fail fast, not retry for 30s
                script = script.replace("--retry 10", "--retry 0")
            return subprocess.run(["/bin/sh", "-ec", script], capture_output=True, text=True, timeout=120, env=env)
        finally:
            pki = os.path.join(data_dir, "pki")
            if os.path.isdir(pki):
                os.chmod(pki, 0o700)
            server.cleanup()

    def test_helm_test_hook(self):
        p = self.helm("install", "ht", CHART, "--namespace", "team-t", "--create-namespace", "--wait",
                      "--timeout", "90s", check=False)
        self.assertEqual(p.returncode, 0, f"helm install --wait failed:\n{p.stdout}\n{p.stderr}")
        try:
            self.assert_pod_runs_on_a_node("ht-0", "team-t")
            # `helm test`: the hook pod is created, scheduled and run to completion (restartPolicy Never:
            # the simulated kubelet exits its container with 0 → Succeeded), then deleted (hook-succeeded).
            p = self.helm("test", "ht", "--namespace", "team-t", "--timeout", "90s", check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("TEST SUITE:     ht-test-connection", p.stdout)
            self.assertIn("Phase:          Succeeded", p.stdout)
            self.wait_for(lambda: self.pod("ht-test-connection", "team-t") is None, what="hook pod deleted")
            events = self.kubectl("get", "events", "-n", "team-t", "--field-selector",
                                  "involvedObject.name=ht-test-connection").stdout
            self.assertRegex(events, r"Scheduled\s+pod/ht-test-connection\s+Successfully assigned "
                                     r"team-t/ht-test-connection to vkube-node-\d")
            self.assertIn("Started", events)
            # What the hook checks, for real: its script passes against a vkube serving the release's
            # credentials, and fails with a wrong token.
            run = self.hook_script_against_real_vkube("ht", "team-t")
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertEqual(run.stdout.splitlines(), ["ok", "GET /api/v1/namespaces/default: 200"])
            run = self.hook_script_against_real_vkube("ht", "team-t", token="not-the-token")
            self.assertNotEqual(run.returncode, 0, run.stdout)
            self.assertIn("401", run.stderr)
        finally:
            self.helm("uninstall", "ht", "--namespace", "team-t", "--wait", check=False)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--binary":
        harness.BINARY = os.environ["VKUBE_BINARY"] = sys.argv[2]
        del sys.argv[1:3]
    if not os.access(HELM, os.X_OK):
        sys.exit(f"helm not found at {HELM}: run scripts/install-helm.sh (or set HELM)")
    try:
        unittest.main(verbosity=2)
    finally:
        shutil.rmtree(_HELM_HOME, ignore_errors=True)
