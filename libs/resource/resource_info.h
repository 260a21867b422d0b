#pragma once
// Static description of one served resource, what discovery reports about it.
#include <string>
#include <vector>

namespace vkube::resource {

struct ResourceInfo {
  std::string group;     // "" for core
  std::string version;   // "v1"
  std::string resource;  // plural, lower-case: "pods"
  std::string kind;      // "Pod"
  std::string singular;  // "pod"
  bool namespaced = true;
  std::vector<std::string> short_names;  // {"po"}
  std::vector<std::string> categories;   // {"all"}
  std::vector<std::string> verbs;        // create delete deletecollection get list patch update watch
  bool has_status = false;               // serves the /status subresource

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
  // Key of the collection in the store: "pods", "apps/deployments".
  std::string StorageResource() const { return group.empty() ? resource : group + "/" + resource; }
};

}  // namespace vkube::resource
