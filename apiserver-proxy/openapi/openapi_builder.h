#pragma once
// Builds kube-apiserver-shaped OpenAPI documents for the kinds of a Registry: one v3 document per
// group-version (paths with x-kubernetes-action / -group-version-kind, the write parameters
// kubectl looks for such as fieldValidation, and every schema reachable from the kinds) and the
// single v2 document. Pure functions over a DefinitionSource: no I/O, no HTTP.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/resource/registry.h"

namespace vkube::apiserver {

// A set of v2-form definitions ("#/definitions/X" references) indexed by group-version-kind.
struct SchemaSet {
  nlohmann::json definitions = nlohmann::json::object();
  std::map<std::string, std::string> by_gvk;  // "group/version/Kind" → definition name

  explicit SchemaSet(nlohmann::json defs);
  SchemaSet() = default;
};

// Built-in definitions plus extra ones (custom resources' schemas), extra first.
class DefinitionSource {
 public:
  DefinitionSource(std::shared_ptr<const SchemaSet> base, std::shared_ptr<const SchemaSet> extra);

  const nlohmann::json* Find(std::string_view name) const;
  bool IsExtra(std::string_view name) const;
  // Name of the definition of a kind: by its x-kubernetes-group-version-kind, else kube's naming
  // (io.k8s.api.<group's first label>.<version>.<Kind>; custom groups reversed: com.example.v1.Foo).
  std::string NameOf(std::string_view group, std::string_view version, std::string_view kind) const;

 private:
  std::shared_ptr<const SchemaSet> base_, extra_;
};

// kube's definition name for a kind with no x-kubernetes-group-version-kind entry:
// io.k8s.api.<group's first label>.<version>.<Kind>; custom groups reversed (com.example.v1.Foo).
std::string DefaultDefinitionName(std::string_view group, std::string_view version, std::string_view kind);

// The two definitions (kind and list) of a custom resource version, as kube-apiserver publishes
// them: the CRD's openAPIV3Schema plus apiVersion/kind/metadata (ObjectMeta), with
// x-kubernetes-group-version-kind. An absent schema accepts anything. For OpenApiService::Rebuild.
nlohmann::json CustomResourceDefinitions(std::string_view group, std::string_view version, std::string_view kind,
                                         std::string_view list_kind, const nlohmann::json& openapi_v3_schema);

// "api/v1", "apis/apps/v1": the key of a group-version under /openapi/v3/.
std::string GroupVersionKey(std::string_view group, std::string_view version);

// The v3 document of one group-version; `kinds` all belong to it.
nlohmann::json BuildGroupVersionV3(std::string_view group, std::string_view version,
                                   const std::vector<const resource::ResourceInfo*>& kinds,
                                   const DefinitionSource& defs);

// The v2 document (/openapi/v2) for every kind of the registry.
nlohmann::json BuildOpenApiV2(const resource::Registry& registry, const DefinitionSource& defs);

// Kinds of a registry grouped by group-version key, in registry order.
std::map<std::string, std::vector<const resource::ResourceInfo*>> KindsByGroupVersion(const resource::Registry& registry);

}  // namespace vkube::apiserver
