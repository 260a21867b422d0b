#pragma once
// /openapi/v2 in the protobuf form client-go asks for first
// (application/com.github.proto-openapi.spec.v2@v1.0+protobuf: gnostic's openapi_v2.Document).
// kubectl's client-side validation (used for kinds the server cannot validate itself, such as a
// v1 List of objects) downloads only this form, never JSON.
#include <nlohmann/json.hpp>
#include <string>

namespace vkube::apiserver {

// The response's type: clients ask with "...spec.v2@v1.0+protobuf", but '@' is not a valid
// media-type character (Go's mime parser refuses it), so kube-openapi answers with this spelling.
inline constexpr const char* kOpenApiV2ProtobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// The gnostic Document of a Swagger 2.0 JSON document: swagger, info, definitions (every schema
// keyword kube-openapi reads, x- extensions as YAML) and paths' names. Never throws.
std::string EncodeOpenApiV2Protobuf(const nlohmann::json& swagger);

}  // namespace vkube::apiserver
