"""Authorization like kube-apiserver: RBAC, bootstrap policy, reviews, impersonation and escalation
prevention, with real kubectl over TLS against `vkube serve`."""
import json
import os
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase  # noqa: E402

NS = "rbac-e2e"
SA = f"system:serviceaccount:{NS}:bot"


class Rbac(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.kubectl("create", "namespace", NS)
        cls.server.kubectl("create", "serviceaccount", "bot", "-n", NS)
        cls.bot_token = cls.server.kubectl("create", "token", "bot", "-n", NS).stdout.strip()

    def bot(self, *args, check=False, input=None):
        """kubectl as the service account (its token replaces the admin's credential)."""
        return self.kubectl("--token", self.bot_token, *args, check=check, input=input)

    def can_i(self, *args):
        return self.kubectl("auth", "can-i", *args, check=False).stdout.strip()

    def test_01_bootstrap_roles_and_bindings_exist(self):
        out = self.kubectl("get", "clusterrole", "cluster-admin", "admin", "edit", "view", "system:discovery",
                           "system:basic-user", "system:public-info-viewer").stdout
        for name in ("cluster-admin", "admin", "edit", "view", "system:discovery"):
            self.assertIn(name, out)
        crbs = self.kubectl("get", "clusterrolebinding", "cluster-admin", "system:discovery", "system:basic-user",
                            "system:public-info-viewer", "-o", "json").stdout
        by_name = {b["metadata"]["name"]: b for b in json.loads(crbs)["items"]}
        self.assertEqual(by_name["cluster-admin"]["subjects"][0]["name"], "system:masters")
        self.assertEqual({s["name"] for s in by_name["system:public-info-viewer"]["subjects"]},
                         {"system:authenticated", "system:unauthenticated"})
        admin = self.get_json("clusterrole", "cluster-admin")
        self.assertEqual(admin["metadata"]["labels"]["kubernetes.io/bootstrapping"], "rbac-defaults")
        self.assertEqual(admin["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"], "true")

    def test_02_edit_carries_aggregated_rules(self):
        edit = self.get_json("clusterrole", "edit")
        self.assertEqual(edit["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"],
                         {"rbac.authorization.k8s.io/aggregate-to-edit": "true"})
        rules = edit["rules"]

        def grants(resource, verb):
            return any(resource in r.get("resources", []) and verb in r["verbs"] for r in rules)
        self.assertTrue(grants("configmaps", "create"))  # system:aggregate-to-edit
        self.assertTrue(grants("configmaps", "get"))     # view, aggregated into edit
        text = self.kubectl("get", "clusterrole", "edit", "-o", "yaml").stdout
        self.assertIn("deployments/scale", text)
        # A new ClusterRole labelled aggregate-to-view joins view (the aggregation controller).
        self.kubectl("apply", "-f", "-", input=textwrap.dedent("""\
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: widgets-view
              labels:
                rbac.authorization.k8s.io/aggregate-to-view: "true"
            rules:
            - apiGroups: ["example.com"]
              resources: ["widgets"]
              verbs: ["get", "list"]
            """))
        self.wait_for(lambda: "widgets" in self.kubectl("get", "clusterrole", "view", "-o", "yaml").stdout,
                      what="view aggregates widgets-view")
        self.wait_for(lambda: "widgets" in self.kubectl("get", "clusterrole", "admin", "-o", "yaml").stdout,
                      what="admin aggregates edit aggregates view")

    def test_03_whoami(self):
        out = self.kubectl("auth", "whoami").stdout
        self.assertIn("kubernetes-admin", out)
        self.assertIn("system:masters", out)
        bot = self.bot("auth", "whoami", "-o", "json")
        self.assertEqual(bot.returncode, 0, bot.stderr)
        info = json.loads(bot.stdout)["status"]["userInfo"]
        self.assertEqual(info["username"], SA)
        self.assertEqual(info["groups"], ["system:serviceaccounts", f"system:serviceaccounts:{NS}",
                                          "system:authenticated"])

    def test_04_service_account_needs_a_binding(self):
        self.assertEqual(self.can_i("list", "pods", f"--as={SA}", "-n", NS), "no")
        denied = self.bot("get", "pods", "-n", NS)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn(f'Error from server (Forbidden): pods is forbidden: User "{SA}" cannot list resource "pods" '
                      f'in API group "" in the namespace "{NS}"', denied.stderr)
        self.kubectl("create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods", "-n", NS)
        self.kubectl("create", "rolebinding", "bot-reads", "--role=pod-reader", f"--serviceaccount={NS}:bot", "-n", NS)
        self.wait_for(lambda: self.can_i("list", "pods", f"--as={SA}", "-n", NS) == "yes", what="can-i yes")
        allowed = self.bot("get", "pods", "-n", NS)
        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        other = self.bot("get", "pods", "-n", "default")
        self.assertIn(f'cannot list resource "pods" in API group "" in the namespace "default"', other.stderr)
        nodes = self.bot("get", "nodes")
        self.assertIn(f'nodes is forbidden: User "{SA}" cannot list resource "nodes" in API group "" at the '
                      'cluster scope', nodes.stderr)
        self.assertEqual(self.can_i("delete", "pods", f"--as={SA}", "-n", NS), "no")

    def test_05_can_i_list(self):
        out = self.bot("auth", "can-i", "--list", "-n", NS)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [l.split() for l in out.stdout.splitlines()]
        pods = [r for r in rows if r and r[0] == "pods"]
        self.assertTrue(pods, out.stdout)
        self.assertIn("[get list watch]", " ".join(pods[0]))
        self.assertIn("selfsubjectaccessreviews.authorization.k8s.io", out.stdout)
        self.assertIn("/api/*", out.stdout)

    def test_06_impersonation(self):
        out = self.kubectl("auth", "whoami", "--as=alice", "--as-group=devs", "-o", "json").stdout
        info = json.loads(out)["status"]["userInfo"]
        self.assertEqual(info["username"], "alice")
        self.assertEqual(info["groups"], ["devs", "system:authenticated"])
        as_sa = self.kubectl("get", "pods", "-n", NS, f"--as={SA}", check=False)
        self.assertEqual(as_sa.returncode, 0, as_sa.stderr)
        as_alice = self.kubectl("get", "pods", "-n", NS, "--as=alice", check=False)
        self.assertIn('pods is forbidden: User "alice" cannot list resource "pods"', as_alice.stderr)
        by_bot = self.bot("get", "pods", "-n", NS, "--as=alice")
        self.assertIn(f'users "alice" is forbidden: User "{SA}" cannot impersonate resource "users" in API group "" '
                      'at the cluster scope', by_bot.stderr)
        by_bot_group = self.bot("get", "pods", "-n", NS, f"--as={SA}", "--as-group=system:masters")
        self.assertIn(f'cannot impersonate resource "serviceaccounts" in API group "" in the namespace "{NS}"',
                      by_bot_group.stderr)

    def test_07_escalation_is_refused(self):
        self.kubectl("create", "role", "rbac-manager", "--verb=get,list,create,update,patch,delete", "--resource=roles.rbac.authorization.k8s.io,"
                     "rolebindings.rbac.authorization.k8s.io", "-n", NS)
        self.kubectl("create", "rolebinding", "bot-manages-rbac", "--role=rbac-manager",
                     f"--serviceaccount={NS}:bot", "-n", NS)
        self.wait_for(lambda: self.can_i("create", "roles", f"--as={SA}", "-n", NS) == "yes", what="rbac-manager")
        ok = self.bot("create", "role", "sub-reader", "--verb=get,list", "--resource=pods", "-n", NS)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = self.bot("create", "role", "secret-deleter", "--verb=delete,get", "--resource=secrets", "-n", NS)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn(f'roles.rbac.authorization.k8s.io "secret-deleter" is forbidden: user "{SA}" '
                      f'(groups=["system:serviceaccounts" "system:serviceaccounts:{NS}" "system:authenticated"]) '
                      'is attempting to grant RBAC permissions not currently held:', bad.stderr)
        self.assertIn('{APIGroups:[""], Resources:["secrets"], Verbs:["delete" "get"]}', bad.stderr)
        # Widening a role it may edit, by patch, is an escalation too.
        patched = self.bot("patch", "role", "sub-reader", "-n", NS, "--type=json", "-p",
                           '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],'
                           '"verbs":["get"]}}]')
        self.assertIn("is attempting to grant RBAC permissions not currently held", patched.stderr)
        # Binding: a role whose permissions it holds, yes; the admin ClusterRole, no.
        bind_ok = self.bot("create", "rolebinding", "sub", "--role=sub-reader", "--user=carol", "-n", NS)
        self.assertEqual(bind_ok.returncode, 0, bind_ok.stderr)
        bind_bad = self.bot("create", "rolebinding", "take-over", "--clusterrole=admin", f"--serviceaccount={NS}:bot",
                            "-n", NS)
        self.assertIn('rolebindings.rbac.authorization.k8s.io "take-over" is forbidden', bind_bad.stderr)
        self.assertIn("is attempting to grant RBAC permissions not currently held", bind_bad.stderr)
        # The admin (system:masters) may grant anything.
        self.kubectl("create", "role", "anything", "--verb=*", "--resource=secrets", "-n", NS)

    def test_08_public_paths_and_anonymous(self):
        self.assertEqual(self.server.curl("/healthz", token=False), (200, "ok"))
        code, body = self.server.curl("/version", token=False)
        self.assertEqual(code, 200)
        self.assertIn("gitVersion", body)
        code, _ = self.server.curl("/api", token=False)
        self.assertEqual(code, 401)
        code, body = self.server.curl("/healthz", token=False, method="POST")
        self.assertEqual(code, 403)
        self.assertIn('User \\"system:anonymous\\" cannot post path \\"/healthz\\"', body)

    def test_09_subject_access_review_and_token_review(self):
        sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"user": SA, "groups": ["system:serviceaccounts"],
                        "resourceAttributes": {"namespace": NS, "verb": "list", "resource": "pods"}}}
        code, body = self.server.curl("/apis/authorization.k8s.io/v1/subjectaccessreviews", method="POST",
                                      data=json.dumps(sar).encode(), headers=["Content-Type: application/json"])
        self.assertEqual(code, 201, body)
        status = json.loads(body)["status"]
        self.assertTrue(status["allowed"])
        self.assertEqual(status["reason"],
                         f'RBAC: allowed by RoleBinding "bot-reads/{NS}" of Role "pod-reader" to ServiceAccount "bot/{NS}"')
        sar["spec"]["resourceAttributes"]["verb"] = "delete"
        code, body = self.server.curl("/apis/authorization.k8s.io/v1/subjectaccessreviews", method="POST",
                                      data=json.dumps(sar).encode(), headers=["Content-Type: application/json"])
        self.assertFalse(json.loads(body)["status"]["allowed"])
        tr = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": self.bot_token}}
        code, body = self.server.curl("/apis/authentication.k8s.io/v1/tokenreviews", method="POST",
                                      data=json.dumps(tr).encode(), headers=["Content-Type: application/json"])
        self.assertEqual(code, 201, body)
        status = json.loads(body)["status"]
        self.assertTrue(status["authenticated"])
        self.assertEqual(status["user"]["username"], SA)
        tr["spec"]["token"] = "not-a-token"
        code, body = self.server.curl("/apis/authentication.k8s.io/v1/tokenreviews", method="POST",
                                      data=json.dumps(tr).encode(), headers=["Content-Type: application/json"])
        self.assertFalse(json.loads(body)["status"]["authenticated"])
        # A service account may not review other subjects (no create on subjectaccessreviews).
        # (kubectl validates review kinds itself, from the protobuf /openapi/v2 the bot may read.)
        denied = self.bot("create", "-f", "-", "-o", "json", input=json.dumps(sar))
        self.assertIn('subjectaccessreviews.authorization.k8s.io is forbidden', denied.stderr)

    def test_10_default_service_account_gets_discovery_and_whoami_only(self):
        self.wait_for(lambda: self.kubectl("get", "sa", "default", "-n", NS, check=False).returncode == 0,
                      what="default service account")
        token = self.kubectl("create", "token", "default", "-n", NS).stdout.strip()
        ver = self.kubectl("--token", token, "api-resources", check=False)
        self.assertEqual(ver.returncode, 0, ver.stderr)
        who = self.kubectl("--token", token, "auth", "whoami", check=False)
        self.assertEqual(who.returncode, 0, who.stderr)
        self.assertIn(f"system:serviceaccount:{NS}:default", who.stdout)
        pods = self.kubectl("--token", token, "get", "pods", "-n", NS, check=False)
        self.assertIn(f'pods is forbidden: User "system:serviceaccount:{NS}:default" cannot list resource "pods"',
                      pods.stderr)


if __name__ == "__main__":
    import harness
    harness.main()
