#pragma once
// Which collection a call addresses, and the REST paths kube-apiserver serves it under:
//   core:   /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
//   groups: /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vkube::kube {

struct ResourceRef {
  std::string group;  // "" = core
  std::string version = "v1";
  std::string resource;  // lower-case plural: "pods", "deployments"
  std::string ns;        // "" = cluster-scoped, or every namespace for list/watch

  static ResourceRef Core(std::string resource, std::string ns = "") {
    ResourceRef r;
    r.resource = std::move(resource);
    r.ns = std::move(ns);
    return r;
  }
  static ResourceRef Group(std::string group, std::string version, std::string resource, std::string ns = "") {
    ResourceRef r;
    r.group = std::move(group);
    r.version = std::move(version);
    r.resource = std::move(resource);
    r.ns = std::move(ns);
    return r;
  }
  ResourceRef InNamespace(std::string n) const {
    ResourceRef r = *this;
    r.ns = std::move(n);
    return r;
  }

  std::string CollectionPath() const;
  std::string ObjectPath(std::string_view name, std::string_view subresource = "") const;
};

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string EscapeQueryValue(std::string_view v);
// "?a=1&b=2" from the non-empty pairs ("" when none).
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace vkube::kube
