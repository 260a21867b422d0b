#include "libs/auth/bootstrap_policy.h"

#include <algorithm>
#include <string>

#include "libs/resource/selector.h"

namespace vkube::auth {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

constexpr const char* kRbac = "rbac.authorization.k8s.io";
const Strings kRead = {"get", "list", "watch"};
const Strings kWrite = {"create", "update", "patch", "delete", "deletecollection"};
const Strings kReadWrite = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};

PolicyRule Rule(Strings verbs, Strings groups, Strings resources) {
  return PolicyRule{std::move(verbs), std::move(groups), std::move(resources), {}, {}};
}
PolicyRule Urls(Strings verbs, Strings urls) { return PolicyRule{std::move(verbs), {}, {}, {}, std::move(urls)}; }

json Meta(const std::string& name, json labels = json::object()) {
  labels["kubernetes.io/bootstrapping"] = "rbac-defaults";
  return {{"name", name},
          {"labels", std::move(labels)},
          {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}};
}

json ClusterRole(const std::string& name, const std::vector<PolicyRule>& rules, json labels = json::object()) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", Meta(name, std::move(labels))},
          {"rules", RulesToJson(rules)}};
}

json Aggregating(const std::string& name, const std::string& aggregate_label, json labels = json::object()) {
  json role = ClusterRole(name, {}, std::move(labels));
  role["aggregationRule"] = {{"clusterRoleSelectors", json::array({{{"matchLabels", {{aggregate_label, "true"}}}}})}};
  return role;
}

json Label(const std::string& key) { return {{key, "true"}}; }

json ClusterRoleBinding(const std::string& name, const Strings& groups) {
  json subjects = json::array();
  for (const auto& g : groups) subjects.push_back({{"apiGroup", kRbac}, {"kind", "Group"}, {"name", g}});
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", Meta(name)},
          {"roleRef", {{"apiGroup", kRbac}, {"kind", "ClusterRole"}, {"name", name}}},
          {"subjects", std::move(subjects)}};
}

std::vector<PolicyRule> ViewRules() {
  return {
      Rule(kRead, {""},
           {"pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
            "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"}),
      Rule(kRead, {""},
           {"limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
            "namespaces/status", "replicationcontrollers/status", "pods/log"}),
      // read access to namespaces at the namespace scope: reading *this* namespace
      Rule(kRead, {""}, {"namespaces"}),
      Rule(kRead, {"discovery.k8s.io"}, {"endpointslices"}),
      Rule(kRead, {"apps"},
           {"controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
            "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets",
            "replicasets/status", "replicasets/scale"}),
      Rule(kRead, {"autoscaling"}, {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}),
      Rule(kRead, {"batch"}, {"jobs", "cronjobs", "cronjobs/status", "jobs/status"}),
      Rule(kRead, {"extensions"},
           {"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
            "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
            "replicationcontrollers/scale", "networkpolicies"}),
      Rule(kRead, {"policy"}, {"poddisruptionbudgets", "poddisruptionbudgets/status"}),
      Rule(kRead, {"networking.k8s.io"}, {"networkpolicies", "ingresses", "ingresses/status"}),
  };
}

std::vector<PolicyRule> EditRules() {
  return {
      // read on escalating resources
      Rule(kRead, {""}, {"pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"}),
      Rule({"impersonate"}, {""}, {"serviceaccounts"}),
      Rule(kWrite, {""}, {"pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"}),
      Rule({"create"}, {""}, {"pods/eviction"}),
      Rule(kWrite, {""},
           {"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy",
            "persistentvolumeclaims", "configmaps", "secrets", "events"}),
      Rule({"create"}, {""}, {"serviceaccounts/token"}),
      Rule(kWrite, {"apps"},
           {"statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
            "deployments/rollback", "replicasets", "replicasets/scale"}),
      Rule(kWrite, {"autoscaling"}, {"horizontalpodautoscalers"}),
      Rule(kWrite, {"batch"}, {"jobs", "cronjobs"}),
      Rule(kWrite, {"extensions"},
           {"daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets",
            "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"}),
      Rule(kWrite, {"policy"}, {"poddisruptionbudgets"}),
      Rule(kWrite, {"networking.k8s.io"}, {"networkpolicies", "ingresses"}),
      Rule(kReadWrite, {"coordination.k8s.io"}, {"leases"}),
  };
}

std::vector<PolicyRule> AdminRules() {
  return {
      Rule({"create"}, {"authorization.k8s.io"}, {"localsubjectaccessreviews"}),
      Rule(kReadWrite, {kRbac}, {"roles", "rolebindings"}),
  };
}

bool HasAggregationRule(const json& role) {
  return role.is_object() && role.contains("aggregationRule") && role["aggregationRule"].is_object();
}

std::string NameOf(const json& role) {
  if (!role.is_object() || !role.contains("metadata") || !role["metadata"].is_object()) return "";
  const json& m = role["metadata"];
  auto it = m.find("name");
  return it != m.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& LabelsOf(const json& role) {
  static const json kEmpty = json::object();
  if (!role.is_object() || !role.contains("metadata") || !role["metadata"].is_object()) return kEmpty;
  auto it = role["metadata"].find("labels");
  return it != role["metadata"].end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

std::vector<json> BootstrapClusterRoles() {
  std::vector<json> roles = {
      ClusterRole("cluster-admin", {Rule({"*"}, {"*"}, {"*"}), Urls({"*"}, {"*"})}),
      ClusterRole("system:discovery",
                  {Urls({"get"}, {"/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*",
                                  "/api", "/api/*", "/apis", "/apis/*"})}),
      ClusterRole("system:monitoring", {Urls({"get"}, {"/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz",
                                                       "/livez/*", "/readyz/*", "/healthz/*"})}),
      ClusterRole("system:basic-user",
                  {Rule({"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}),
                   Rule({"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"})}),
      ClusterRole("system:public-info-viewer",
                  {Urls({"get"}, {"/livez", "/readyz", "/healthz", "/version", "/version/"})}),
      Aggregating("admin", "rbac.authorization.k8s.io/aggregate-to-admin"),
      Aggregating("edit", "rbac.authorization.k8s.io/aggregate-to-edit",
                  Label("rbac.authorization.k8s.io/aggregate-to-admin")),
      Aggregating("view", "rbac.authorization.k8s.io/aggregate-to-view",
                  Label("rbac.authorization.k8s.io/aggregate-to-edit")),
      ClusterRole("system:aggregate-to-admin", AdminRules(), Label("rbac.authorization.k8s.io/aggregate-to-admin")),
      ClusterRole("system:aggregate-to-edit", EditRules(), Label("rbac.authorization.k8s.io/aggregate-to-edit")),
      ClusterRole("system:aggregate-to-view", ViewRules(), Label("rbac.authorization.k8s.io/aggregate-to-view")),
      ClusterRole("system:auth-delegator", {Rule({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
                                            Rule({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"})}),
  };
  // Aggregate as the controller would, until nothing changes (view feeds edit feeds admin).
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& role : roles) {
      auto rules = AggregatedRules(role, roles);
      if (!rules) continue;
      json next = RulesToJson(*rules);
      if (next != role["rules"]) {
        role["rules"] = std::move(next);
        changed = true;
      }
    }
  }
  return roles;
}

std::vector<json> BootstrapClusterRoleBindings() {
  return {
      ClusterRoleBinding("cluster-admin", {"system:masters"}),
      ClusterRoleBinding("system:monitoring", {"system:monitoring"}),
      ClusterRoleBinding("system:discovery", {"system:authenticated"}),
      ClusterRoleBinding("system:basic-user", {"system:authenticated"}),
      ClusterRoleBinding("system:public-info-viewer", {"system:authenticated", "system:unauthenticated"}),
  };
}

std::optional<std::vector<PolicyRule>> AggregatedRules(const json& role, const std::vector<json>& all) {
  if (!HasAggregationRule(role)) return std::nullopt;
  std::vector<PolicyRule> out;
  const std::string self = NameOf(role);
  const json& selectors = role["aggregationRule"].value("clusterRoleSelectors", json::array());
  if (!selectors.is_array()) return out;
  for (const auto& sel : selectors) {
    auto selector = resource::LabelSelector::FromJson(sel);
    if (!selector) continue;
    std::vector<const json*> matched;
    for (const auto& other : all) {
      if (other.is_object() && NameOf(other) != self && selector->MatchesJson(LabelsOf(other)))
        matched.push_back(&other);
    }
    std::sort(matched.begin(), matched.end(), [](const json* a, const json* b) { return NameOf(*a) < NameOf(*b); });
    for (const json* other : matched) {
      for (auto& rule : RulesFromJson(other->value("rules", json::array()))) {
        if (std::find(out.begin(), out.end(), rule) == out.end()) out.push_back(std::move(rule));
      }
    }
  }
  return out;
}

}  // namespace vkube::auth
