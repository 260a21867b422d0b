#pragma once
// A tenant request: a host ConfigMap labelled vkube.dev/tenant-request=true (what the chart
// renders in `mode: shared`) asking a shared vkube for a tenant. Its data keys: `tenant` (the
// name), optional `hostNamespace` (must be the ConfigMap's own namespace), `kubeconfigSecret`
// (a Secret in that namespace to fill with the tenant's kubeconfig) and `server` (the URL that
// kubeconfig points at). Unknown keys are ignored, so older instances accept newer charts.
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/result.h"
#include "tenancy/tenant_info.h"

namespace vkube::syncer {

inline constexpr const char* kTenantRequestLabel = "vkube.dev/tenant-request";
// What the shared instance made of the request: "Ready", or "Invalid: …", "Conflict: …",
// "Pending: …" with the reason (kubectl describe shows it to whoever installed the release).
inline constexpr const char* kTenantStatusAnnotation = "vkube.dev/tenant-status";

struct TenantRequest {
  std::string key;  // NAMESPACE/NAME of the ConfigMap
  std::string uid;
  std::string tenant;
  std::string host_namespace;  // always the ConfigMap's namespace
  std::string kubeconfig_secret;
  std::string server;
};

// kInvalid with a field path (`data.tenant: Invalid value: …`) when the request cannot be served.
// A request may only place pods in, and write a Secret to, its own namespace: whoever may create
// ConfigMaps in one namespace must not gain pods in another.
Result<TenantRequest> ParseTenantRequest(const nlohmann::json& configmap);

// The ownerReference a requested tenant's host objects carry (null for other tenants): the host's
// garbage collector removes them with the request, even after the instance lost its rights there.
nlohmann::json RequestOwnerReference(const tenancy::TenantInfo& tenant);

}  // namespace vkube::syncer
