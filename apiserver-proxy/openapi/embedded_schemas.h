#pragma once
// vkube's own OpenAPI schema additions (apiserver-proxy/openapi/schemas/*.json), compiled into the
// binary by embed_schemas.cmake.
#include <string_view>
#include <vector>

namespace vkube::apiserver {

struct EmbeddedSchemaFile {
  std::string_view name;  // "core_v1.json"
  std::string_view text;
};

// Sorted by name.
const std::vector<EmbeddedSchemaFile>& EmbeddedSchemaFiles();

}  // namespace vkube::apiserver
