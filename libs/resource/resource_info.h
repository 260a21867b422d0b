#pragma once
// Static description of one served resource, what discovery reports about it.
#include <optional>
#include <string>
#include <vector>

namespace vkube::resource {

// Where the /scale subresource (autoscaling/v1 Scale) reads and writes: JSON paths as a CRD's
// subresources.scale gives them (".spec.replicas"). The built-in workloads use the defaults.
struct ScalePaths {
  std::string spec_replicas = ".spec.replicas";
  std::string status_replicas = ".status.replicas";
  // "" = none. Built-in workloads: ".spec.selector" (a LabelSelector object, printed as a string);
  // custom resources: a path to the selector already in string form.
  std::string label_selector;
};

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
  std::optional<ScalePaths> scale;       // serves /scale
  // Custom resources: the version objects are stored at (every served version reads and writes the
  // same objects, with apiVersion rewritten; conversion "None"). "" = this kind's own version.
  std::string storage_version;
  bool terminating = false;  // custom resources of a CRD being deleted: creates are refused (405)

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
  // Key of the collection in the store: "pods", "apps/deployments".
  std::string StorageResource() const { return group.empty() ? resource : group + "/" + resource; }
};

}  // namespace vkube::resource
