#pragma once
// Decodes Kubernetes' protobuf request bodies (`k8s\0` + runtime.Unknown) into the JSON object
// model. kubectl 1.32 sends protobuf for typed creates (create namespace/configmap/secret/
// deployment/...) and does not fall back to JSON on 415, so the server must read it.
// Driven by a field table (protobuf_schema.cc) covering the kinds kubectl creates with typed
// clients; anything outside it is refused with a clear BadRequest, never silently dropped.
#include <string_view>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"

namespace vkube::resource {

inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";

Result<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body);

}  // namespace vkube::resource
