"""The official Python client (Debian python3-kubernetes) against a real vkube over TLS.

A client library other than kubectl: typed models decode what vkube sends, list chunking works,
and a watch resumes the way client-go's reflector does it — from the list's resourceVersion, and
after a 410 Gone (history no longer covering that version) by listing again.
"""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTestCase  # noqa: E402

from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


def pod(name):
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels={"app": "py"}),
                        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]))


class PythonClient(ServerTestCase):
    def api(self):
        """A fresh client from the kubeconfig vkube wrote (its port changes on every start)."""
        return client.CoreV1Api(config.new_client_from_config(config_file=self.server.kubeconfig))

    def test_01_typed_crud_and_chunked_list(self):
        v1 = self.api()
        v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
        for i in range(7):
            created = v1.create_namespaced_pod("py", pod(f"p{i}"))
            self.assertEqual(created.metadata.namespace, "py")
            self.assertTrue(created.metadata.uid)
            # kube's defaulting is visible through the typed model
            self.assertEqual(created.spec.restart_policy, "Always")
            self.assertEqual(created.spec.containers[0].image_pull_policy, "IfNotPresent")
        names, pages, token = [], 0, None
        while True:
            page = v1.list_namespaced_pod("py", limit=3, _continue=token)
            pages += 1
            names += [p.metadata.name for p in page.items]
            token = page.metadata._continue
            if not token:
                self.assertIsNone(page.metadata.remaining_item_count)
                break
            self.assertEqual(len(page.items), 3)
            self.assertEqual(page.metadata.remaining_item_count, 7 - len(names))
        self.assertEqual(pages, 3)
        self.assertEqual(names, [f"p{i}" for i in range(7)])
        selected = v1.list_namespaced_pod("py", label_selector="app=py", field_selector="metadata.name=p3")
        self.assertEqual([p.metadata.name for p in selected.items], ["p3"])
        with self.assertRaises(ApiException) as err:
            v1.read_namespaced_pod("nope", "py")
        self.assertEqual(err.exception.status, 404)

    def test_02_watch_from_list_resource_version(self):
        v1 = self.api()
        listed = v1.list_namespaced_pod("py")
        rv = listed.metadata.resource_version

        def writer():
            time.sleep(0.3)
            w1 = self.api()
            w1.create_namespaced_pod("py", pod("watched"))
            w1.patch_namespaced_pod("watched", "py", {"metadata": {"labels": {"seen": "yes"}}})
            w1.delete_namespaced_pod("watched", "py", grace_period_seconds=0)

        t = threading.Thread(target=writer)
        t.start()
        events = []
        w = watch.Watch()
        for ev in w.stream(v1.list_namespaced_pod, "py", resource_version=rv, timeout_seconds=15):
            if ev["object"].metadata.name != "watched":
                continue
            events.append((ev["type"], ev["object"]))
            if ev["type"] == "DELETED":
                w.stop()
        t.join()
        self.assertEqual([e[0] for e in events], ["ADDED", "MODIFIED", "DELETED"])
        self.assertIsInstance(events[0][1], client.V1Pod)
        self.assertEqual(events[1][1].metadata.labels.get("seen"), "yes")
        # versions only grow along the stream
        rvs = [int(e[1].metadata.resource_version) for e in events]
        self.assertEqual(rvs, sorted(rvs))
        self.assertGreater(rvs[0], int(rv))

    def test_03_watch_resumes_after_410_by_relisting(self):
        v1 = self.api()
        old_rv = v1.list_namespaced_pod("py").metadata.resource_version
        for i in range(3):
            v1.create_namespaced_pod("py", pod(f"late{i}"))
        # A restarted server keeps every object but no event history from before its start: a
        # client resuming from a version older than that is told 410 Gone and must list again.
        self.server.restart()
        v1 = self.api()
        with self.assertRaises(ApiException) as err:
            for _ in watch.Watch().stream(v1.list_namespaced_pod, "py", resource_version=old_rv, timeout_seconds=5):
                pass
        self.assertEqual(err.exception.status, 410)
        # Relist (the reflector's answer to 410), then watch from the new version.
        relisted = v1.list_namespaced_pod("py")
        self.assertTrue({"late0", "late1", "late2"} <= {p.metadata.name for p in relisted.items})
        new_rv = relisted.metadata.resource_version
        threading.Timer(0.3, lambda: self.api().create_namespaced_pod("py", pod("after-410"))).start()
        w = watch.Watch()
        seen = None
        for ev in w.stream(v1.list_namespaced_pod, "py", resource_version=new_rv, timeout_seconds=15):
            seen = (ev["type"], ev["object"].metadata.name)
            w.stop()
        self.assertEqual(seen, ("ADDED", "after-410"))


if __name__ == "__main__":
    import harness
    harness.main()
