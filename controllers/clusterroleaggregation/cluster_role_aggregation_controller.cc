#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"

#include "controllers/framework/object_util.h"
#include "libs/auth/bootstrap_policy.h"

namespace vkube::controllers {
namespace {
constexpr const char* kClusterRoles = "rbac.authorization.k8s.io/clusterroles";
}  // namespace

void ClusterRoleAggregationController::Register(SharedInformer& informer) {
  // Any ClusterRole change may change what an aggregated role selects: re-check them all (few).
  auto any = [this](const store::ObjectPtr&) { EnqueueAggregated(); };
  informer.AddHandler({.resource = kClusterRoles,
                       .on_add = any,
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr&) { EnqueueAggregated(); },
                       .on_delete = any});
}

void ClusterRoleAggregationController::Start() { EnqueueAggregated(); }

void ClusterRoleAggregationController::EnqueueAggregated() {
  for (const auto& role : ctx_.informer->List(kClusterRoles)) {
    // Cheap pre-filter on the bytes; Reconcile parses.
    if (role->json.find("\"aggregationRule\"") != std::string::npos) Enqueue("/" + role->key.name);
  }
}

Outcome ClusterRoleAggregationController::Reconcile(const std::string& key) {
  const std::string name = SplitKey(key).second;
  auto obj = ctx_.informer->Get(kClusterRoles, "", name);
  if (!obj) return Outcome::kDone;
  Json role = Parse(obj);
  std::vector<Json> all;
  for (const auto& other : ctx_.informer->List(kClusterRoles)) all.push_back(Parse(other));
  auto rules = auth::AggregatedRules(role, all);
  if (!rules) return Outcome::kDone;
  Json want = auth::RulesToJson(*rules);
  if (role.contains("rules") && role["rules"] == want) return Outcome::kDone;
  if (!role.contains("rules") && want.empty()) return Outcome::kDone;
  const resource::Kind* kind = ctx_.objects->Find("rbac.authorization.k8s.io", "clusterroles");
  if (kind == nullptr) return Outcome::kDone;
  const std::string rv = role["metadata"].value("resourceVersion", "");
  auto res = ctx_.objects->GuaranteedUpdate(*kind, "", name, [&](const Json& cur) -> Result<Json> {
    Json next = cur;
    next["rules"] = want;
    next["metadata"]["resourceVersion"] = rv;  // precondition: written against what we read
    return next;
  });
  if (!res) {
    if (res.error().code == ErrorCode::kNotFound) return Outcome::kDone;
    return RetryUnlessStale(res.error());
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
