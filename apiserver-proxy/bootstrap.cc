#include "apiserver-proxy/bootstrap.h"

#include "libs/auth/bootstrap_policy.h"
#include "libs/resource/meta.h"

namespace vkube::apiserver {

namespace {
Status CreateIfMissing(store::Store& store, const resource::Kind& kind, const std::string& ns, nlohmann::json obj) {
  store::Key key{kind.info.StorageResource(), ns, obj["metadata"]["name"].get<std::string>()};
  if (store.Get(key).ok()) return {};
  obj["metadata"]["uid"] = resource::NewUid();
  obj["metadata"]["creationTimestamp"] = FormatRfc3339(std::chrono::system_clock::now());
  kind.strategy->PrepareForCreate(obj);
  auto res = store.Create(key, obj, kind.strategy->GetAttrs(obj));
  if (!res && res.error().code != ErrorCode::kAlreadyExists) return res.take_error();
  return {};
}
}  // namespace

Status EnsureSystemNamespaces(store::Store& store, const resource::Registry& registry) {
  const resource::Kind* ns_kind = registry.Find("", "v1", "namespaces");
  if (ns_kind == nullptr) return Error::Make(ErrorCode::kInternal, "registry has no namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    nlohmann::json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    if (auto s = CreateIfMissing(store, *ns_kind, "", std::move(ns)); !s) return s;
  }
  return {};
}

Status EnsureApiServerService(store::Store& store, const resource::Registry& registry, const std::string& cluster_ip) {
  const resource::Kind* kind = registry.Find("", "v1", "services");
  if (kind == nullptr) return Error::Make(ErrorCode::kInternal, "registry has no services");
  nlohmann::json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", cluster_ip},
        {"clusterIPs", {cluster_ip}},
        {"sessionAffinity", "None"},
        {"ports", {{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", 6443}}}}}}};
  return CreateIfMissing(store, *kind, "default", std::move(svc));
}

Status EnsureBootstrapPolicy(store::Store& store, const resource::Registry& registry) {
  const resource::Kind* roles = registry.Find("rbac.authorization.k8s.io", "v1", "clusterroles");
  const resource::Kind* bindings = registry.Find("rbac.authorization.k8s.io", "v1", "clusterrolebindings");
  if (roles == nullptr || bindings == nullptr) return {};  // a registry without RBAC (trimmed tests)
  for (auto& role : auth::BootstrapClusterRoles()) {
    if (auto s = CreateIfMissing(store, *roles, "", std::move(role)); !s) return s;
  }
  std::vector<nlohmann::json> all = auth::BootstrapClusterRoleBindings();
  // vkube's own: the tenant's admin identity. Its client certificate normally carries
  // O=system:masters, but the Helm chart's (sprig's genSignedCert) cannot carry an organization.
  nlohmann::json admin = all.front();  // cluster-admin → system:masters, as a template
  admin["metadata"]["name"] = "vkube:cluster-admin";
  admin["subjects"] = {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", "kubernetes-admin"}}};
  all.push_back(std::move(admin));
  for (auto& binding : all) {
    if (auto s = CreateIfMissing(store, *bindings, "", std::move(binding)); !s) return s;
  }
  return {};
}

}  // namespace vkube::apiserver
