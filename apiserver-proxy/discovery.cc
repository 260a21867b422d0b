#include "apiserver-proxy/discovery.h"

#include <nlohmann/json.hpp>

namespace vkube::apiserver {

Discovery::Discovery(const resource::Registry& registry) {
  using nlohmann::json;
  std::map<std::string, json> lists;  // groupVersion → APIResourceList
  for (const auto& k : registry.kinds()) {
    const auto& i = k.info;
    auto& list = lists[i.GroupVersion()];
    if (list.is_null()) {
      list = {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", i.GroupVersion()},
              {"resources", json::array()}};
    }
    json r = {{"name", i.resource}, {"singularName", i.singular}, {"namespaced", i.namespaced},
              {"kind", i.kind},     {"verbs", i.verbs}};
    if (!i.short_names.empty()) r["shortNames"] = i.short_names;
    if (!i.categories.empty()) r["categories"] = i.categories;
    list["resources"].push_back(std::move(r));
    if (i.has_status) {
      list["resources"].push_back({{"name", i.resource + "/status"}, {"singularName", ""}, {"namespaced", i.namespaced},
                                   {"kind", i.kind}, {"verbs", {"get", "patch", "update"}}});
    }
  }
  json groups = json::array();
  for (const auto& [gv, list] : lists) {
    docs_[gv.find('/') == std::string::npos ? "/api/" + gv : "/apis/" + gv] = list.dump();
    auto slash = gv.find('/');
    if (slash == std::string::npos) continue;
    std::string group = gv.substr(0, slash), version = gv.substr(slash + 1);
    json v = {{"groupVersion", gv}, {"version", version}};
    json g = {{"name", group}, {"versions", json::array({v})}, {"preferredVersion", v}};
    docs_["/apis/" + group] = json{{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", group},
                                   {"versions", g["versions"]}, {"preferredVersion", v}}
                                  .dump();
    groups.push_back(std::move(g));
  }
  docs_["/api"] = json{{"kind", "APIVersions"},
                       {"versions", {"v1"}},
                       {"serverAddressByClientCIDRs", json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}})}}
                      .dump();
  docs_["/apis"] = json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}.dump();
}

std::optional<std::string> Discovery::Find(const std::string& path) const {
  auto it = docs_.find(path);
  if (it == docs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace vkube::apiserver
