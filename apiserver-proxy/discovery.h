#pragma once
// Legacy discovery documents (/api, /api/v1, /apis, /apis/G, /apis/G/V), built once per registry.
#include <map>
#include <optional>
#include <string>

#include "libs/resource/registry.h"

namespace vkube::apiserver {

class Discovery {
 public:
  explicit Discovery(const resource::Registry& registry);
  // Document for a discovery path, nullopt if none.
  std::optional<std::string> Find(const std::string& path) const;

 private:
  std::map<std::string, std::string> docs_;
};

}  // namespace vkube::apiserver
