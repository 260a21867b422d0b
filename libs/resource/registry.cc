#include "libs/resource/registry.h"

#include <algorithm>

#include "libs/resource/kinds/builtin_kinds.h"

namespace vkube::resource {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

Kind Make(std::string group, std::string version, std::string resource, std::string kind, std::string singular,
          bool namespaced, std::vector<std::string> short_names, std::vector<std::string> categories, bool has_status,
          std::shared_ptr<const Strategy> strategy, std::vector<std::string> verbs = kAllVerbs) {
  Kind k;
  k.info.group = std::move(group);
  k.info.version = std::move(version);
  k.info.resource = std::move(resource);
  k.info.kind = std::move(kind);
  k.info.singular = std::move(singular);
  k.info.namespaced = namespaced;
  k.info.short_names = std::move(short_names);
  k.info.categories = std::move(categories);
  k.info.verbs = std::move(verbs);
  k.info.has_status = has_status;
  k.strategy = std::move(strategy);
  return k;
}

}  // namespace

std::shared_ptr<const Registry> Registry::BuiltIn() {
  std::vector<Kind> kinds;
  // core/v1, as kube-apiserver 1.32 reports them in discovery.
  const std::vector<std::string> kReadOnly = {"get", "list"};
  kinds.push_back(Make("", "v1", "componentstatuses", "ComponentStatus", "componentstatus", false, {"cs"}, {}, false,
                       MakeComponentStatusStrategy(), kReadOnly));
  kinds.push_back(
      Make("", "v1", "configmaps", "ConfigMap", "configmap", true, {"cm"}, {}, false, MakeConfigMapStrategy()));
  kinds.push_back(
      Make("", "v1", "endpoints", "Endpoints", "endpoints", true, {"ep"}, {}, false, MakeEndpointsStrategy()));
  kinds.push_back(Make("", "v1", "events", "Event", "event", true, {"ev"}, {}, false, MakeEventStrategy()));
  kinds.push_back(
      Make("", "v1", "limitranges", "LimitRange", "limitrange", true, {"limits"}, {}, false, MakeLimitRangeStrategy()));
  kinds.push_back(Make("", "v1", "namespaces", "Namespace", "namespace", false, {"ns"}, {}, true,
                       MakeNamespaceStrategy(), {"create", "delete", "get", "list", "patch", "update", "watch"}));
  kinds.push_back(Make("", "v1", "nodes", "Node", "node", false, {"no"}, {}, true, MakeNodeStrategy()));
  kinds.push_back(Make("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", "persistentvolumeclaim", true,
                       {"pvc"}, {}, true, MakePersistentVolumeClaimStrategy()));
  kinds.push_back(Make("", "v1", "persistentvolumes", "PersistentVolume", "persistentvolume", false, {"pv"}, {}, true,
                       MakePersistentVolumeStrategy()));
  kinds.push_back(Make("", "v1", "pods", "Pod", "pod", true, {"po"}, {"all"}, true, MakePodStrategy()));
  kinds.push_back(
      Make("", "v1", "podtemplates", "PodTemplate", "podtemplate", true, {}, {}, false, MakePodTemplateStrategy()));
  kinds.push_back(Make("", "v1", "replicationcontrollers", "ReplicationController", "replicationcontroller", true,
                       {"rc"}, {"all"}, true, MakeReplicationControllerStrategy()));
  kinds.push_back(Make("", "v1", "resourcequotas", "ResourceQuota", "resourcequota", true, {"quota"}, {}, true,
                       MakeResourceQuotaStrategy()));
  kinds.push_back(Make("", "v1", "secrets", "Secret", "secret", true, {}, {}, false, MakeSecretStrategy()));
  kinds.push_back(Make("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", true, {"sa"}, {}, false,
                       MakeServiceAccountStrategy()));
  kinds.push_back(
      Make("", "v1", "services", "Service", "service", true, {"svc"}, {"all"}, true, MakeServiceStrategy()));
  // apps/v1
  kinds.push_back(Make("apps", "v1", "controllerrevisions", "ControllerRevision", "controllerrevision", true, {}, {},
                       false, MakeControllerRevisionStrategy()));
  kinds.push_back(
      Make("apps", "v1", "daemonsets", "DaemonSet", "daemonset", true, {"ds"}, {"all"}, true, MakeDaemonSetStrategy()));
  kinds.push_back(Make("apps", "v1", "deployments", "Deployment", "deployment", true, {"deploy"}, {"all"}, true,
                       MakeDeploymentStrategy()));
  kinds.push_back(Make("apps", "v1", "replicasets", "ReplicaSet", "replicaset", true, {"rs"}, {"all"}, true,
                       MakeReplicaSetStrategy()));
  kinds.push_back(Make("apps", "v1", "statefulsets", "StatefulSet", "statefulset", true, {"sts"}, {"all"}, true,
                       MakeStatefulSetStrategy()));
  // batch/v1
  kinds.push_back(
      Make("batch", "v1", "cronjobs", "CronJob", "cronjob", true, {"cj"}, {"all"}, true, MakeCronJobStrategy()));
  kinds.push_back(Make("batch", "v1", "jobs", "Job", "job", true, {}, {"all"}, true, MakeJobStrategy()));
  // autoscaling/v2 (kube also serves v1 from the same storage; only v2 here)
  kinds.push_back(Make("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler",
                       "horizontalpodautoscaler", true, {"hpa"}, {"all"}, true, MakeHorizontalPodAutoscalerStrategy()));
  // policy/v1
  kinds.push_back(Make("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "poddisruptionbudget", true,
                       {"pdb"}, {}, true, MakePodDisruptionBudgetStrategy()));
  // networking.k8s.io/v1
  kinds.push_back(Make("networking.k8s.io", "v1", "ingressclasses", "IngressClass", "ingressclass", false, {}, {},
                       false, MakeIngressClassStrategy()));
  kinds.push_back(Make("networking.k8s.io", "v1", "ingresses", "Ingress", "ingress", true, {"ing"}, {}, true,
                       MakeIngressStrategy()));
  kinds.push_back(Make("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", "networkpolicy", true, {"netpol"},
                       {}, false, MakeNetworkPolicyStrategy()));
  // discovery.k8s.io/v1
  kinds.push_back(Make("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", "endpointslice", true, {}, {},
                       false, MakeEndpointSliceStrategy()));
  // rbac.authorization.k8s.io/v1
  kinds.push_back(Make("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
                       "clusterrolebinding", false, {}, {}, false, MakeClusterRoleBindingStrategy()));
  kinds.push_back(Make("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", "clusterrole", false, {}, {},
                       false, MakeClusterRoleStrategy()));
  kinds.push_back(Make("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", "rolebinding", true, {}, {},
                       false, MakeRoleBindingStrategy()));
  kinds.push_back(
      Make("rbac.authorization.k8s.io", "v1", "roles", "Role", "role", true, {}, {}, false, MakeRoleStrategy()));
  // storage.k8s.io/v1
  kinds.push_back(Make("storage.k8s.io", "v1", "csidrivers", "CSIDriver", "csidriver", false, {}, {}, false,
                       MakeCsiDriverStrategy()));
  kinds.push_back(Make("storage.k8s.io", "v1", "storageclasses", "StorageClass", "storageclass", false, {"sc"}, {},
                       false, MakeStorageClassStrategy()));
  // coordination.k8s.io/v1, scheduling.k8s.io/v1
  kinds.push_back(
      Make("coordination.k8s.io", "v1", "leases", "Lease", "lease", true, {}, {}, false, MakeLeaseStrategy()));
  kinds.push_back(Make("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", "priorityclass", false, {"pc"},
                       {}, false, MakePriorityClassStrategy()));
  // events.k8s.io/v1: stored under "events.k8s.io/events", apart from core/v1 events
  kinds.push_back(
      Make("events.k8s.io", "v1", "events", "Event", "event", true, {"ev"}, {}, false, MakeEventsV1EventStrategy()));
  // admissionregistration.k8s.io/v1 (stored only)
  kinds.push_back(Make("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
                       "MutatingWebhookConfiguration", "mutatingwebhookconfiguration", false, {}, {"api-extensions"},
                       false, MakeMutatingWebhookConfigurationStrategy()));
  kinds.push_back(Make("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
                       "ValidatingWebhookConfiguration", "validatingwebhookconfiguration", false, {},
                       {"api-extensions"}, false, MakeValidatingWebhookConfigurationStrategy()));
  // apiextensions.k8s.io/v1: the tenant's own CRDs (their kinds are served on top of these)
  kinds.push_back(Make("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
                       "customresourcedefinition", false, {"crd", "crds"}, {"api-extensions"}, true,
                       MakeCustomResourceDefinitionStrategy()));
  // authentication.k8s.io/v1, authorization.k8s.io/v1: create-only reviews, answered and never
  // stored (the API server evaluates them against the tenant's authenticator and RBAC).
  const std::vector<std::string> kCreateOnly = {"create"};
  kinds.push_back(Make("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", "selfsubjectreview",
                       false, {}, {}, false, MakeReviewStrategy("SelfSubjectReview", false), kCreateOnly));
  kinds.push_back(Make("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", "tokenreview", false, {}, {},
                       false, MakeReviewStrategy("TokenReview", false), kCreateOnly));
  kinds.push_back(Make("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview",
                       "localsubjectaccessreview", true, {}, {}, false,
                       MakeReviewStrategy("LocalSubjectAccessReview", true), kCreateOnly));
  kinds.push_back(Make("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
                       "selfsubjectaccessreview", false, {}, {}, false,
                       MakeReviewStrategy("SelfSubjectAccessReview", false), kCreateOnly));
  kinds.push_back(Make("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
                       "selfsubjectrulesreview", false, {}, {}, false,
                       MakeReviewStrategy("SelfSubjectRulesReview", false), kCreateOnly));
  kinds.push_back(Make("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview",
                       "subjectaccessreview", false, {}, {}, false, MakeReviewStrategy("SubjectAccessReview", false),
                       kCreateOnly));
  // /scale of the built-in workload controllers (selector: a LabelSelector object)
  for (auto& k : kinds) {
    const auto& i = k.info;
    if ((i.group == "apps" &&
         (i.resource == "deployments" || i.resource == "replicasets" || i.resource == "statefulsets")) ||
        (i.group.empty() && i.resource == "replicationcontrollers")) {
      k.info.scale = ScalePaths{.label_selector = ".spec.selector"};
    }
  }
  return std::make_shared<const Registry>(std::move(kinds));
}

FieldManagedKind ManagedKindOf(const Kind& kind) {
  return FieldManagedKind{kind.info.GroupVersion(), kind.info.has_status,
                          kind.field_schema ? kind.field_schema : BuiltinFieldSchema(kind.info.group, kind.info.kind)};
}

Registry::Registry(std::vector<Kind> kinds) : own_(std::move(kinds)) {
  for (const auto& k : own_) all_.push_back(&k);
}

Registry::Registry(const Registry& other) : Registry(other.base_, other.own_) {}

Registry::Registry(std::shared_ptr<const Registry> base, std::vector<Kind> extra)
    : base_(std::move(base)), own_(std::move(extra)) {
  if (base_) all_ = base_->kinds();
  for (const auto& k : own_) all_.push_back(&k);
}

const Kind* Registry::Find(std::string_view group, std::string_view version, std::string_view resource) const {
  for (const Kind* k : all_) {
    if (k->info.group == group && k->info.version == version && k->info.resource == resource) return k;
  }
  return nullptr;
}

const Kind* Registry::FindByKind(std::string_view group, std::string_view version, std::string_view kind) const {
  for (const Kind* k : all_) {
    if (k->info.group == group && k->info.version == version && k->info.kind == kind) return k;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> Registry::GroupVersions() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Kind* k : all_) {
    std::pair<std::string, std::string> gv{k->info.group, k->info.version};
    if (std::find(out.begin(), out.end(), gv) == out.end()) out.push_back(gv);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first.empty() && !b.first.empty(); });
  return out;
}

}  // namespace vkube::resource
