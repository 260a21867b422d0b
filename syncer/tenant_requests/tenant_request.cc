#include "syncer/tenant_requests/tenant_request.h"

#include "libs/resource/validation.h"
#include "tenancy/tenant_name.h"

namespace vkube::syncer {

namespace {

Error Invalid(const std::string& field, const std::string& value, const std::string& why) {
  return Error::Make(ErrorCode::kInvalid, "data." + field + ": Invalid value: \"" + value + "\": " + why);
}

// The string at `key` of `object`; "" when either is missing or of another type.
std::string Str(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& Field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNone;
  const auto it = object.is_object() ? object.find(key) : object.end();
  return object.is_object() && it != object.end() ? *it : kNone;
}

}  // namespace

Result<TenantRequest> ParseTenantRequest(const nlohmann::json& configmap) {
  const nlohmann::json& meta = Field(configmap, "metadata");
  const nlohmann::json& data = Field(configmap, "data");
  TenantRequest r;
  r.uid = Str(meta, "uid");
  r.host_namespace = Str(meta, "namespace");
  r.key = r.host_namespace + "/" + Str(meta, "name");
  auto str = [&](const char* key) { return Str(data, key); };
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
