#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libs/resource/meta.h"
#include "libs/resource/registry.h"
#include "libs/resource/selector.h"
#include "libs/resource/status.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Kind& Get(std::string_view group, std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  const Kind* k = reg->Find(group, "v1", resource);
  EXPECT_NE(k, nullptr) << resource;
  return *k;
}

TEST(Meta, NameValidationUsesKubeMessages) {
  EXPECT_TRUE(ValidateDns1123Subdomain("a.b-c").empty());
  auto errs = ValidateDns1123Subdomain("Bad_Name");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("a lowercase RFC 1123 subdomain must consist of", 0), 0u);
  EXPECT_FALSE(ValidateDns1123Label("a.b").empty());
  EXPECT_EQ(ValidateDns1123Label(std::string(64, 'a'))[0], "must be no more than 63 characters");
  EXPECT_EQ(NewUid().size(), 36u);
  EXPECT_EQ(GenerateName("web-").size(), 9u);
}

TEST(Status, ErrorsRenderLikeKubeApiserver) {
  auto st = StatusFromError(NotFound("apps", "deployments", "web"));
  EXPECT_EQ(st["message"], "deployments.apps \"web\" not found");
  EXPECT_EQ(st["reason"], "NotFound");
  EXPECT_EQ(st["code"], 404);
  EXPECT_EQ(st["details"]["group"], "apps");
  auto inv = Invalid("", "ConfigMap", "x", {{"FieldValueRequired", "Required value", "data"}});
  EXPECT_EQ(inv.message, "ConfigMap \"x\" is invalid: data: Required value");
  auto st2 = StatusFromError(inv);
  EXPECT_EQ(st2["details"]["causes"][0]["field"], "data");
  EXPECT_EQ(Conflict("", "configmaps", "c", "the object has been modified; please apply your changes to the latest "
                                               "version and try again").message,
            "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your "
            "changes to the latest version and try again");
}

TEST(Selector, LabelAndFieldSelectors) {
  std::vector<std::pair<std::string, std::string>> labels = {{"app", "web"}, {"tier", "front"}};
  auto match = [&](const char* s) { return (*LabelSelector::Parse(s)).Matches(labels); };
  EXPECT_TRUE(match("app=web"));
  EXPECT_TRUE(match("app==web,tier"));
  EXPECT_FALSE(match("app!=web"));
  EXPECT_TRUE(match("app in (db, web)"));
  EXPECT_FALSE(match("tier notin (front)"));
  EXPECT_TRUE(match("!missing"));
  EXPECT_FALSE(LabelSelector::Parse("app in web").ok());
  auto f = FieldSelector::Parse("spec.nodeName=n1,metadata.name!=x", {"spec.nodeName"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches({{"metadata.name", "p"}, {"spec.nodeName", "n1"}}));
  auto bad = FieldSelector::Parse("spec.foo=1", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "field label not supported: spec.foo");
}

TEST(Pod, DefaultsValidationAndTable) {
  const Kind& k = Get("", "pods");
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"d",
    "creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"containers":[{"name":"c","image":"nginx"},
    {"name":"d","image":"nginx:1.25"}]},"status":{"phase":"Running"}})");
  k.strategy->PrepareForCreate(pod);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["containers"][0]["imagePullPolicy"], "Always");
  EXPECT_EQ(pod["spec"]["containers"][1]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(pod["status"]["phase"], "Pending");  // status is the kubelet's, not the creator's
  EXPECT_TRUE(k.strategy->Validate(pod).empty());
  pod["status"] = json::parse(R"({"phase":"Running","podIP":"10.0.0.5","containerStatuses":[
    {"name":"c","ready":true,"restartCount":0,"state":{"running":{}}},
    {"name":"d","ready":false,"restartCount":1,"state":{"running":{}},
     "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-01-01T00:55:00Z"}}}]})");
  auto now = *ParseRfc3339("2024-01-01T01:00:00Z");
  auto cells = k.strategy->Cells(pod, now);
  EXPECT_EQ(cells[0], "p");
  EXPECT_EQ(cells[1], "1/2");
  EXPECT_EQ(cells[2], "Running");
  EXPECT_EQ(cells[3], "1 (5m ago)");
  EXPECT_EQ(cells[4], "60m");
  EXPECT_EQ(cells[5], "10.0.0.5");
  EXPECT_EQ(k.strategy->Columns().size(), cells.size());
  json bad = json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}]}})");
  auto errs = k.strategy->Validate(bad);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec.containers[0].image");
  auto attrs = k.strategy->GetAttrs(pod);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(), std::make_pair(std::string("status.phase"),
                                                                               std::string("Running"))),
            attrs.fields.end());
}

TEST(Deployment, DefaultsGenerationAndSelectorValidation) {
  const Kind& k = Get("apps", "deployments");
  json d = json::parse(R"({"metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  k.strategy->PrepareForCreate(d);
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_EQ(d["spec"]["replicas"], 1);
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
  EXPECT_TRUE(k.strategy->Validate(d).empty());
  json upd = d;
  upd["spec"]["replicas"] = 3;
  k.strategy->PrepareForUpdate(upd, d);
  EXPECT_EQ(upd["metadata"]["generation"], 2);
  json same = d;
  k.strategy->PrepareForUpdate(same, d);
  EXPECT_EQ(same["metadata"]["generation"], 1);
  json mismatch = d;
  mismatch["spec"]["template"]["metadata"]["labels"]["app"] = "db";
  auto errs = k.strategy->Validate(mismatch);
  ASSERT_FALSE(errs.empty());
  EXPECT_NE(errs[0].message.find("`selector` does not match template `labels`"), std::string::npos);
}

// Compare with a real kube-apiserver's Table columns when the reference data is present.
TEST(Registry, ColumnsMatchKubeApiserverReference) {
  const std::string dir = "/work/shared/reference/k8s-1.32/tables";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "reference data not present";
  auto reg = Registry::BuiltIn();
  for (const auto& k : reg->kinds()) {
    std::string group = k.info.group.empty() ? "core" : k.info.group;
    std::ifstream in(dir + "/" + group + "__v1__" + k.info.resource + ".json");
    ASSERT_TRUE(in) << k.info.resource;
    json ref = json::parse(in);
    const auto& cols = k.strategy->Columns();
    ASSERT_EQ(cols.size(), ref["columnDefinitions"].size()) << k.info.resource;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& rc = ref["columnDefinitions"][i];
      EXPECT_EQ(cols[i].name, rc["name"]) << k.info.resource;
      EXPECT_EQ(cols[i].type, rc["type"]) << k.info.resource << " " << cols[i].name;
      EXPECT_EQ(cols[i].format, rc["format"]) << k.info.resource << " " << cols[i].name;
      EXPECT_EQ(cols[i].priority, rc["priority"]) << k.info.resource << " " << cols[i].name;
    }
  }
}

}  // namespace
}  // namespace vkube::resource
