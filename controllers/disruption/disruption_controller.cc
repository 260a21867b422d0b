#include "controllers/disruption/disruption_controller.h"

#include <set>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
constexpr const char* kPdbs = "policy/poddisruptionbudgets";

// Kinds whose pods a budget counts through their scale (kube's finders), as storage resources.
std::string ScaleResourceOf(const std::string& api_version, const std::string& kind) {
  const std::string group = api_version.substr(0, api_version.find('/'));
  if (kind == "ReplicaSet" && group == "apps") return "apps/replicasets";
  if (kind == "StatefulSet" && group == "apps") return "apps/statefulsets";
  if (kind == "ReplicationController" && api_version == "v1") return "replicationcontrollers";
  if (kind == "Deployment" && group == "apps") return "apps/deployments";
  return "";
}

}  // namespace

void DisruptionController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, kPdbs);
  auto by_ns = [this](const store::ObjectPtr& o) { EnqueueNamespace(o->key.ns); };
  auto by_ns_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { EnqueueNamespace(o->key.ns); };
  for (const char* r :
       {"pods", "apps/replicasets", "apps/deployments", "apps/statefulsets", "replicationcontrollers"}) {
    informer.AddHandler({.resource = r, .on_add = by_ns, .on_update = by_ns_update, .on_delete = by_ns});
  }
}

void DisruptionController::EnqueueNamespace(const std::string& ns) {
  for (const auto& pdb : ctx_.informer->List(kPdbs, ns)) Enqueue(pdb);
}

Result<std::int64_t> DisruptionController::ExpectedScale(const std::vector<store::JsonPtr>& pods) const {
  std::set<std::string> counted;  // controller uids
  std::int64_t expected = 0;
  for (const auto& pod : pods) {
    const std::string name = jsonx::Str(*pod, "metadata.name");
    auto ref = ControllerRef(*pod);
    if (!ref) return Error::Make(ErrorCode::kInvalid, "found no controller ref for pod \"" + name + "\"");
    if (counted.count(ref->uid) != 0) continue;
    const std::string ns = jsonx::Str(*pod, "metadata.namespace");
    std::string resource = ScaleResourceOf(ref->api_version, ref->kind);
    store::ObjectPtr owner = resource.empty() ? nullptr : ctx_.informer->Get(resource, ns, ref->name);
    // A ReplicaSet owned by a Deployment scales with the Deployment (kube's finder order).
    if (owner && ref->kind == "ReplicaSet") {
      auto up = ControllerRef(*View(owner));
      if (up && up->kind == "Deployment") {
        if (auto d = ctx_.informer->Get("apps/deployments", ns, up->name); d && View(d)->is_object()) {
          if (counted.insert(up->uid).second) expected += jsonx::Int(*View(d), "spec.replicas", 1);
          counted.insert(ref->uid);
          continue;
        }
      }
    }
    if (!owner || jsonx::Str(*View(owner), "metadata.uid") != ref->uid) {
      return Error::Make(ErrorCode::kInvalid, "found no controllers for pod \"" + name + "\"");
    }
    counted.insert(ref->uid);
    expected += jsonx::Int(*View(owner), "spec.replicas", 1);
  }
  return expected;
}

Outcome DisruptionController::Reconcile(const std::string& key) {
  const auto [ns, name] = SplitKey(key);
  auto pdb_obj = ctx_.informer->Get(kPdbs, ns, name);
  if (!pdb_obj) return Outcome::kDone;
  const store::JsonPtr pdb_view = View(pdb_obj);
  const Json& pdb = *pdb_view;
  if (IsTerminating(pdb)) return Outcome::kDone;

  // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
  const Json& sel_json = jsonx::At(pdb, "spec.selector");
  resource::LabelSelector selector = resource::LabelSelector::Nothing();
  if (sel_json.is_object()) {
    if (auto s = resource::LabelSelector::FromJson(sel_json)) selector = std::move(*s);
  }
  std::vector<store::JsonPtr> pods;
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    store::JsonPtr v = View(p);
    if (!IsTerminating(*v) && selector.MatchesJson(jsonx::At(*v, "metadata.labels"))) pods.push_back(std::move(v));
  }
  std::int64_t healthy = 0;
  for (const auto& p : pods) healthy += IsPodReady(*p) ? 1 : 0;

  const Json& min_available = jsonx::At(pdb, "spec.minAvailable");
  const Json& max_unavailable = jsonx::At(pdb, "spec.maxUnavailable");
  std::int64_t expected = 0, desired = 0;
  Status sync;
  if (!max_unavailable.is_null()) {
    auto scale = ExpectedScale(pods);
    if (scale) {
      expected = *scale;
      desired = std::max<std::int64_t>(0, expected - ScaledValue(max_unavailable, static_cast<int>(expected), true, 0));
    } else {
      sync = scale.take_error();
    }
  } else if (min_available.is_number_integer()) {
    expected = static_cast<std::int64_t>(pods.size());
    desired = min_available.get<std::int64_t>();
  } else if (min_available.is_string()) {
    auto scale = ExpectedScale(pods);
    if (scale) {
      expected = *scale;
      desired = ScaledValue(min_available, static_cast<int>(expected), true, 0);
    } else {
      sync = scale.take_error();
    }
  }

  const Json& old = jsonx::At(pdb, "status");
  Json next = old.is_object() ? old : Json::object();
  const SystemTime now = std::chrono::system_clock::now();
  if (!sync) {
    // kube's failSafe: nothing may be disrupted while the budget cannot be computed.
    next["disruptionsAllowed"] = 0;
    SetCondition(next, "DisruptionAllowed", "False", "SyncFailed", sync.error().message, now);
  } else {
    std::int64_t allowed = healthy - desired;
    if (expected <= 0 || allowed <= 0) allowed = 0;
    next["currentHealthy"] = healthy;
    next["desiredHealthy"] = desired;
    next["expectedPods"] = expected;
    next["disruptionsAllowed"] = allowed;
    if (allowed > 0) {
      SetCondition(next, "DisruptionAllowed", "True", "SufficientPods", "", now);
    } else {
      SetCondition(next, "DisruptionAllowed", "False", "InsufficientPods", "", now);
    }
  }
  if (!next.contains("disruptedPods")) next["disruptedPods"] = Json::object();
  next["observedGeneration"] = jsonx::Int(pdb, "metadata.generation", 1);
  if (next == old) return Outcome::kDone;
  const resource::Kind* kind = ctx_.objects->Find("policy", "poddisruptionbudgets");
  if (auto s = UpdateStatus(*ctx_.objects, *kind, pdb, next); !s) return RetryUnlessStale(s.error());
  return Outcome::kDone;
}

}  // namespace vkube::controllers
