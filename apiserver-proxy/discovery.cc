#include "apiserver-proxy/discovery.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "apiserver-proxy/content.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;
using resource::ResourceInfo;

// kube-apiserver's group order (its APIService group priorities, highest first). Groups not
// listed here (custom resources) follow, by name, as the aggregator sorts equal priorities.
constexpr std::array<std::string_view, 22> kGroupOrder = {
    "",                       "apiregistration.k8s.io",       "apps",
    "events.k8s.io",          "authentication.k8s.io",        "authorization.k8s.io",
    "autoscaling",            "batch",                        "certificates.k8s.io",
    "networking.k8s.io",      "policy",                       "rbac.authorization.k8s.io",
    "storage.k8s.io",         "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "scheduling.k8s.io",      "coordination.k8s.io",          "node.k8s.io",
    "discovery.k8s.io",       "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
    "storagemigration.k8s.io"};

std::size_t GroupRank(std::string_view group) {
  auto it = std::find(kGroupOrder.begin(), kGroupOrder.end(), group);
  return static_cast<std::size_t>(it - kGroupOrder.begin());
}

bool GroupLess(const std::string& a, const std::string& b) {
  auto ra = GroupRank(a), rb = GroupRank(b);
  if (ra != rb) return ra < rb;
  return a < b;
}

// What kube-apiserver serves under each subresource name: verbs and response kind.
struct SubresourceSpec {
  std::string_view name;
  std::vector<std::string> verbs;
  std::string_view group, version, kind;  // kind "" = the parent's kind; "*ProxyOptions" derived
};

const std::vector<SubresourceSpec>& SubresourceSpecs() {
  static const std::vector<SubresourceSpec> specs = {
      {"approval", {"get", "patch", "update"}, "", "", ""},
      {"attach", {"create", "get"}, "", "", "PodAttachOptions"},
      {"binding", {"create"}, "", "", "Binding"},
      {"ephemeralcontainers", {"get", "patch", "update"}, "", "", ""},
      {"eviction", {"create"}, "policy", "v1", "Eviction"},
      {"exec", {"create", "get"}, "", "", "PodExecOptions"},
      {"finalize", {"update"}, "", "", ""},
      {"log", {"get"}, "", "", ""},
      {"portforward", {"create", "get"}, "", "", "PodPortForwardOptions"},
      {"proxy", {"create", "delete", "get", "patch", "update"}, "", "", "*ProxyOptions"},
      {"resize", {"get", "patch", "update"}, "", "", ""},
      {"scale", {"get", "patch", "update"}, "autoscaling", "v1", "Scale"},
      {"status", {"get", "patch", "update"}, "", "", ""},
      {"token", {"create"}, "authentication.k8s.io", "v1", "TokenRequest"},
  };
  return specs;
}

// Subresource names a ResourceInfo declares: status, scale, and kube's fixed ones.
std::vector<std::string> DeclaredSubresources(const ResourceInfo& info) {
  std::vector<std::string> names;
  if (info.scale) names.emplace_back("scale");
  if (info.has_status) names.emplace_back("status");
  // Fixed in kube-apiserver for these built-ins.
  if (info.group.empty() && info.resource == "namespaces") names.emplace_back("finalize");
  if (info.group.empty() && info.resource == "serviceaccounts") names.emplace_back("token");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string Base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// kube's storageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind").
std::string StorageVersionHash(const ResourceInfo& info) {
  std::string group = info.group, version = info.version, kind = info.kind;
  // Kinds kube-apiserver stores under another group-version than the one served.
  if (info.group == "events.k8s.io") group = "", version = "v1";
  if (info.group == "autoscaling") version = "v2";
  std::string s = group + "/" + version + "/" + kind;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  return Base64(md, 8);
}

std::string QuotedSha512(const std::string& body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(body.data(), body.size(), md, &n, EVP_sha512(), nullptr);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  out.push_back('"');
  return out;
}

// Built-in resources list their verbs sorted; custom resources in the crdHandler's own order.
std::vector<std::string> SortedVerbs(const ResourceInfo& info) {
  std::vector<std::string> verbs = info.verbs;
  if (info.storage_version.empty()) std::sort(verbs.begin(), verbs.end());
  return verbs;
}

json AggregatedResource(const ResourceInfo& i) {
  json r = {{"resource", i.resource},
            {"responseKind", {{"group", ""}, {"version", ""}, {"kind", i.kind}}},
            {"scope", i.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", i.singular},
            {"verbs", SortedVerbs(i)}};
  if (!i.short_names.empty()) r["shortNames"] = i.short_names;
  if (!i.categories.empty()) r["categories"] = i.categories;
  json subs = json::array();
  for (const auto& s : SubresourcesOf(i)) {
    subs.push_back({{"subresource", s.name},
                    {"responseKind", {{"group", s.group}, {"version", s.version}, {"kind", s.kind}}},
                    {"verbs", s.verbs}});
  }
  if (!subs.empty()) r["subresources"] = std::move(subs);
  return r;
}

void AddLegacyResources(json& list, const ResourceInfo& i) {
  json r = {{"name", i.resource},   {"singularName", i.singular}, {"namespaced", i.namespaced},
            {"kind", i.kind},       {"verbs", SortedVerbs(i)}};
  if (!i.short_names.empty()) r["shortNames"] = i.short_names;
  if (!i.categories.empty()) r["categories"] = i.categories;
  r["storageVersionHash"] = StorageVersionHash(i);
  list.push_back(std::move(r));
  for (const auto& s : SubresourcesOf(i)) {
    json sr = {{"name", i.resource + "/" + s.name}, {"singularName", ""}, {"namespaced", i.namespaced},
               {"kind", s.kind},                    {"verbs", s.verbs}};
    if (!s.group.empty() || !s.version.empty()) {
      sr["group"] = s.group;
      sr["version"] = s.version;
    }
    list.push_back(std::move(sr));
  }
}

// Parses "v<major>[alpha|beta<minor>]"; rank 3 GA, 2 beta, 1 alpha, 0 not a kube version.
struct KubeVersion {
  int rank = 0;
  long major = 0, minor = 0;
};

KubeVersion ParseKubeVersion(std::string_view v) {
  KubeVersion out;
  if (v.size() < 2 || v[0] != 'v') return out;
  const char* p = v.data() + 1;
  const char* end = v.data() + v.size();
  auto [q, ec] = std::from_chars(p, end, out.major);
  if (ec != std::errc() || q == p || out.major <= 0) return out;
  std::string_view rest(q, static_cast<std::size_t>(end - q));
  if (rest.empty()) {
    out.rank = 3;
    return out;
  }
  int rank = 0;
  if (rest.substr(0, 4) == "beta") rank = 2, rest.remove_prefix(4);
  else if (rest.substr(0, 5) == "alpha") rank = 1, rest.remove_prefix(5);
  else return KubeVersion{};
  auto [r, ec2] = std::from_chars(rest.data(), rest.data() + rest.size(), out.minor);
  if (ec2 != std::errc() || r != rest.data() + rest.size() || out.minor <= 0) return KubeVersion{};
  out.rank = rank;
  return out;
}

}  // namespace

bool KubeVersionLess(std::string_view a, std::string_view b) {
  KubeVersion x = ParseKubeVersion(a), y = ParseKubeVersion(b);
  if (x.rank == 0 || y.rank == 0) {
    if (x.rank != y.rank) return x.rank == 0;  // non-kube versions sort last
    return a > b;
  }
  if (x.rank != y.rank) return x.rank < y.rank;
  if (x.major != y.major) return x.major < y.major;
  return x.minor < y.minor;
}

std::vector<SubresourceInfo> SubresourcesOf(const ResourceInfo& info) {
  std::vector<SubresourceInfo> out;
  for (const auto& name : DeclaredSubresources(info)) {
    SubresourceInfo s;
    s.name = name;
    s.kind = info.kind;
    s.verbs = {"get", "patch", "update"};
    for (const auto& spec : SubresourceSpecs()) {
      if (spec.name != name) continue;
      s.verbs = spec.verbs;
      s.group = spec.group;
      s.version = spec.version;
      if (spec.kind == "*ProxyOptions") {
        s.kind = info.kind + "ProxyOptions";
      } else if (!spec.kind.empty()) {
        s.kind = spec.kind;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Discovery::Discovery(const resource::Registry& registry) {
  // group → version → kinds (sorted by resource name, as kube-apiserver lists them)
  std::map<std::string, std::map<std::string, std::vector<const ResourceInfo*>>> groups;
  for (const auto* k : registry.kinds()) groups[k->info.group][k->info.version].push_back(&k->info);
  std::vector<std::string> group_names;
  for (auto& [group, versions] : groups) {
    group_names.push_back(group);
    for (auto& [version, infos] : versions) {
      std::sort(infos.begin(), infos.end(),
                [](const ResourceInfo* a, const ResourceInfo* b) { return a->resource < b->resource; });
    }
  }
  std::sort(group_names.begin(), group_names.end(), GroupLess);

  json legacy_groups = json::array();
  json agg_api = json::array(), agg_apis = json::array();
  bool has_core = false;
  for (const auto& group : group_names) {
    auto& versions = groups[group];
    std::vector<std::string> order;
    for (const auto& [v, _] : versions) order.push_back(v);
    std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) { return KubeVersionLess(b, a); });

    json agg_versions = json::array(), legacy_versions = json::array();
    for (const auto& version : order) {
      std::string gv = group.empty() ? version : group + "/" + version;
      json resources = json::array(), agg_resources = json::array();
      for (const ResourceInfo* i : versions[version]) {
        AddLegacyResources(resources, *i);
        agg_resources.push_back(AggregatedResource(*i));
      }
      docs_[group.empty() ? "/api/" + version : "/apis/" + gv] =
          json{{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv}, {"resources", resources}}.dump();
      agg_versions.push_back({{"version", version}, {"resources", std::move(agg_resources)}, {"freshness", "Current"}});
      legacy_versions.push_back({{"groupVersion", gv}, {"version", version}});
    }
    json meta = {{"creationTimestamp", nullptr}};
    if (!group.empty()) meta["name"] = group;
    json item = {{"metadata", std::move(meta)}, {"versions", std::move(agg_versions)}};
    if (group.empty()) {
      has_core = versions.count("v1") > 0;
      agg_api.push_back(std::move(item));
      continue;
    }
    agg_apis.push_back(std::move(item));
    json g = {{"name", group}, {"versions", legacy_versions}, {"preferredVersion", legacy_versions[0]}};
    docs_["/apis/" + group] = json{{"kind", "APIGroup"},
                                   {"apiVersion", "v1"},
                                   {"name", group},
                                   {"versions", legacy_versions},
                                   {"preferredVersion", legacy_versions[0]}}
                                  .dump();
    legacy_groups.push_back(std::move(g));
  }
  docs_["/api"] = json{{"kind", "APIVersions"},
                       {"versions", has_core ? json::array({"v1"}) : json::array()},
                       {"serverAddressByClientCIDRs", json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", ""}}})}}
                      .dump();
  docs_["/apis"] = json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", legacy_groups}}.dump();

  for (auto& [path, items] : {std::pair<std::string, json*>{"/api", &agg_api}, {"/apis", &agg_apis}}) {
    Aggregated a;
    for (auto [doc, version] : {std::pair<Doc*, const char*>{&a.v2, "v2"}, {&a.v2beta1, "v2beta1"}}) {
      doc->body = json{{"kind", "APIGroupDiscoveryList"},
                       {"apiVersion", std::string("apidiscovery.k8s.io/") + version},
                       {"metadata", json::object()},
                       {"items", *items}}
                      .dump();
      doc->etag = QuotedSha512(doc->body);
    }
    aggregated_[path] = std::move(a);
  }
}

std::optional<std::string> Discovery::Find(const std::string& path) const {
  auto it = docs_.find(path);
  if (it == docs_.end()) return std::nullopt;
  return it->second;
}

std::optional<http::Response> Discovery::Handle(const http::Request& req) const {
  if (req.method != "GET") return std::nullopt;
  std::string_view path = req.path;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // "/apis/" is "/apis"
  auto legacy = docs_.find(path);
  if (legacy == docs_.end()) return std::nullopt;
  auto agg = aggregated_.find(path);
  DiscoveryFormat format = NegotiateDiscovery(req.header("accept"), agg != aggregated_.end());
  if (format == DiscoveryFormat::kNotAcceptable) {
    return ErrorResponse(Error::Make(ErrorCode::kNotAcceptable,
                                     "only the following media types are accepted: application/json, "
                                     "application/yaml, " + std::string(kAggregatedDiscoveryV2) + ", " +
                                         std::string(kAggregatedDiscoveryV2Beta1)));
  }
  if (format == DiscoveryFormat::kLegacy) return JsonResponse(200, legacy->second);
  const bool v2 = format == DiscoveryFormat::kAggregatedV2;
  const Doc& doc = v2 ? agg->second.v2 : agg->second.v2beta1;
  http::Response r;
  r.headers.push_back({"etag", doc.etag});
  r.headers.push_back({"vary", "Accept"});
  if (req.header("if-none-match") == doc.etag) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.push_back({"content-type", std::string(v2 ? kAggregatedDiscoveryV2 : kAggregatedDiscoveryV2Beta1)});
  r.body = doc.body;
  return r;
}

}  // namespace vkube::apiserver
