"""Issue 5 acceptance: the in-process controllers seen through real kubectl 1.32.

Pods are never run here (no host): the test plays the kubelet by setting pod status Ready
through the status subresource, exactly as the syncer will.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase  # noqa: E402


class Controllers(ServerTestCase):

    def mark_ready(self, ns):
        for pod in self.get_json("pods", "-n", ns)["items"]:
            if pod.get("status", {}).get("phase") == "Running" or pod["metadata"].get("deletionTimestamp"):
                continue
            self.kubectl("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status", "--type=merge", "-p",
                         json.dumps({"status": {"phase": "Running", "conditions": [
                             {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}),
                         check=False)

    def rs_by_revision(self, ns, deploy):
        out = {}
        for rs in self.get_json("rs", "-n", ns)["items"]:
            refs = rs["metadata"].get("ownerReferences", [])
            if refs and refs[0]["name"] == deploy:
                out[rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]] = rs
        return out

    def test_01_namespace_gets_default_service_account_and_root_ca(self):
        self.kubectl("create", "ns", "apps")
        self.wait_for(lambda: self.kubectl("get", "sa", "default", "-n", "apps", check=False).returncode == 0,
                      what="default ServiceAccount")
        self.wait_for(lambda: self.kubectl("get", "cm", "kube-root-ca.crt", "-n", "apps", check=False).returncode == 0,
                      what="kube-root-ca.crt")
        cm = self.get_json("cm", "kube-root-ca.crt", "-n", "apps")
        with open(os.path.join(self.server.data_dir, "pki", "ca.crt")) as f:
            self.assertEqual(cm["data"]["ca.crt"], f.read())

    def test_02_deployment_creates_replicaset_and_pods(self):
        self.kubectl("create", "deployment", "web", "-n", "apps", "--image=nginx:1.27", "--replicas=3")
        self.wait_for(lambda: len(self.get_json("pods", "-n", "apps")["items"]) == 3, what="3 pods")
        rss = self.get_json("rs", "-n", "apps")["items"]
        self.assertEqual(len(rss), 1)
        rs = rss[0]
        dep = self.get_json("deploy", "web", "-n", "apps")
        self.assertEqual(rs["metadata"]["ownerReferences"][0]["uid"], dep["metadata"]["uid"])
        self.assertTrue(rs["metadata"]["ownerReferences"][0]["controller"])
        h = rs["metadata"]["labels"]["pod-template-hash"]
        self.assertEqual(rs["metadata"]["name"], "web-" + h)
        for pod in self.get_json("pods", "-n", "apps")["items"]:
            self.assertEqual(pod["metadata"]["ownerReferences"][0]["name"], rs["metadata"]["name"])
            self.assertEqual(pod["metadata"]["labels"], {"app": "web", "pod-template-hash": h})
            self.assertTrue(pod["metadata"]["name"].startswith(rs["metadata"]["name"] + "-"))
            self.assertEqual(pod["status"]["phase"], "Pending")

    def test_03_rollout_status_completes_when_pods_are_ready(self):
        p = self.server.kubectl_popen("rollout", "status", "deploy/web", "-n", "apps", "--timeout=30s")
        time.sleep(0.5)
        self.assertIsNone(p.poll(), "rollout status must wait while pods are not ready")
        self.mark_ready("apps")
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn('deployment "web" successfully rolled out', out)
        self.assertIn("3/3", self.kubectl("get", "deploy", "web", "-n", "apps").stdout)

    def test_04_set_image_rolls_to_new_replicaset_within_max_unavailable(self):
        self.kubectl("set", "image", "deploy/web", "-n", "apps", "nginx=nginx:1.28")
        # replicas 3: maxSurge 25% → 1, maxUnavailable 25% → 0. Until a new pod is ready, the old
        # ReplicaSet must keep all 3 replicas and the new one may only surge by one.
        self.wait_for(lambda: len(self.rs_by_revision("apps", "web")) == 2, what="second ReplicaSet")
        time.sleep(0.5)
        revs = self.rs_by_revision("apps", "web")
        self.assertEqual(revs["1"]["spec"]["replicas"], 3)
        self.assertEqual(revs["2"]["spec"]["replicas"], 1)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.mark_ready("apps")
            revs = self.rs_by_revision("apps", "web")
            if revs["1"]["spec"]["replicas"] == 0 and revs["2"]["spec"]["replicas"] == 3 and \
                    revs["2"].get("status", {}).get("readyReplicas") == 3:
                break
            time.sleep(0.2)
        self.assertEqual(revs["1"]["spec"]["replicas"], 0)
        self.assertIn("successfully rolled out",
                      self.kubectl("rollout", "status", "deploy/web", "-n", "apps", "--timeout=20s").stdout)
        images = {p["spec"]["containers"][0]["image"] for p in self.get_json("pods", "-n", "apps")["items"]
                  if not p["metadata"].get("deletionTimestamp")}
        self.assertEqual(images, {"nginx:1.28"})
        hist = self.kubectl("rollout", "history", "deploy/web", "-n", "apps").stdout
        self.assertIn("1 ", hist)
        self.assertIn("2 ", hist)

    def test_05_rollout_undo_returns_to_previous_template(self):
        self.assertIn("rolled back", self.kubectl("rollout", "undo", "deploy/web", "-n", "apps").stdout)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.mark_ready("apps")
            revs = self.rs_by_revision("apps", "web")
            if "3" in revs and revs["3"]["spec"]["replicas"] == 3 and revs["3"].get("status", {}).get("readyReplicas") == 3:
                break
            time.sleep(0.2)
        revs = self.rs_by_revision("apps", "web")
        self.assertEqual(revs["3"]["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27")
        self.assertEqual(revs["3"]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"], "1")
        dep = self.get_json("deploy", "web", "-n", "apps")
        self.assertEqual(dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3")

    def test_06_scale_up_and_down(self):
        self.assertIn("scaled", self.kubectl("scale", "deploy/web", "-n", "apps", "--replicas=5").stdout)
        self.wait_for(lambda: len([p for p in self.get_json("pods", "-n", "apps")["items"]
                                   if not p["metadata"].get("deletionTimestamp")]) == 5, what="5 pods")
        self.kubectl("scale", "deploy/web", "-n", "apps", "--replicas=2")
        self.wait_for(lambda: len(self.get_json("pods", "-n", "apps")["items"]) == 2, what="2 pods")
        scale = json.loads(self.kubectl("get", "--raw", "/apis/apps/v1/namespaces/apps/deployments/web/scale").stdout)
        self.assertEqual(scale["kind"], "Scale")
        self.assertEqual(scale["spec"]["replicas"], 2)
        self.assertEqual(scale["status"]["selector"], "app=web")

    def test_07_delete_deployment_garbage_collects(self):
        self.kubectl("delete", "deploy", "web", "-n", "apps")
        self.wait_for(lambda: not self.get_json("rs", "-n", "apps")["items"] and
                      not self.get_json("pods", "-n", "apps")["items"], what="ReplicaSets and pods collected")

    def test_08_orphan_cascade_keeps_replicaset_and_pods(self):
        self.kubectl("create", "deployment", "keep", "-n", "apps", "--image=nginx", "--replicas=2")
        self.wait_for(lambda: len(self.get_json("pods", "-n", "apps")["items"]) == 2, what="2 pods")
        self.kubectl("delete", "deploy", "keep", "-n", "apps", "--cascade=orphan")
        self.wait_for(lambda: self.kubectl("get", "deploy", "keep", "-n", "apps", check=False).returncode != 0,
                      what="deployment gone")
        rss = self.get_json("rs", "-n", "apps")["items"]
        self.assertEqual(len(rss), 1)
        self.assertNotIn("ownerReferences", rss[0]["metadata"])
        self.assertEqual(len(self.get_json("pods", "-n", "apps")["items"]), 2)
        # Foreground: the ReplicaSet waits for its pods, then goes.
        self.kubectl("delete", "rs", rss[0]["metadata"]["name"], "-n", "apps", "--cascade=foreground", "--timeout=30s")
        self.assertEqual(self.get_json("pods", "-n", "apps")["items"], [])
        self.assertEqual(self.get_json("rs", "-n", "apps")["items"], [])

    def test_09_recreate_strategy_replaces_all_at_once(self):
        manifest = json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rec", "namespace": "apps"},
            "spec": {"replicas": 2, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": {"app": "rec"}},
                     "template": {"metadata": {"labels": {"app": "rec"}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}}})
        self.kubectl("apply", "-f", "-", input=manifest)
        self.wait_for(lambda: len(self.get_json("pods", "-n", "apps", "-l", "app=rec")["items"]) == 2, what="pods")
        self.kubectl("set", "image", "deploy/rec", "-n", "apps", "c=busybox:2")
        self.wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in
                               self.get_json("pods", "-n", "apps", "-l", "app=rec")["items"]} == {"busybox:2"},
                      what="only new pods")

    def test_10_deleting_namespace_removes_its_contents(self):
        self.kubectl("create", "ns", "doomed")
        self.kubectl("create", "deployment", "d", "-n", "doomed", "--image=nginx", "--replicas=2")
        self.kubectl("create", "configmap", "c", "-n", "doomed", "--from-literal=a=b")
        self.wait_for(lambda: len(self.get_json("pods", "-n", "doomed")["items"]) == 2, what="pods")
        self.kubectl("delete", "ns", "doomed", "--timeout=30s")
        p = self.kubectl("get", "ns", "doomed", check=False)
        self.assertIn('namespaces "doomed" not found', p.stderr)
        self.assertEqual(self.get_json("pods", "-n", "doomed")["items"], [])

    def test_11_resource_quota_refuses_like_kube_apiserver_and_reports_usage(self):
        self.kubectl("create", "ns", "quota")
        self.kubectl("create", "quota", "compute", "-n", "quota", "--hard=pods=2,requests.cpu=1,count/deployments.apps=3")
        for name in ("a", "b"):
            self.kubectl("run", name, "-n", "quota", "--image=nginx", "--overrides",
                         json.dumps({"spec": {"containers": [{"name": name, "image": "nginx",
                                                             "resources": {"requests": {"cpu": "300m"}}}]}}))
        p = self.kubectl("run", "c", "-n", "quota", "--image=nginx", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (Forbidden): pods "c" is forbidden: exceeded quota: compute, requested: '
                      'pods=1, used: pods=2, limited: pods=2', p.stderr)

        def used():
            q = self.get_json("quota", "compute", "-n", "quota")
            return q.get("status", {}).get("used", {})
        self.wait_for(lambda: used().get("pods") == "2" and used().get("requests.cpu") == "600m", what="status.used")
        out = self.kubectl("describe", "quota", "compute", "-n", "quota").stdout
        self.assertRegex(out, r"pods\s+2\s+2")
        self.assertRegex(out, r"requests\.cpu\s+600m\s+1")
        # A Deployment's ReplicaSet cannot exceed it either: the third pod is refused, two run.
        self.kubectl("delete", "pod", "a", "b", "-n", "quota", "--wait=false")
        self.wait_for(lambda: used().get("pods") == "0", what="usage freed")
        self.kubectl("create", "deployment", "web", "-n", "quota", "--image=nginx", "--replicas=3")
        self.wait_for(lambda: len(self.get_json("pods", "-n", "quota")["items"]) == 2, what="two pods")
        time.sleep(0.5)
        self.assertEqual(len(self.get_json("pods", "-n", "quota")["items"]), 2)

    def test_12_limit_range_defaults_and_bounds_containers(self):
        self.kubectl("create", "ns", "limits")
        self.kubectl("apply", "-n", "limits", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                                 "defaultRequest": {"cpu": "100m"}, "max": {"cpu": "1"}}]}}))
        self.kubectl("run", "plain", "-n", "limits", "--image=nginx")
        pod = self.get_json("pod", "plain", "-n", "limits")
        res = pod["spec"]["containers"][0]["resources"]
        self.assertEqual(res["limits"], {"cpu": "500m", "memory": "256Mi"})
        self.assertEqual(res["requests"], {"cpu": "100m", "memory": "256Mi"})
        self.assertEqual(pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
                         "LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain")
        p = self.kubectl("run", "greedy", "-n", "limits", "--image=nginx", "--overrides", json.dumps(
            {"spec": {"containers": [{"name": "greedy", "image": "nginx", "resources": {"limits": {"cpu": "2"}}}]}}),
            check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (Forbidden): pods "greedy" is forbidden: maximum cpu usage per Container is 1, '
                      'but limit is 2', p.stderr)

    def set_phase(self, ns, name, phase):
        conditions = [{"type": "Ready", "status": "True" if phase == "Running" else "False",
                       "lastTransitionTime": "2026-01-01T00:00:00Z"}]
        self.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p",
                     json.dumps({"status": {"phase": phase, "conditions": conditions}}))

    def test_13_statefulset_creates_ordered_pods_and_claims(self):
        self.kubectl("create", "ns", "sts")
        self.kubectl("apply", "-n", "sts", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}))
        names = lambda: sorted(p["metadata"]["name"] for p in self.get_json("pods", "-n", "sts")["items"])  # noqa: E731
        # OrderedReady: db-1 only once db-0 is Running and Ready, and so on.
        for i in range(3):
            self.wait_for(lambda: len(names()) == i + 1, what=f"db-{i}")
            time.sleep(0.5)
            self.assertEqual(names(), [f"db-{k}" for k in range(i + 1)])
            pvc = self.get_json("pvc", f"data-db-{i}", "-n", "sts")
            self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "1Gi")
            pod = self.get_json("pod", f"db-{i}", "-n", "sts")
            self.assertEqual(pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"], f"db-{i}")
            self.assertEqual(pod["spec"]["hostname"], f"db-{i}")
            self.assertEqual(pod["spec"]["subdomain"], "db")
            claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]
                      if "persistentVolumeClaim" in v]
            self.assertEqual(claims, [f"data-db-{i}"])
            self.set_phase("sts", f"db-{i}", "Running")
        out = self.kubectl("rollout", "status", "sts/db", "-n", "sts", "--timeout=30s").stdout
        self.assertIn("partitioned roll out complete: 3 new pods have been updated", out)

    def test_14_job_runs_to_complete_when_its_pods_succeed(self):
        self.kubectl("create", "ns", "batch")
        self.kubectl("apply", "-n", "batch", "-f", "-", input=json.dumps({
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
            "spec": {"completions": 2, "parallelism": 1, "template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl:5.34"}]}}}}))
        for done in range(2):
            self.wait_for(lambda: len([p for p in self.get_json("pods", "-n", "batch")["items"]
                                       if p.get("status", {}).get("phase") == "Pending"]) == 1,
                          what=f"pod {done + 1} of the job")
            pending = [p for p in self.get_json("pods", "-n", "batch")["items"]
                       if p.get("status", {}).get("phase") == "Pending"]
            self.assertEqual(pending[0]["metadata"]["labels"]["job-name"], "pi")
            self.set_phase("batch", pending[0]["metadata"]["name"], "Succeeded")
        p = self.kubectl("wait", "--for=condition=complete", "job/pi", "-n", "batch", "--timeout=30s")
        self.assertIn("job.batch/pi condition met", p.stdout)
        job = self.get_json("job", "pi", "-n", "batch")
        self.assertEqual(job["status"]["succeeded"], 2)
        self.assertTrue(job["status"]["completionTime"])
        self.assertIn("Complete", self.kubectl("get", "job", "pi", "-n", "batch").stdout)

    def test_15_cronjob_creates_jobs_on_schedule(self):
        self.kubectl("create", "ns", "cron")
        self.kubectl("create", "cronjob", "tick", "-n", "cron", "--image=busybox", "--schedule=* * * * *",
                     "--", "date")
        # The next minute boundary is at most 60 s away.
        self.wait_for(lambda: len(self.get_json("jobs", "-n", "cron")["items"]) >= 1, timeout=75,
                      what="a Job from the schedule")
        job = self.get_json("jobs", "-n", "cron")["items"][0]
        self.assertEqual(job["metadata"]["ownerReferences"][0]["kind"], "CronJob")
        self.assertEqual(job["metadata"]["ownerReferences"][0]["name"], "tick")
        # Named tick-<scheduled time in minutes since the epoch>, as kube names them.
        self.assertRegex(job["metadata"]["name"], r"^tick-\d{8}$")
        self.assertEqual(job["spec"]["template"]["spec"]["containers"][0]["command"], ["date"])
        self.wait_for(lambda: self.get_json("cronjob", "tick", "-n", "cron").get("status", {}).get("lastScheduleTime"),
                      what="lastScheduleTime")
        active = self.get_json("cronjob", "tick", "-n", "cron")["status"].get("active", [])
        self.assertEqual([a["name"] for a in active], [job["metadata"]["name"]])


if __name__ == "__main__":
    import harness
    harness.main()
