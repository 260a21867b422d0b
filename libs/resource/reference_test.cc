// Compares the served kinds with data captured from a real kube-apiserver 1.32 (discovery and
// Table columns). Skipped where that reference data is not present.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

constexpr const char* kReference = "/work/shared/reference/k8s-1.32";

std::optional<json> Load(const std::string& relative) {
  std::ifstream in(std::string(kReference) + "/" + relative);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) out.push_back(s.get<std::string>());
  }
  return out;
}

class Reference : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kReference)) GTEST_SKIP() << "reference data not present";
  }
  std::shared_ptr<const Registry> reg_ = Registry::BuiltIn();
};

TEST_F(Reference, TableColumnsMatchKubeApiserver) {
  for (const auto* k_ptr : reg_->kinds()) {
    const auto& k = *k_ptr;
    if (k.info.verbs == std::vector<std::string>{"create"}) continue;  // reviews: never listed, no Table
    std::string group = k.info.group.empty() ? "core" : k.info.group;
    auto ref = Load("tables/" + group + "__" + k.info.version + "__" + k.info.resource + ".json");
    ASSERT_TRUE(ref) << k.info.resource;
    const auto& cols = k.strategy->Columns();
    const json& want = (*ref)["columnDefinitions"];
    ASSERT_EQ(cols.size(), want.size()) << k.info.resource;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      EXPECT_EQ(cols[i].name, want[i]["name"]) << k.info.resource;
      EXPECT_EQ(cols[i].type, want[i]["type"]) << k.info.resource << " " << cols[i].name;
      EXPECT_EQ(cols[i].format, want[i]["format"]) << k.info.resource << " " << cols[i].name;
      EXPECT_EQ(cols[i].priority, want[i]["priority"]) << k.info.resource << " " << cols[i].name;
      EXPECT_FALSE(cols[i].description.empty()) << k.info.resource << " " << cols[i].name;
      EXPECT_NE(cols[i].description, want[i]["description"]) << "descriptions are our own words";
    }
  }
}

TEST_F(Reference, CoreDiscoveryMatchesKubeApiserver) {
  auto ref = Load("discovery/api__v1.json");
  ASSERT_TRUE(ref);
  for (const auto* k_ptr : reg_->kinds()) {
    const auto& k = *k_ptr;
    if (!k.info.group.empty()) continue;
    const json* found = nullptr;
    bool has_status = false;
    for (const auto& r : (*ref)["resources"]) {
      if (r["name"] == k.info.resource) found = &r;
      if (r["name"] == k.info.resource + "/status") has_status = true;
    }
    ASSERT_NE(found, nullptr) << k.info.resource;
    EXPECT_EQ((*found)["singularName"], k.info.singular) << k.info.resource;
    EXPECT_EQ((*found)["kind"], k.info.kind) << k.info.resource;
    EXPECT_EQ((*found)["namespaced"], k.info.namespaced) << k.info.resource;
    EXPECT_EQ(Strings(found->value("shortNames", json())), k.info.short_names) << k.info.resource;
    EXPECT_EQ(Strings(found->value("categories", json())), k.info.categories) << k.info.resource;
    EXPECT_EQ(Strings((*found)["verbs"]), k.info.verbs) << k.info.resource;
    EXPECT_EQ(has_status, k.info.has_status) << k.info.resource;
  }
}

// Every served kind of every group against aggregated discovery (/api and /apis).
TEST_F(Reference, AggregatedDiscoveryMatchesKubeApiserver) {
  auto core = Load("discovery/aggregated-api.json");
  auto groups = Load("discovery/aggregated-apis.json");
  ASSERT_TRUE(core && groups);
  for (const auto* k_ptr : reg_->kinds()) {
    const auto& k = *k_ptr;
    const json& doc = k.info.group.empty() ? *core : *groups;
    const json* found = nullptr;
    for (const auto& g : doc["items"]) {
      if (g["metadata"].value("name", "") != k.info.group) continue;
      for (const auto& ver : g["versions"]) {
        if (ver["version"] != k.info.version) continue;
        for (const auto& r : ver["resources"]) {
          if (r["resource"] == k.info.resource) found = &r;
        }
      }
    }
    ASSERT_NE(found, nullptr) << k.info.GroupVersion() << " " << k.info.resource;
    EXPECT_EQ((*found)["singularResource"], k.info.singular) << k.info.resource;
    EXPECT_EQ((*found)["responseKind"]["kind"], k.info.kind) << k.info.resource;
    EXPECT_EQ((*found)["scope"], k.info.namespaced ? "Namespaced" : "Cluster") << k.info.resource;
    EXPECT_EQ(Strings(found->value("shortNames", json())), k.info.short_names) << k.info.resource;
    EXPECT_EQ(Strings(found->value("categories", json())), k.info.categories) << k.info.resource;
    EXPECT_EQ(Strings((*found)["verbs"]), k.info.verbs) << k.info.resource;
    bool has_status = false;
    for (const auto& sub : found->value("subresources", json::array())) has_status |= sub["subresource"] == "status";
    EXPECT_EQ(has_status, k.info.has_status) << k.info.resource;
  }
}

}  // namespace
}  // namespace vkube::resource
