#pragma once
// A CustomResourceDefinition version's openAPIV3Schema as kube-apiserver 1.32 handles it
// (k8s.io/apiextensions-apiserver/pkg/apiserver/schema and the custom resource strategy): the CRD-time
// checks (structural schema, defaults, kube's extensions), and for custom resources pruning of unknown
// fields, defaulting and OpenAPI v3 validation with kube-openapi's messages.
//
// Tenants control both the schema and the objects: nothing here throws, recursion is bounded by the
// schema depth (kMaxSchemaDepth levels; deeper nodes are an error for Check and accept/preserve anything
// once compiled), and patterns run on Boost.Regex, whose matcher is non-recursive and gives up on
// pathological backtracking (std::regex can overflow the stack on long inputs).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/core/error.h"

namespace vkube::resource {

namespace structural_detail {
struct Props;  // one compiled schema node (structural_schema.cc)
}

class StructuralSchema {
 public:
  static constexpr int kMaxSchemaDepth = 64;

  // Checks a CRD version's openAPIV3Schema as kube's CRD validation does (ValidateStructural, ValidateDefaults
  // and ValidateCustomResourceDefinitionOpenAPISchema). `path` is the schema's own field path, e.g.
  // "spec.versions[0].schema.openAPIV3Schema". Keywords of the wrong JSON type (kube fails to decode those)
  // come first, as Invalid causes with Go's decoding message. Empty = fine.
  static std::vector<FieldCause> Check(const nlohmann::json& schema, const std::string& path);

  // Compiles a schema. Tolerant: wrong-typed keywords are ignored, a non-object or too deep node accepts
  // and preserves anything. Null/absent schema => accepts everything, preserves unknown fields.
  static std::shared_ptr<const StructuralSchema> Compile(const nlohmann::json& schema);

  // Removes unknown fields as kube does on create/update (pruning.PruneWithOptions with the object as
  // resource root, then PruneNonNullableNullsWithoutDefaults and the metadata coercion of embedded
  // resources). apiVersion, kind and metadata at the root are left alone. Returns the removed paths as
  // kube reports them ("spec.foo", "spec.items[0].bar"), sorted as kube sorts them.
  std::vector<std::string> Prune(nlohmann::json& obj) const;

  // structuraldefaulting.Default: `default` values for absent fields of present objects (recursively into
  // properties, items and additionalProperties); non-nullable nulls are replaced by the default.
  void Default(nlohmann::json& obj) const;

  // The custom resource validator: kube-openapi's schema validation (messages converted to field causes as
  // kube does; anyOf/oneOf/allOf/not failures carry the field "<nil>" as in kube), then the metadata and
  // type meta of embedded resources, then x-kubernetes-list-type set/map uniqueness. Root apiVersion and
  // kind are not validated; of root metadata only what the schema restricts of name/generateName.
  void Validate(const nlohmann::json& obj, std::vector<FieldCause>& errs) const;

  // Whether the root preserves unknown fields (no schema, or x-kubernetes-preserve-unknown-fields at root).
  bool PreservesUnknownFields() const;

 private:
  explicit StructuralSchema(std::shared_ptr<const structural_detail::Props> root) : root_(std::move(root)) {}
  std::shared_ptr<const structural_detail::Props> root_;  // null: no schema
};

}  // namespace vkube::resource
