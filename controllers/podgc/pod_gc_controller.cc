#include "controllers/podgc/pod_gc_controller.h"

#include <algorithm>

#include "controllers/framework/object_util.h"
#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
// Not a "ns/name": the queue key of the finished-pods sweep.
constexpr const char* kTerminatedKey = "\x01terminated";

bool IsFinished(const Json& pod) {
  const std::string phase = jsonx::Str(pod, "status.phase");
  return phase == "Succeeded" || phase == "Failed";
}

}  // namespace

void PodGcController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "pods",
                       .on_add = [this](const store::ObjectPtr& p) { OnPod(p); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& p) { OnPod(p); },
                       .on_delete = [this](const store::ObjectPtr& p) { OnPodGone(p); }});
  informer.AddHandler({.resource = "nodes", .on_delete = [this](const store::ObjectPtr& node) {
                         for (const auto& p : ctx_.informer->List("pods")) {
                           if (jsonx::Str(*View(p), "spec.nodeName") == node->key.name) {
                             EnqueueAfter(p->key.ns + "/" + p->key.name, quarantine_);
                           }
                         }
                       }});
}

void PodGcController::Start() {
  // Pods that were bound to missing nodes before a restart: one pass after the cache synced.
  for (const auto& p : ctx_.informer->List("pods")) {
    const std::string node = jsonx::Str(*View(p), "spec.nodeName");
    if (!node.empty() && !ctx_.informer->Get("nodes", "", node)) {
      EnqueueAfter(p->key.ns + "/" + p->key.name, quarantine_);
    }
  }
}

void PodGcController::OnPod(const store::ObjectPtr& pod_obj) {
  const store::JsonPtr pod = View(pod_obj);
  if (IsFinished(*pod)) {
    bool over = false;
    {
      std::lock_guard lock(mu_);
      terminated_.insert(pod_obj->key.ns + "/" + pod_obj->key.name);
      over = terminated_.size() > ctx_.terminated_pod_gc_threshold;
    }
    if (over) Enqueue(kTerminatedKey);
  }
  const std::string node = jsonx::Str(*pod, "spec.nodeName");
  if (!node.empty() && !ctx_.informer->Get("nodes", "", node)) {
    EnqueueAfter(pod_obj->key.ns + "/" + pod_obj->key.name, quarantine_);
  }
}

void PodGcController::OnPodGone(const store::ObjectPtr& pod_obj) {
  std::lock_guard lock(mu_);
  terminated_.erase(pod_obj->key.ns + "/" + pod_obj->key.name);
}

Outcome PodGcController::Reconcile(const std::string& key) {
  if (key == kTerminatedKey) return CollectTerminated();
  const auto [ns, name] = SplitKey(key);
  return CollectOrphan(ns, name);
}

Outcome PodGcController::CollectTerminated() {
  std::vector<std::pair<std::string, store::ObjectPtr>> finished;  // (creationTimestamp, pod)
  for (const auto& p : ctx_.informer->List("pods")) {
    const store::JsonPtr v = View(p);
    if (IsFinished(*v) && !IsTerminating(*v)) finished.emplace_back(jsonx::Str(*v, "metadata.creationTimestamp"), p);
  }
  if (finished.size() <= ctx_.terminated_pod_gc_threshold) return Outcome::kDone;
  const std::size_t excess = finished.size() - ctx_.terminated_pod_gc_threshold;
  // RFC 3339 in UTC sorts as text; ties by name keep the order stable.
  std::partial_sort(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(excess), finished.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first < b.first : a.second->key.name < b.second->key.name;
                    });
  const resource::Kind* pods = ctx_.objects->Find("", "pods");
  bool failed = false;
  for (std::size_t i = 0; i < excess; ++i) {
    const store::ObjectPtr& p = finished[i].second;
    auto res = ctx_.objects->Delete(
        *pods, p->key.ns, p->key.name,
        registry::DeleteOptions{.uid_precondition = jsonx::Str(*View(p), "metadata.uid"), .grace_period_seconds = 0});
    if (!res && res.error().code != ErrorCode::kNotFound && res.error().code != ErrorCode::kConflict) failed = true;
  }
  return failed ? Outcome::kRetry : Outcome::kDone;
}

Outcome PodGcController::CollectOrphan(const std::string& ns, const std::string& name) {
  auto pod_obj = ctx_.informer->Get("pods", ns, name);
  if (!pod_obj) return Outcome::kDone;
  const store::JsonPtr pod = View(pod_obj);
  const std::string node = jsonx::Str(*pod, "spec.nodeName");
  if (node.empty() || ctx_.informer->Get("nodes", "", node)) return Outcome::kDone;
  // The cache could lag a node's creation: confirm with the store, as kube's podgc does.
  const resource::Kind* nodes = ctx_.objects->Find("", "nodes");
  if (nodes == nullptr || ctx_.objects->Get(*nodes, "", node).ok()) return Outcome::kDone;
  const resource::Kind* pods = ctx_.objects->Find("", "pods");
  const std::string uid = jsonx::Str(*pod, "metadata.uid");
  // kube marks the pod Failed with a DisruptionTarget condition before it force-deletes it, so a
  // Job controller watching sees why its pod went.
  if (!IsFinished(*pod)) {
    auto marked = ctx_.objects->GuaranteedUpdate(
        *pods, ns, name,
        [&](const Json& cur) -> Result<Json> {
          if (jsonx::Str(cur, "metadata.uid") != uid) return Error::Make(ErrorCode::kConflict, "pod replaced");
          Json n = cur;
          Json& status = n["status"];
          if (!status.is_object()) status = Json::object();
          status["phase"] = "Failed";
          SetCondition(status, "DisruptionTarget", "True", "DeletionByPodGC", "PodGC: node no longer exists",
                       std::chrono::system_clock::now());
          return n;
        },
        registry::WriteOptions{.subresource = "status"});
    if (!marked && marked.error().code != ErrorCode::kNotFound && marked.error().code != ErrorCode::kConflict) {
      return Outcome::kRetry;
    }
  }
  auto res = ctx_.objects->Delete(*pods, ns, name,
                                  registry::DeleteOptions{.uid_precondition = uid, .grace_period_seconds = 0});
  if (!res && res.error().code != ErrorCode::kNotFound && res.error().code != ErrorCode::kConflict)
    return Outcome::kRetry;
  VKUBE_LOG(kInfo) << ctx_.tenant << ": podgc: deleted " << ns << "/" << name << " (node " << node
                   << " no longer exists)";
  return Outcome::kDone;
}

}  // namespace vkube::controllers
