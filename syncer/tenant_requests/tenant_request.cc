#include "syncer/tenant_requests/tenant_request.h"

#include "libs/resource/json_access.h"
#include "libs/resource/validation.h"
#include "tenancy/tenant_name.h"

namespace vkube::syncer {

namespace {

Error Invalid(const std::string& field, const std::string& value, const std::string& why) {
  return Error::Make(ErrorCode::kInvalid, "data." + field + ": Invalid value: \"" + value + "\": " + why);
}

}  // namespace

Result<TenantRequest> ParseTenantRequest(const nlohmann::json& configmap) {
  namespace jsonx = resource::jsonx;
  const nlohmann::json& data = jsonx::Child(configmap, "data");
  TenantRequest r;
  r.uid = jsonx::Str(configmap, "metadata.uid");
  r.host_namespace = jsonx::Str(configmap, "metadata.namespace");
  r.key = r.host_namespace + "/" + jsonx::Str(configmap, "metadata.name");
  auto str = [&](const char* key) { return jsonx::Str(data, key); };
  r.tenant = str("tenant");
  if (r.tenant.empty()) return Error::Make(ErrorCode::kInvalid, "data.tenant: Required value");
  if (auto s = tenancy::ValidateTenantName(r.tenant); !s) return Invalid("tenant", r.tenant, s.error().message);
  if (const std::string ns = str("hostNamespace"); !ns.empty() && ns != r.host_namespace) {
    return Invalid("hostNamespace", ns, "must be the request's own namespace \"" + r.host_namespace + "\"");
  }
  r.kubeconfig_secret = str("kubeconfigSecret");
  if (!r.kubeconfig_secret.empty()) {
    if (auto errs = resource::validation::IsDns1123Subdomain(r.kubeconfig_secret); !errs.empty()) {
      return Invalid("kubeconfigSecret", r.kubeconfig_secret, errs[0]);
    }
  }
  r.server = str("server");
  if (!r.server.empty() && (!r.server.starts_with("https://") || r.server.size() == 8 ||
                            r.server.find_first_of(" \t\r\n") != std::string::npos)) {
    return Invalid("server", r.server, "must be an https:// URL");
  }
  return r;
}

nlohmann::json RequestOwnerReference(const tenancy::TenantInfo& tenant) {
  const std::string& request = tenant.spec.request;
  if (request.empty()) return nullptr;
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"name", request.substr(request.find('/') + 1)},
          {"uid", tenant.spec.request_uid}};
}

}  // namespace vkube::syncer
