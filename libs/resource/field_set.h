#pragma once
// Field sets for server-side apply and managedFields (sigs.k8s.io/structured-merge-diff's
// fieldpath.Set in its fieldsV1 wire form).
//
// A set is a trie of path elements, each written as its fieldsV1 key:
//   f:<name>        a field of a struct or a key of a map
//   k:{"name":"c"}  an item of an associative list, by its key fields (compact JSON, sorted keys)
//   v:<json>        an item of a set-list of scalars, by value
//   i:<index>       an item of any other list (fallback)
// A node is a member when its path itself belongs to the set; in fieldsV1 a member with children
// carries a "." key. How lists merge comes from a FieldSchema: associative lists by merge keys
// (the built-in kinds' x-kubernetes-list-map-keys / patch merge keys), sets of scalars, atomic
// lists (owned as one leaf); atomic maps (label selectors, Service spec.selector, ...) too.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"

namespace vkube::resource {

struct ListType {
  enum class Kind : std::uint8_t { kAtomic, kSet, kMap };
  Kind kind = Kind::kAtomic;
  std::vector<std::string> keys;  // kMap: the key fields, in declaration order
  nlohmann::json key_defaults;    // kMap: default values of key fields (protocol: "TCP"), object or null
};

// The schema knowledge field sets need. Paths are field names from the object root, list items
// omitted (as in strategic merge patch): {"spec","template","spec","containers","ports"}.
class FieldSchema {
 public:
  virtual ~FieldSchema() = default;
  virtual ListType ListTypeAt(const std::vector<std::string>& path) const = 0;
  // An object owned as a whole (x-kubernetes-map-type: atomic / +structType=atomic).
  virtual bool IsAtomicMap(const std::vector<std::string>& path) const = 0;
  // A field every object of the kind has, even empty (a Go struct that is not a pointer: spec,
  // template, strategy, ...; a list that is never omitted: containers). CompareObjects counts
  // any other map or list that appears or disappears as a change of its own (kube's
  // managedFields then show `.: {}` under f:labels, f:ports, f:rollingUpdate, ...).
  virtual bool IsAlwaysPresent(const std::vector<std::string>& /*path*/) const { return false; }
};

// The built-in kinds: associative lists by the keys kube-apiserver 1.32's OpenAPI declares
// (containers by name, container ports by containerPort+protocol, Service ports by
// port+protocol, env/volumes by name, conditions by type, ...), set-lists (finalizers), atomic
// otherwise; label selectors and object references are atomic maps.
std::shared_ptr<const FieldSchema> BuiltinFieldSchema(std::string_view group, std::string_view kind);
// A custom resource: list types from its openAPIV3Schema (x-kubernetes-list-type,
// x-kubernetes-list-map-keys, x-kubernetes-map-type); metadata as for the built-ins. A null
// schema makes every list atomic.
std::shared_ptr<const FieldSchema> CustomResourceFieldSchema(nlohmann::json open_api_v3_schema);

class FieldSet {
 public:
  using Path = std::vector<std::string>;  // fieldsV1 keys from the root

  FieldSet() = default;

  // The leaves of `obj` (scalars, atomic lists and maps) and the items of associative and set
  // lists, as structured-merge-diff's ToFieldSet. Subtrees at members of `exclude` are skipped.
  static FieldSet FromObject(const nlohmann::json& obj, const FieldSchema& schema, const FieldSet* exclude = nullptr);
  static Result<FieldSet> FromFieldsV1(const nlohmann::json& fields);
  nlohmann::json ToFieldsV1() const;

  bool empty() const { return !member_ && children_.empty(); }
  bool member() const { return member_; }
  const std::map<std::string, FieldSet, std::less<>>& children() const { return children_; }
  const FieldSet* Child(std::string_view element) const;

  void Insert(const Path& path);
  // Adds `child` under `element` (a union with what is there).
  void AddChild(std::string element, FieldSet child);
  bool Has(const Path& path) const;  // `path` is a member

  FieldSet Union(const FieldSet& o) const;
  FieldSet Intersection(const FieldSet& o) const;
  FieldSet Difference(const FieldSet& o) const;
  // Removes everything at or below each member of `o` (kube's field-ignoring filter).
  FieldSet RecursiveDifference(const FieldSet& o) const;
  // Every node with members below it becomes a member too (structured-merge-diff's
  // EnsureNamedFieldsAreMembers, for all fields: this model has no struct/map distinction).
  FieldSet WithPrefixesAsMembers() const;

  // Members in iteration order (members of a node before its children, elements sorted).
  std::vector<Path> Members() const;
  std::size_t MemberCount() const;

  // ".spec.template.spec.containers[name=\"c\"].image", as structured-merge-diff prints paths.
  static std::string PathString(const Path& path);

  bool operator==(const FieldSet& o) const = default;

 private:
  void CollectMembers(Path& prefix, std::vector<Path>& out) const;

  bool member_ = false;
  std::map<std::string, FieldSet, std::less<>> children_;
};

// structured-merge-diff's Compare: the leaves (and associative/set list items) added, modified
// and removed between two versions of an object. Empty maps and lists on both sides count as
// leaves (so `resources: {}` is owned). Subtrees at members of `exclude` are skipped.
struct FieldComparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
  bool empty() const { return added.empty() && modified.empty() && removed.empty(); }
};
FieldComparison CompareObjects(const nlohmann::json& old_obj, const nlohmann::json& new_obj, const FieldSchema& schema,
                               const FieldSet* exclude = nullptr);

// The path element of list item `item` of a list of type `type`, index `index` as fallback.
std::string ListItemElement(const ListType& type, const nlohmann::json& item, std::size_t index);

}  // namespace vkube::resource
