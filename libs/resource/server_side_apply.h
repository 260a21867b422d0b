#pragma once
// Server-side apply and field management (kube-apiserver 1.32's fieldmanager over
// sigs.k8s.io/structured-merge-diff): metadata.managedFields records which manager owns which
// fields (FieldSet, fieldsV1), every write updates it (operation Update), and an apply patch
// (application/apply-patch+yaml) merges a manager's intent into the object (operation Apply),
// refusing to change fields other managers own unless forced and removing fields the manager
// stopped applying when nobody else owns them.
//
// Pure functions over JSON objects: the registry and the HTTP handler decide where they run.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"
#include "libs/resource/field_set.h"

namespace vkube::resource {

inline constexpr std::string_view kOperationApply = "Apply";
inline constexpr std::string_view kOperationUpdate = "Update";

struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // Apply | Update
  std::string api_version;
  std::string time;  // RFC 3339; may be empty
  std::string subresource;
  FieldSet fields;

  // kube's manager identifier: Apply entries are one per manager+subresource whatever the
  // apiVersion; Update entries one per manager+subresource+apiVersion.
  bool SameManager(const ManagedFieldsEntry& o) const;
};

struct ManagedFields {
  std::vector<ManagedFieldsEntry> entries;

  // metadata.managedFields (null or absent: none). Invalid entries are an error, as kube's decoder.
  static Result<ManagedFields> Decode(const nlohmann::json& managed_fields);
  // Sorted like kube: Apply before Update, then by time, manager, apiVersion, subresource.
  nlohmann::json Encode() const;
};

// What field management needs to know about a kind.
struct FieldManagedKind {
  std::string api_version;                    // "apps/v1"
  bool has_status = false;                    // serves /status: main-resource writes never own .status
  std::shared_ptr<const FieldSchema> schema;  // list types
};

// kube's reset: `metadata.managedFields: [{}]` (every entry empty) clears the field management.
bool IsManagedFieldsReset(const nlohmann::json& managed_fields);

// The fields a write through `subresource` never owns: apiVersion, kind, metadata's identity
// fields (name, namespace, uid, resourceVersion, generation, creationTimestamp, selfLink,
// managedFields), .status for a main-resource write of a kind with status, everything but
// .status for a status write. `obj`s top-level keys decide the latter.
FieldSet IgnoredFields(const FieldManagedKind& kind, std::string_view subresource, const nlohmann::json& old_obj,
                       const nlohmann::json& new_obj);

// Every write that is not an apply (create, update, non-apply patch) by `manager` through
// `subresource`: the fields it changed become its own (operation Update, time `now`) and leave
// every other manager's set, removed fields leave every set, empty entries are dropped. Sets
// new_obj.metadata.managedFields (removed when none is left). The request's own managedFields
// replace the live ones when valid and non-empty (main resource only); `[{}]` resets them.
// `old_obj` is null for a create.
void UpdateManagedFields(const nlohmann::json& old_obj, nlohmann::json& new_obj, std::string_view manager,
                         std::string_view subresource, const FieldManagedKind& kind, std::string_view now);

// A server-side apply of `config` (an apply patch body, already parsed) by `manager` to `live`
// (null: the object does not exist yet and is created). Returns the new object with its
// managedFields, or a 409 Conflict naming the other managers' fields it would change
// (`Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
// .spec.replicas`, one FieldManagerConflict cause per field) unless `force`; 400 for a config of
// another apiVersion/kind or one that sets managedFields. As kube, the manager "kubectl"
// (`kubectl apply --server-side`) takes over without conflict the fields of an object's
// last-applied-configuration that still hold its values, and rewrites that annotation to the
// applied config, so client-side and server-side apply can follow each other.
Result<nlohmann::json> ServerSideApply(const nlohmann::json& live, const nlohmann::json& config,
                                       std::string_view manager, bool force, std::string_view subresource,
                                       const FieldManagedKind& kind, std::string_view now);

// The structured-merge-diff merge of an apply: maps merge recursively, associative and set
// lists by key (items only in `live` keep their place, applied items follow the config's order),
// atomic lists and scalars are replaced; a null in the config removes the field.
nlohmann::json MergeForApply(const nlohmann::json& live, const nlohmann::json& config, const FieldSchema& schema);

// Removes the members of `set` from `obj` (a field, a map key or a list item each).
void RemoveFields(nlohmann::json& obj, const FieldSet& set, const FieldSchema& schema);

// An apply patch body: JSON, or YAML (resolved as sigs.k8s.io/yaml does: plain true/yes/on are
// booleans, numbers are numbers, ~ and null are null). 400 `error decoding YAML: ...` otherwise.
Result<nlohmann::json> ParseApplyPatchBody(std::string_view body);

// kube's default manager for a request without ?fieldManager: the User-Agent up to its first '/'
// (`kubectl/v1.32.0 (linux/amd64) ...` → "kubectl"), at most 128 bytes.
std::string FieldManagerFromUserAgent(std::string_view user_agent);

}  // namespace vkube::resource
