#pragma once
// The set of served kinds. Immutable after construction: safe to share across threads and tenants.
#include <memory>
#include <string_view>
#include <vector>

#include "libs/resource/resource_info.h"
#include "libs/resource/strategy.h"

namespace vkube::resource {

struct Kind {
  ResourceInfo info;
  std::shared_ptr<const Strategy> strategy;
};

class Registry {
 public:
  // The built-in kinds of this release (core/v1 and apps/v1 subsets, see registry.cc).
  static std::shared_ptr<const Registry> BuiltIn();

  explicit Registry(std::vector<Kind> kinds);

  const Kind* Find(std::string_view group, std::string_view version, std::string_view resource) const;
  const Kind* FindByKind(std::string_view group, std::string_view version, std::string_view kind) const;
  const std::vector<Kind>& kinds() const { return kinds_; }
  // Group/versions served, in discovery order (core "v1" first).
  std::vector<std::pair<std::string, std::string>> GroupVersions() const;

 private:
  std::vector<Kind> kinds_;
};

}  // namespace vkube::resource
