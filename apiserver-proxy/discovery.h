#pragma once
// Discovery documents built once per registry snapshot (immutable afterwards, share freely):
// - legacy: /api (APIVersions), /api/v1 and /apis/G/V (APIResourceList), /apis (APIGroupList),
//   /apis/G (APIGroup);
// - aggregated: /api and /apis with `Accept: application/json;g=apidiscovery.k8s.io;v=v2;
//   as=APIGroupDiscoveryList` (or v2beta1), one APIGroupDiscoveryList with every resource, its
//   subresources and verbs, with an ETag and 304 on If-None-Match, as kube-apiserver serves it.
// Groups come in kube-apiserver's priority order (built-in groups first, then others by name),
// versions newest first (v2 > v1 > v1beta1 > v1alpha1).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/http/message.h"
#include "libs/resource/registry.h"

namespace vkube::apiserver {

// A subresource as discovery reports it.
struct SubresourceInfo {
  std::string name;                         // "status", "scale"
  std::vector<std::string> verbs;           // sorted
  std::string group, version, kind;         // response kind; group/version empty = the parent's
};

// Subresources of a resource: from ResourceInfo (has_status, and `subresources`/`has_scale` once
// ResourceInfo carries them) plus kube's fixed ones (namespaces/finalize, scale of the built-in
// workload controllers). Sorted by name.
std::vector<SubresourceInfo> SubresourcesOf(const resource::ResourceInfo& info);

// kube's version order: GA before beta before alpha, higher numbers first, other strings last.
bool KubeVersionLess(std::string_view a, std::string_view b);  // true if a sorts after b

class Discovery {
 public:
  explicit Discovery(const resource::Registry& registry);

  // GET on a discovery path, negotiated on Accept (legacy JSON or aggregated v2/v2beta1; 406 when
  // neither is acceptable) with ETag/304 for aggregated documents. nullopt: not a discovery path
  // (or not GET), the caller answers 404.
  std::optional<http::Response> Handle(const http::Request& request) const;

  // Legacy document for a discovery path, nullopt if none.
  std::optional<std::string> Find(const std::string& path) const;

  // Aggregated APIGroupDiscoveryList bodies (apidiscovery.k8s.io/v2) for "/api" and "/apis".
  const std::string& AggregatedApi() const { return aggregated_.at("/api").v2.body; }
  const std::string& AggregatedApis() const { return aggregated_.at("/apis").v2.body; }

 private:
  struct Doc {
    std::string body;
    std::string etag;  // quoted, as sent
  };
  struct Aggregated {
    Doc v2;
    Doc v2beta1;
  };

  std::map<std::string, std::string, std::less<>> docs_;        // legacy, by path
  std::map<std::string, Aggregated, std::less<>> aggregated_;   // "/api", "/apis"
};

}  // namespace vkube::apiserver
