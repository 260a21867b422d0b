#pragma once
// The set of served kinds. Immutable after construction: safe to share across threads and tenants.
// A tenant with custom resources serves a layered registry: the shared built-in one as its base
// plus the kinds of its CustomResourceDefinitions, rebuilt (and swapped whole) when those change.
// Pointers to a base's kinds stay valid as long as the base lives, so built-in Kind pointers are
// stable for the life of the process; custom ones live as long as a snapshot holding them.
#include <memory>
#include <string_view>
#include <vector>

#include "libs/resource/field_set.h"
#include "libs/resource/resource_info.h"
#include "libs/resource/server_side_apply.h"
#include "libs/resource/strategy.h"

namespace vkube::resource {

struct Kind {
  ResourceInfo info;
  std::shared_ptr<const Strategy> strategy;
  // How managedFields merge lists (custom resources: from their schema); null = the built-in one.
  std::shared_ptr<const FieldSchema> field_schema;
};

// What managedFields and server-side apply need to know about a kind (its list types: the
// custom resource's schema, or the built-in one).
FieldManagedKind ManagedKindOf(const Kind& kind);

class Registry {
 public:
  // The built-in kinds of this release (core/v1 and apps/v1 subsets, see registry.cc).
  static std::shared_ptr<const Registry> BuiltIn();

  explicit Registry(std::vector<Kind> kinds);
  // base's kinds followed by `extra`.
  Registry(std::shared_ptr<const Registry> base, std::vector<Kind> extra);
  // Copies share the base and copy their own kinds (pointers into a copy are the copy's own).
  Registry(const Registry& other);
  Registry& operator=(const Registry&) = delete;

  const Kind* Find(std::string_view group, std::string_view version, std::string_view resource) const;
  const Kind* FindByKind(std::string_view group, std::string_view version, std::string_view kind) const;
  const std::vector<const Kind*>& kinds() const { return all_; }
  // The registry this one extends (null for a root registry such as BuiltIn()).
  const std::shared_ptr<const Registry>& base() const { return base_; }
  // Group/versions served, in discovery order (core "v1" first).
  std::vector<std::pair<std::string, std::string>> GroupVersions() const;

 private:
  std::shared_ptr<const Registry> base_;
  std::vector<Kind> own_;
  std::vector<const Kind*> all_;
};

}  // namespace vkube::resource
