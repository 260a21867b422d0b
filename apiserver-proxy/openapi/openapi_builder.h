#pragma once
// Builds OpenAPI v3 group-version documents (paths with kube's x-kubernetes-* extensions and the
// kinds' schemas) from a v2 `definitions` source. Pure: no I/O, no HTTP.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "libs/resource/registry.h"

namespace vkube::apiserver {

// Schema name of a kind in Kubernetes' OpenAPI ("io.k8s.api.core.v1.Pod").
std::string DefinitionName(const resource::ResourceInfo& info, bool list = false);

// Returns "api/v1" / "apis/apps/v1" → OpenAPI v3 document.
std::map<std::string, nlohmann::json> BuildOpenApiV3(const resource::Registry& registry, const nlohmann::json& definitions);

}  // namespace vkube::apiserver
