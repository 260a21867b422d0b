#include "tenancy/tenant_info.h"

namespace vkube::tenancy {

nlohmann::json TenantRecord(const TenantInfo& info) {
  nlohmann::json record = {{"name", info.name}, {"uid", info.uid}, {"creationTimestamp", info.created}};
  if (!info.spec.host_namespace.empty()) record["hostNamespace"] = info.spec.host_namespace;
  if (!info.spec.request.empty()) record["request"] = {{"name", info.spec.request}, {"uid", info.spec.request_uid}};
  return record;
}

std::optional<TenantInfo> ParseTenantRecord(const std::string& name, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  TenantInfo info{.name = name, .uid = str("uid"), .created = str("creationTimestamp")};
  info.spec.host_namespace = str("hostNamespace");
  if (const auto it = j.find("request"); it != j.end() && it->is_object()) {
    info.spec.request = it->value("name", "");
    info.spec.request_uid = it->value("uid", "");
  }
  return info;
}

}  // namespace vkube::tenancy
