#pragma once
// Reading the tenant markers off host objects (JSON), for every kind's syncer.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libs/translate/name_translator.h"

namespace vkube::syncer {

// The virtual object a host object of `tenant` stands for; nullopt when it is not the tenant's.
std::optional<translate::VirtualRef> VirtualRefOf(const nlohmann::json& host_obj, const std::string& tenant);
// The annotation `key` of a host object ("" when absent).
std::string AnnotationOf(const nlohmann::json& host_obj, std::string_view key);
// The host object is the tenant's copy of ns/name (not another object sharing its host name).
bool OwnedBy(const nlohmann::json& host_obj, const std::string& tenant, const std::string& ns, const std::string& name);

}  // namespace vkube::syncer
