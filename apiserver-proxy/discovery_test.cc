#include "apiserver-proxy/discovery.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "apiserver-proxy/content.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;
using resource::Kind;
using resource::Registry;

http::Request Get(std::string path, std::string accept = "") {
  http::Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  if (!accept.empty()) r.headers.push_back({"accept", std::move(accept)});
  return r;
}

std::string Header(const http::Response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

Kind MakeKind(std::string group, std::string version, std::string resource, std::string kind, bool status = false) {
  Kind k;
  k.info.group = std::move(group);
  k.info.version = std::move(version);
  k.info.resource = std::move(resource);
  k.info.kind = std::move(kind);
  k.info.singular = k.info.kind;
  for (auto& c : k.info.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  k.info.verbs = {"list", "get", "create"};
  k.info.has_status = status;
  return k;
}

constexpr std::string_view kKubectlAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

TEST(NegotiateDiscovery, FollowsClientPreference) {
  EXPECT_EQ(NegotiateDiscovery("", true), DiscoveryFormat::kLegacy);
  EXPECT_EQ(NegotiateDiscovery(kKubectlAccept, true), DiscoveryFormat::kAggregatedV2);
  EXPECT_EQ(NegotiateDiscovery(kKubectlAccept, false), DiscoveryFormat::kLegacy);
  EXPECT_EQ(NegotiateDiscovery(std::string(kAggregatedDiscoveryV2Beta1) + ",application/json", true),
            DiscoveryFormat::kAggregatedV2Beta1);
  EXPECT_EQ(NegotiateDiscovery("application/json;q=0.5," + std::string(kAggregatedDiscoveryV2), true),
            DiscoveryFormat::kAggregatedV2);
  EXPECT_EQ(NegotiateDiscovery("application/json, " + std::string(kAggregatedDiscoveryV2), true),
            DiscoveryFormat::kLegacy);
  EXPECT_EQ(NegotiateDiscovery("application/vnd.kubernetes.protobuf", true), DiscoveryFormat::kNotAcceptable);
  EXPECT_EQ(NegotiateDiscovery(std::string(kAggregatedDiscoveryV2), false), DiscoveryFormat::kNotAcceptable);
  EXPECT_EQ(NegotiateDiscovery("application/json;q=0", true), DiscoveryFormat::kNotAcceptable);
}

TEST(KubeVersionOrder, NewestFirst) {
  std::vector<std::string> v = {"v1beta1", "v1", "foo", "v2alpha1", "v2", "v1alpha1", "v1beta2", "v10"};
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return KubeVersionLess(b, a); });
  EXPECT_EQ(v, (std::vector<std::string>{"v10", "v2", "v1", "v1beta2", "v1beta1", "v2alpha1", "v1alpha1", "foo"}));
}

class DiscoveryTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Registry> reg_ = Registry::BuiltIn();
  Discovery d_{*reg_};
};

TEST_F(DiscoveryTest, AggregatedApisWithEtagAnd304) {
  auto r = d_.Handle(Get("/apis", std::string(kKubectlAccept)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Header(*r, "content-type"), kAggregatedDiscoveryV2);
  EXPECT_EQ(Header(*r, "vary"), "Accept");
  std::string etag = Header(*r, "etag");
  ASSERT_GT(etag.size(), 2u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  json body = json::parse(r->body);
  EXPECT_EQ(body["kind"], "APIGroupDiscoveryList");
  EXPECT_EQ(body["apiVersion"], "apidiscovery.k8s.io/v2");
  ASSERT_FALSE(body["items"].empty());
  EXPECT_EQ(body["items"][0]["metadata"]["name"], "apps");

  auto again = Get("/apis", std::string(kKubectlAccept));
  again.headers.push_back({"if-none-match", etag});
  auto cached = d_.Handle(again);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_TRUE(cached->body.empty());
  EXPECT_EQ(Header(*cached, "etag"), etag);

  auto stale = Get("/apis", std::string(kKubectlAccept));
  stale.headers.push_back({"if-none-match", "\"other\""});
  EXPECT_EQ(d_.Handle(stale)->status, 200);
}

TEST_F(DiscoveryTest, AggregatedV2Beta1HasItsOwnEtag) {
  auto v2 = d_.Handle(Get("/api", std::string(kAggregatedDiscoveryV2)));
  auto beta = d_.Handle(Get("/api", std::string(kAggregatedDiscoveryV2Beta1)));
  ASSERT_TRUE(v2 && beta);
  EXPECT_EQ(Header(*beta, "content-type"), kAggregatedDiscoveryV2Beta1);
  EXPECT_EQ(json::parse(beta->body)["apiVersion"], "apidiscovery.k8s.io/v2beta1");
  EXPECT_NE(Header(*v2, "etag"), Header(*beta, "etag"));
  json core = json::parse(v2->body)["items"];
  ASSERT_EQ(core.size(), 1u);
  EXPECT_FALSE(core[0]["metadata"].contains("name"));
  EXPECT_EQ(core[0]["versions"][0]["version"], "v1");
  EXPECT_EQ(core[0]["versions"][0]["freshness"], "Current");
}

TEST_F(DiscoveryTest, LegacyStaysTheDefault) {
  auto r = d_.Handle(Get("/apis"));
  ASSERT_TRUE(r);
  EXPECT_EQ(Header(*r, "content-type"), "application/json");
  EXPECT_EQ(Header(*r, "etag"), "");
  EXPECT_EQ(json::parse(r->body)["kind"], "APIGroupList");
  auto gv = d_.Handle(Get("/apis/apps/v1", std::string(kKubectlAccept)));
  ASSERT_TRUE(gv);
  EXPECT_EQ(json::parse(gv->body)["kind"], "APIResourceList");
  EXPECT_EQ(json::parse(d_.Handle(Get("/api/"))->body)["kind"], "APIVersions");
}

TEST_F(DiscoveryTest, NotAcceptableAndNotDiscovery) {
  auto r = d_.Handle(Get("/apis", "application/vnd.kubernetes.protobuf"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 406);
  EXPECT_EQ(json::parse(r->body)["reason"], "NotAcceptable");
  EXPECT_FALSE(d_.Handle(Get("/apis/nope")));
  EXPECT_FALSE(d_.Handle(Get("/healthz")));
  auto post = Get("/apis");
  post.method = "POST";
  EXPECT_FALSE(d_.Handle(post));
}

TEST_F(DiscoveryTest, ScaleAndStatusSubresources) {
  json apis = json::parse(d_.AggregatedApis());
  const json* deployments = nullptr;
  for (const auto& g : apis["items"]) {
    for (const auto& v : g["versions"]) {
      for (const auto& r : v["resources"]) {
        if (g["metadata"]["name"] == "apps" && r["resource"] == "deployments") deployments = &r;
      }
    }
  }
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ((*deployments)["subresources"],
            json::parse(R"([{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},
                             "verbs":["get","patch","update"]},
                            {"subresource":"status","responseKind":{"group":"","version":"","kind":"Deployment"},
                             "verbs":["get","patch","update"]}])"));
  json legacy = json::parse(*d_.Find("/apis/apps/v1"));
  bool found = false;
  for (const auto& r : legacy["resources"]) {
    if (r["name"] == "deployments/scale") {
      found = true;
      EXPECT_EQ(r["group"], "autoscaling");
      EXPECT_EQ(r["version"], "v1");
      EXPECT_EQ(r["kind"], "Scale");
    }
  }
  EXPECT_TRUE(found);
  const json core = json::parse(*d_.Find("/api/v1"));
  for (const auto& r : core["resources"]) {
    if (r["name"] == "configmaps") {
      EXPECT_EQ(r["storageVersionHash"], "qFsyl6wFWjQ=");  // as kube-apiserver 1.32
    }
  }
}

TEST(DiscoveryOrder, BuiltInGroupsByPriorityThenOthersByNameVersionsNewestFirst) {
  std::vector<Kind> kinds = {MakeKind("zeta.example.com", "v1", "zs", "Z"),
                             MakeKind("alpha.example.com", "v1beta1", "as", "A"),
                             MakeKind("alpha.example.com", "v1", "as", "A"),
                             MakeKind("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
                             MakeKind("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
                             MakeKind("batch", "v1", "jobs", "Job", true),
                             MakeKind("apps", "v1", "statefulsets", "StatefulSet"),
                             MakeKind("apps", "v1", "deployments", "Deployment")};
  Registry reg(kinds);
  Discovery d(reg);
  json apis = json::parse(d.AggregatedApis());
  std::vector<std::string> groups;
  for (const auto& g : apis["items"]) groups.push_back(g["metadata"]["name"]);
  EXPECT_EQ(groups, (std::vector<std::string>{"apps", "autoscaling", "batch", "alpha.example.com", "zeta.example.com"}));
  EXPECT_EQ(apis["items"][0]["versions"][0]["resources"][0]["resource"], "deployments");
  EXPECT_EQ(apis["items"][1]["versions"][0]["version"], "v2");
  EXPECT_EQ(apis["items"][3]["versions"][0]["version"], "v1");
  json group = json::parse(*d.Find("/apis/autoscaling"));
  EXPECT_EQ(group["preferredVersion"]["groupVersion"], "autoscaling/v2");
  EXPECT_EQ(group["versions"][1]["version"], "v1");
  EXPECT_EQ(json::parse(*d.Find("/api"))["versions"], json::array());
  json list = json::parse(*d.Find("/apis"));
  EXPECT_EQ(list["groups"][0]["name"], "apps");
}

// --- Comparison with a real kube-apiserver 1.32 (skipped when ../shared is absent) -------------

std::filesystem::path ReferenceDir() {
  auto here = std::filesystem::path(__FILE__).parent_path();  // <repo>/apiserver-proxy
  auto dir = here.parent_path().parent_path() / "shared" / "reference" / "k8s-1.32" / "discovery";
  if (std::filesystem::exists(dir)) return dir;
  return "/work/shared/reference/k8s-1.32/discovery";
}

std::optional<json> LoadReference(const std::string& name) {
  std::ifstream in(ReferenceDir() / name);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// "group/version/resource" → resource entry
std::map<std::string, json> Index(const json& list, std::vector<std::string>* group_order) {
  std::map<std::string, json> out;
  for (const auto& g : list["items"]) {
    std::string group = g["metadata"].value("name", "");
    if (group_order) group_order->push_back(group);
    for (const auto& v : g["versions"]) {
      for (const auto& r : v["resources"]) {
        out[group + "/" + v["version"].get<std::string>() + "/" + r["resource"].get<std::string>()] = r;
      }
    }
  }
  return out;
}

TEST(DiscoveryReference, AggregatedMatchesKubeApiserverForServedKinds) {
  auto ref_api = LoadReference("aggregated-api.json");
  auto ref_apis = LoadReference("aggregated-apis.json");
  if (!ref_api || !ref_apis) GTEST_SKIP() << "reference data not present";
  auto reg = Registry::BuiltIn();
  Discovery d(*reg);
  for (auto [ours_body, ref] : {std::pair{d.AggregatedApi(), &*ref_api}, std::pair{d.AggregatedApis(), &*ref_apis}}) {
    json ours = json::parse(ours_body);
    EXPECT_EQ(ours["kind"], (*ref)["kind"]);
    EXPECT_EQ(ours["apiVersion"], (*ref)["apiVersion"]);
    std::vector<std::string> our_groups, ref_groups;
    auto mine = Index(ours, &our_groups);
    auto theirs = Index(*ref, &ref_groups);
    // Groups served by both appear in the same relative order.
    std::vector<std::string> common;
    for (const auto& g : ref_groups) {
      if (std::find(our_groups.begin(), our_groups.end(), g) != our_groups.end()) common.push_back(g);
    }
    std::vector<std::string> our_common;
    for (const auto& g : our_groups) {
      if (std::find(common.begin(), common.end(), g) != common.end()) our_common.push_back(g);
    }
    EXPECT_EQ(our_common, common);
    for (const auto& [key, r] : mine) {
      auto it = theirs.find(key);
      if (it == theirs.end()) {
        ADD_FAILURE() << key << " is not served by kube-apiserver 1.32";
        continue;
      }
      const json& want = it->second;
      for (const char* field : {"responseKind", "scope", "singularResource", "verbs", "shortNames", "categories"}) {
        EXPECT_EQ(r.value(field, json()), want.value(field, json())) << key << " " << field;
      }
      // Every subresource we advertise is one kube-apiserver has, with the same verbs and kind.
      std::map<std::string, json> want_subs;
      for (const auto& s : want.value("subresources", json::array())) want_subs[s["subresource"]] = s;
      for (const auto& s : r.value("subresources", json::array())) {
        auto ws = want_subs.find(s["subresource"]);
        ASSERT_NE(ws, want_subs.end()) << key << "/" << s["subresource"];
        EXPECT_EQ(s, ws->second) << key;
      }
      // And the ones kubectl relies on (status, scale) are not missing.
      for (const char* needed : {"status", "scale"}) {
        if (!want_subs.contains(needed)) continue;
        bool have = false;
        for (const auto& s : r.value("subresources", json::array())) have = have || s["subresource"] == needed;
        EXPECT_TRUE(have) << key << " lacks /" << needed;
      }
    }
  }
}

}  // namespace
}  // namespace vkube::apiserver
