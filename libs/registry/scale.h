#pragma once
// The /scale subresource (autoscaling/v1 Scale) of the kinds that have one: what `kubectl scale`
// and HorizontalPodAutoscalers read and write instead of the whole object.
#include <optional>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"
#include "libs/resource/registry.h"

namespace vkube::registry {

bool HasScale(const resource::Kind& kind);
// Scale view of an object: replicas at the kind's scale paths and the selector as a string.
nlohmann::json ToScale(const resource::Kind& kind, const nlohmann::json& obj);
// The object with the Scale's spec.replicas applied (BadRequest/Invalid for a bad Scale).
Result<nlohmann::json> ApplyScale(const resource::Kind& kind, const nlohmann::json& obj, const nlohmann::json& scale);

}  // namespace vkube::registry
