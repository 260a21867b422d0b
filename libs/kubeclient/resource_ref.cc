#include "libs/kubeclient/resource_ref.h"

namespace vkube::kube {
namespace {

std::string EscapePathSegment(std::string_view s) {
  // Kubernetes names are DNS labels/subdomains; anything else is escaped defensively.
  return EscapeQueryValue(s);
}

}  // namespace

std::string ResourceRef::CollectionPath() const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!ns.empty()) p += "/namespaces/" + EscapePathSegment(ns);
  p += "/" + resource;
  return p;
}

std::string ResourceRef::ObjectPath(std::string_view name, std::string_view subresource) const {
  std::string p = CollectionPath() + "/" + EscapePathSegment(name);
  if (!subresource.empty()) p += "/" + std::string(subresource);
  return p;
}

std::string EscapeQueryValue(std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(v.size());
  for (unsigned char c : v) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += q.empty() ? "?" : "&";
    q += k + "=" + EscapeQueryValue(v);
  }
  return q;
}

}  // namespace vkube::kube
