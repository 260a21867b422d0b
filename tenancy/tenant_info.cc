#include "tenancy/tenant_info.h"

namespace vkube::tenancy {

nlohmann::json TenantRecord(const TenantInfo& info) {
  nlohmann::json record = {{"name", info.name}, {"uid", info.uid}, {"creationTimestamp", info.created}};
  if (!info.spec.host_namespace.empty()) record["hostNamespace"] = info.spec.host_namespace;
  return record;
}

std::optional<TenantInfo> ParseTenantRecord(const std::string& name, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return TenantInfo{.name = name,
                    .uid = str("uid"),
                    .created = str("creationTimestamp"),
                    .spec = {.host_namespace = str("hostNamespace")}};
}

}  // namespace vkube::tenancy
