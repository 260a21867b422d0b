#pragma once
// A tenant's Pod as it runs on the host, and the host Pod's life as the tenant sees it. Pure
// functions over JSON (no I/O), so every rule here is unit-tested and fuzzable.
//
// What changes on the way down (vcluster does the same):
// - identity: name NAME-x-NAMESPACE-x-TENANT in the tenant's host namespace, labels/annotations
//   marking the tenant and recording the virtual identity (name_translator.h);
// - references to other namespaced objects (configmaps, secrets, PVCs, image pull secrets) point
//   at their host copies; the downward API's metadata.name/namespace/uid read the annotations that
//   hold the virtual values, so a program inside sees its virtual identity;
// - the host's service account is not the tenant's: no host token is mounted
//   (automountServiceAccountToken=false) and serviceAccountName is dropped; each projected
//   service account token becomes an item of the host Secret TokenSecretName(host pod), which the
//   syncer fills with the tenant's own token for the pod (vcluster does the same);
// - with the tenant API's in-cluster address configured, KUBERNETES_SERVICE_HOST/PORT point every
//   container at it (explicit env wins over the kubelet's host values), so in-cluster clients
//   reach their own (virtual) cluster with that token and the tenant CA of kube-root-ca.crt;
// - hostname defaults to the virtual pod name; subdomain, priorityClassName and schedulerName name
//   tenant objects the host does not have and are dropped;
// - enableServiceLinks=false: the host namespace's service variables would name other objects
//   (possibly other tenants') and are meaningless inside the tenant;
// - DNS: with a tenant DNS server configured, ClusterFirst becomes None + that nameserver and the
//   tenant's search path; otherwise the host's DNS is used unchanged.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace vkube::translate {

struct PodTranslateOptions {
  std::string tenant;
  std::string host_namespace;
  std::string dns_server;  // "" = the host's DNS
  std::string cluster_domain = "cluster.local";
  std::string api_host;  // tenant API as host pods reach it ("" = unchanged)
  std::string api_port = "443";
  // null, or an ownerReference every host object carries: a shared instance's tenant request
  // (ConfigMap), so the host's garbage collector removes them with it (helm uninstall), even when
  // the instance's rights in that namespace went first.
  nlohmann::json host_owner;
};

// One projected service account token of a pod: the host Secret key holding it, as requested.
struct TokenProjection {
  std::string key;       // "token", "token-1", ...
  std::string audience;  // "" = the API server's
  std::int64_t expiration_seconds = 3600;
};
// In order of appearance in the pod's projected volumes.
std::vector<TokenProjection> ServiceAccountTokensOf(const nlohmann::json& virtual_pod);
// The host Secret with a pod's tokens: "<host pod name>.sa-token" (a dot: no translated tenant
// name, which always ends in "-x-NS-x-TENANT" or a hash, can take this form).
std::string TokenSecretName(std::string_view host_pod_name);

// Metadata of the host copy of any synced object: translated name in the host namespace, the
// tenant's labels/annotations plus the syncer's markers and the virtual identity.
nlohmann::json HostMetadata(const nlohmann::json& virtual_object, const std::string& kind,
                            const PodTranslateOptions& options);

// Objects of the pod's namespace the pod needs on the host before it can start.
struct PodReferences {
  std::set<std::string> configmaps;
  std::set<std::string> secrets;
  std::set<std::string> pvcs;
};
PodReferences ReferencesOf(const nlohmann::json& virtual_pod);

// The host Pod to create for `virtual_pod` (no status, no resourceVersion).
nlohmann::json TranslatePod(const nlohmann::json& virtual_pod, const PodTranslateOptions& options);

// Only what TranslatePod makes of the fields a running pod may change (metadata, container names
// and images, activeDeadlineSeconds): what UpdatedHostPod reads, without rewriting the whole
// spec. The syncer compares it on every host status change of every pod.
nlohmann::json TranslateMutablePodFields(const nlohmann::json& virtual_pod, const PodTranslateOptions& options);

// The fields of a running pod kube lets change (labels, annotations, container images,
// activeDeadlineSeconds) copied from `desired` (TranslatePod's or TranslateMutablePodFields'
// result) onto `current`; nullopt, without copying anything, when already equal.
std::optional<nlohmann::json> UpdatedHostPod(const nlohmann::json& current, const nlohmann::json& desired);

// The virtual pod's status from the host pod's (nodeName is bound separately).
nlohmann::json VirtualPodStatus(const nlohmann::json& host_pod);

// A referenced ConfigMap/Secret/PVC as its host copy (data, type, spec; identity translated).
nlohmann::json TranslateDependent(const nlohmann::json& virtual_object, const PodTranslateOptions& options);

}  // namespace vkube::translate
