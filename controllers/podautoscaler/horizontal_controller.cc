#include "controllers/podautoscaler/horizontal_controller.h"

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/registry/scale.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
constexpr const char* kHpas = "autoscaling/horizontalpodautoscalers";

}  // namespace

void HorizontalController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, kHpas);
  auto targeted = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { EnqueueTargeting(o); };
  for (const char* r : {"apps/deployments", "apps/replicasets", "apps/statefulsets", "replicationcontrollers"}) {
    informer.AddHandler({.resource = r,
                         .on_add = [this](const store::ObjectPtr& o) { EnqueueTargeting(o); },
                         .on_update = targeted,
                         .on_delete = [this](const store::ObjectPtr& o) { EnqueueTargeting(o); }});
  }
}

void HorizontalController::EnqueueTargeting(const store::ObjectPtr& obj) {
  for (const auto& hpa : ctx_.informer->List(kHpas, obj->key.ns)) {
    if (jsonx::Str(*View(hpa), "spec.scaleTargetRef.name") == obj->key.name) Enqueue(hpa);
  }
}

Outcome HorizontalController::Reconcile(const std::string& key) {
  const auto [ns, name] = SplitKey(key);
  auto hpa_obj = ctx_.informer->Get(kHpas, ns, name);
  if (!hpa_obj) return Outcome::kDone;
  const store::JsonPtr hpa_view = View(hpa_obj);
  const Json& hpa = *hpa_view;
  if (IsTerminating(hpa)) return Outcome::kDone;

  const Json& old = jsonx::At(hpa, "status");
  Json next = old.is_object() ? old : Json::object();
  const SystemTime now = std::chrono::system_clock::now();
  const std::string api_version = jsonx::Str(hpa, "spec.scaleTargetRef.apiVersion");
  const std::string target_kind = jsonx::Str(hpa, "spec.scaleTargetRef.kind");
  const std::string target_name = jsonx::Str(hpa, "spec.scaleTargetRef.name");
  const auto slash = api_version.find('/');
  const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  auto kinds = ctx_.objects->kinds();
  const resource::Kind* kind = kinds->FindByKind(group, version, target_kind);
  store::ObjectPtr target =
      kind && registry::HasScale(*kind) ? ctx_.informer->Get(kind->info.StorageResource(), ns, target_name) : nullptr;
  const resource::Kind* hpa_kind = ctx_.objects->Find("autoscaling", "horizontalpodautoscalers");
  if (!target) {
    std::string what = kind ? kind->info.resource + (group.empty() ? "" : "." + group) : target_kind;
    SetCondition(next, "AbleToScale", "False", "FailedGetScale",
                 "the HPA controller was unable to get the target's current scale: " + what + " \"" + target_name +
                     "\" not found",
                 now);
    if (next == old) return Outcome::kDone;
    if (auto s = UpdateStatus(*ctx_.objects, *hpa_kind, hpa, next); !s) return RetryUnlessStale(s.error());
    return Outcome::kDone;
  }

  const store::JsonPtr target_view = View(target);  // keeps the shared parse alive
  const Json& t = *target_view;
  // Through the kind's Scale view: a custom resource keeps its replicas at its CRD's scale paths.
  const Json scale_view = registry::ToScale(*kind, t);
  const std::int64_t current = jsonx::Int(scale_view, "spec.replicas", 1);
  const std::int64_t min = jsonx::Int(hpa, "spec.minReplicas", 1);
  const std::int64_t max = jsonx::Int(hpa, "spec.maxReplicas", 1);
  std::int64_t desired = current;
  bool rescale = false;
  next["currentReplicas"] = jsonx::Int(scale_view, "status.replicas", 0);
  if (current == 0 && min != 0) {
    desired = 0;
    SetCondition(next, "ScalingActive", "False", "ScalingDisabled",
                 "scaling is disabled since the replica count of the target is zero", now);
  } else if (current > max || current < min) {
    desired = current > max ? max : min;
    rescale = true;
  } else {
    // The metrics pipeline kube would consult next is absent: same condition, no rescale.
    SetCondition(next, "ScalingActive", "False", "FailedGetResourceMetric",
                 "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get "
                 "metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not "
                 "find the requested resource (get pods.metrics.k8s.io)",
                 now);
  }
  if (rescale) {
    auto res = ctx_.objects->GuaranteedUpdate(*kind, ns, target_name, [&](const Json& cur) -> Result<Json> {
      Json scale = registry::ToScale(*kind, cur);
      scale["spec"]["replicas"] = desired;
      return registry::ApplyScale(*kind, cur, scale);
    });
    if (!res) {
      SetCondition(next, "AbleToScale", "False", "FailedUpdateScale",
                   "the HPA controller was unable to update the target scale: " + res.error().message, now);
    } else {
      SetCondition(next, "AbleToScale", "True", "SucceededRescale",
                   "the HPA controller was able to update the target scale to " + std::to_string(desired), now);
      next["lastScaleTime"] = FormatRfc3339(now);
    }
  } else {
    SetCondition(next, "AbleToScale", "True", "SucceededGetScale",
                 "the HPA controller was able to get the target's current scale", now);
  }
  next["desiredReplicas"] = desired;
  next.erase("currentMetrics");  // kube omits it when no metric could be read
  next["observedGeneration"] = jsonx::Int(hpa, "metadata.generation", 1);
  if (next == old) return Outcome::kDone;
  if (auto s = UpdateStatus(*ctx_.objects, *hpa_kind, hpa, next); !s) {
    if (s.error().code != ErrorCode::kConflict) {
      VKUBE_LOG(kWarn) << ctx_.tenant << ": horizontalpodautoscaler " << key << ": " << s.error().message;
    }
    return RetryUnlessStale(s.error());
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
