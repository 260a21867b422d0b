#include "controllers/daemonset/daemon_set_controller.h"

#include <map>

#include "controllers/deployment/deployment_controller.h"
#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "controllers/framework/pod_control.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kRevisionLabel = "controller-revision-hash";

bool NodeSelected(const Json& ds, const Json& node) {
  const Json& sel = jsonx::At(ds, "spec.template.spec.nodeSelector");
  if (!sel.is_object()) return true;
  const Json& labels = jsonx::At(node, "metadata.labels");
  for (auto& [k, v] : sel.items()) {
    if (jsonx::Child(labels, k) != v) return false;
  }
  return true;
}

// The node a daemon pod is pinned to: spec.nodeName, else its metadata.name node affinity.
std::string TargetNode(const Json& pod) {
  if (auto n = jsonx::Str(pod, "spec.nodeName"); !n.empty()) return n;
  const Json& terms = jsonx::At(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  if (!terms.is_array()) return "";
  for (const auto& t : terms) {
    const Json& fields = jsonx::Child(t, "matchFields");
    if (!fields.is_array()) continue;
    for (const auto& f : fields) {
      if (jsonx::Str(f, "key") == "metadata.name" && jsonx::Size(f, "values") == 1) return f["values"][0].get<std::string>();
    }
  }
  return "";
}

}  // namespace

void DaemonSetController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, "apps/daemonsets");
  EnqueueOwnerOnEvents(informer, "pods", "DaemonSet");
  // Nodes come and go (the syncer shows only nodes running tenant pods): every set re-plans.
  informer.AddHandler({.resource = "nodes",
                       .on_add = [this](const store::ObjectPtr&) { EnqueueAll(); },
                       .on_update = [this](const store::ObjectPtr& old, const store::ObjectPtr& n) {
                         if (jsonx::At(*View(old), "metadata.labels") != jsonx::At(*View(n), "metadata.labels")) EnqueueAll();
                       },
                       .on_delete = [this](const store::ObjectPtr&) { EnqueueAll(); }});
}

void DaemonSetController::EnqueueAll() {
  for (const auto& ds : ctx_.informer->List("apps/daemonsets")) Enqueue(ds);
}

Outcome DaemonSetController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto ds_obj = ctx_.informer->Get("apps/daemonsets", ns, name);
  if (!ds_obj) return Outcome::kDone;
  const Json ds = Parse(ds_obj);
  if (IsTerminating(ds)) return Outcome::kDone;
  const std::string uid = jsonx::Str(ds, "metadata.uid");
  const std::string revision = PodTemplateHash(jsonx::At(ds, "spec.template"), 0);
  const auto now = std::chrono::system_clock::now();
  const std::int64_t min_ready = jsonx::Int(ds, "spec.minReadySeconds", 0);

  std::map<std::string, Json> wanted;  // node name → node
  for (const auto& n : ctx_.informer->List("nodes")) {
    Json node = Parse(n);
    if (NodeSelected(ds, node)) wanted.emplace(n->key.name, std::move(node));
  }
  std::map<std::string, std::vector<Json>> by_node;
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    Json pod = Parse(p);
    auto ref = ControllerRef(pod);
    if (!ref || ref->uid != uid || IsTerminating(pod)) continue;
    by_node[TargetNode(pod)].push_back(std::move(pod));
  }
  Status st;
  std::int64_t scheduled = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  std::vector<const Json*> outdated;
  for (auto& [node, pods] : by_node) {
    if (!wanted.count(node)) {
      misscheduled += static_cast<std::int64_t>(pods.size());
      for (const auto& p : pods) {
        if (st) st = DeletePod(*ctx_.objects, ns, jsonx::Str(p, "metadata.name"), jsonx::Str(p, "metadata.uid"));
      }
      continue;
    }
    ++scheduled;
    // Duplicates on one node: keep the oldest.
    for (std::size_t i = 1; i < pods.size() && st; ++i) {
      st = DeletePod(*ctx_.objects, ns, jsonx::Str(pods[i], "metadata.name"), jsonx::Str(pods[i], "metadata.uid"));
    }
    const Json& p = pods[0];
    ready += IsPodReady(p);
    available += IsPodAvailable(p, min_ready, now);
    if (jsonx::Child(jsonx::At(p, "metadata.labels"), kRevisionLabel) == Json(revision)) {
      ++updated;
    } else {
      outdated.push_back(&p);
    }
  }
  for (const auto& [node, _] : wanted) {
    if (by_node.count(node) || !st) continue;
    Json pod = PodFromTemplate(jsonx::At(ds, "spec.template"), ds, ns, name + "-");
    pod["metadata"]["labels"][kRevisionLabel] = revision;
    // Pinned with node affinity (not nodeName) so the scheduler — the host's — still places it.
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = {
        {"nodeSelectorTerms", {{{"matchFields", {{{"key", "metadata.name"}, {"operator", "In"}, {"values", {node}}}}}}}}};
    Json& tolerations = pod["spec"]["tolerations"];
    if (!tolerations.is_array()) tolerations = Json::array();
    for (const char* t : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure",
                          "node.kubernetes.io/memory-pressure", "node.kubernetes.io/pid-pressure",
                          "node.kubernetes.io/unschedulable"}) {
      tolerations.push_back({{"key", t}, {"operator", "Exists"}, {"effect", std::string(t).find("not-ready") != std::string::npos ||
                                                                              std::string(t).find("unreachable") != std::string::npos
                                                                          ? "NoExecute"
                                                                          : "NoSchedule"}});
    }
    auto res = CreatePod(*ctx_.objects, ns, std::move(pod));
    if (!res) st = res.take_error();
  }
  // RollingUpdate: replace out-of-date pods, at most maxUnavailable not available at a time.
  if (st && jsonx::Str(ds, "spec.updateStrategy.type", "RollingUpdate") == "RollingUpdate" && !outdated.empty()) {
    const int desired = static_cast<int>(wanted.size());
    int max_unavailable =
        ScaledValue(jsonx::At(ds, "spec.updateStrategy.rollingUpdate.maxUnavailable"), desired, true, 1);
    if (max_unavailable < 1) max_unavailable = 1;
    std::int64_t unavailable = scheduled - available + static_cast<std::int64_t>(wanted.size()) - scheduled;
    for (const Json* p : outdated) {
      if (unavailable >= max_unavailable || !st) break;
      st = DeletePod(*ctx_.objects, ns, jsonx::Str(*p, "metadata.name"), jsonx::Str(*p, "metadata.uid"));
      if (IsPodAvailable(*p, min_ready, now)) ++unavailable;
    }
  }
  Json status = jsonx::At(ds, "status").is_object() ? ds["status"] : Json::object();
  Json next = status;
  next["observedGeneration"] = jsonx::Int(ds, "metadata.generation", 1);
  next["desiredNumberScheduled"] = static_cast<std::int64_t>(wanted.size());
  next["currentNumberScheduled"] = scheduled;
  next["numberMisscheduled"] = misscheduled;
  next["numberReady"] = ready;
  next["numberAvailable"] = available;
  next["updatedNumberScheduled"] = updated;
  next["numberUnavailable"] = static_cast<std::int64_t>(wanted.size()) - available;
  for (const char* f : {"numberAvailable", "updatedNumberScheduled", "numberUnavailable"}) {
    if (next[f] == 0) next.erase(f);
  }
  if (next != status) {
    const resource::Kind* kind = ctx_.objects->Find("apps", "daemonsets");
    if (auto s = UpdateStatus(*ctx_.objects, *kind, ds, next); !s) return RetryUnlessStale(s.error());
  }
  if (!st) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": daemonset " << key << ": " << st.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
