#include "syncer/host_identity.h"

#include "libs/resource/json_access.h"

namespace vkube::syncer {

namespace {
translate::StringMap Map(const nlohmann::json& obj, const char* field) {
  translate::StringMap m;
  const nlohmann::json& j = resource::jsonx::At(obj, field);
  if (!j.is_object()) return m;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) m.emplace(k, v.get<std::string>());
  }
  return m;
}
}  // namespace

std::optional<translate::VirtualRef> VirtualRefOf(const nlohmann::json& host_obj, const std::string& tenant) {
  return translate::ParseVirtualRef(Map(host_obj, "metadata.labels"), Map(host_obj, "metadata.annotations"), tenant);
}

std::string AnnotationOf(const nlohmann::json& host_obj, std::string_view key) {
  const nlohmann::json& v = resource::jsonx::Child(resource::jsonx::At(host_obj, "metadata.annotations"), key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool OwnedBy(const nlohmann::json& host_obj, const std::string& tenant, const std::string& ns,
             const std::string& name) {
  auto ref = VirtualRefOf(host_obj, tenant);
  return ref && ref->ns == ns && ref->name == name;
}

}  // namespace vkube::syncer
