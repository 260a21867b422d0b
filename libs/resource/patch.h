#pragma once
// Patch engines for PATCH requests: RFC 6902 JSON Patch, RFC 7386 JSON Merge Patch and Kubernetes
// strategic merge patch (merge keys of the built-in kinds, $patch/$retainKeys/$setElementOrder/
// $deleteFromPrimitiveList directives). Kinds without strategic metadata merge like JSON merge patch.
#include <string_view>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"

namespace vkube::resource {

Result<nlohmann::json> ApplyJsonPatch(const nlohmann::json& doc, const nlohmann::json& patch);
Result<nlohmann::json> ApplyMergePatch(const nlohmann::json& doc, const nlohmann::json& patch);
Result<nlohmann::json> ApplyStrategicMergePatch(const nlohmann::json& doc, const nlohmann::json& patch,
                                                std::string_view group, std::string_view kind);

}  // namespace vkube::resource
