// CustomResourceDefinition validation/defaulting and the kinds a CRD serves (pruning, defaulting,
// validation, generation, printer columns, scale paths).
#include <gtest/gtest.h>

#include "libs/resource/custom_resource_kinds.h"
#include "libs/resource/kinds/builtin_kinds.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

json CronTabCrd() {
  return json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
      "group": "stable.example.com", "scope": "Namespaced",
      "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"], "categories": ["all"]},
      "versions": [
        {"name": "v1", "served": true, "storage": true,
         "schema": {"openAPIV3Schema": {"type": "object", "properties": {
           "spec": {"type": "object", "properties": {
             "cronSpec": {"type": "string"},
             "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1}}},
           "status": {"type": "object", "properties": {"replicas": {"type": "integer"},
                                                       "labelSelector": {"type": "string"}}}}}},
         "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                  "statusReplicasPath": ".status.replicas",
                                                  "labelSelectorPath": ".status.labelSelector"}},
         "additionalPrinterColumns": [
           {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
           {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
           {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]},
        {"name": "v1beta1", "served": true, "storage": false,
         "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})");
}

json Established(json crd) {
  crd["status"] = {{"acceptedNames",
                    {{"plural", "crontabs"},
                     {"singular", "crontab"},
                     {"kind", "CronTab"},
                     {"listKind", "CronTabList"},
                     {"shortNames", {"ct"}},
                     {"categories", {"all"}}}},
                   {"conditions", {{{"type", "Established"}, {"status", "True"}}}}};
  return crd;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

TEST(CustomResourceDefinitionStrategy, DefaultsNamesConversionAndStoredVersions) {
  auto s = MakeCustomResourceDefinitionStrategy();
  json crd = CronTabCrd();
  s->PrepareForCreate(crd);
  EXPECT_EQ(crd["spec"]["names"]["singular"], "crontab");
  EXPECT_EQ(crd["spec"]["names"]["listKind"], "CronTabList");
  EXPECT_EQ(crd["spec"]["conversion"], json({{"strategy", "None"}}));
  EXPECT_EQ(crd["status"]["storedVersions"], json::array({"v1"}));
  EXPECT_EQ(crd["metadata"]["generation"], 1);
  EXPECT_TRUE(s->Validate(crd).empty()) << ::testing::PrintToString(Messages(s->Validate(crd)));
  EXPECT_EQ(s->traits().deletion_finalizer, kCustomResourceCleanupFinalizer);
  // Moving storage to v1beta1 records it; v1 stays stored.
  json next = crd;
  next["spec"]["versions"][0]["storage"] = false;
  next["spec"]["versions"][1]["storage"] = true;
  s->PrepareForUpdate(next, crd);
  EXPECT_EQ(next["status"]["storedVersions"], json::array({"v1", "v1beta1"}));
  EXPECT_EQ(next["metadata"]["generation"], 2);
}

TEST(CustomResourceDefinitionStrategy, RefusesWhatKubeRefuses) {
  auto s = MakeCustomResourceDefinitionStrategy();
  json crd = CronTabCrd();
  crd["metadata"]["name"] = "crontab.stable.example.com";
  crd["spec"]["versions"][1]["storage"] = true;
  crd["spec"]["scope"] = "Everywhere";
  s->PrepareForCreate(crd);
  auto msgs = Messages(s->Validate(crd));
  auto has = [&](const std::string& m) {
    return std::any_of(msgs.begin(), msgs.end(), [&](const std::string& x) { return x.find(m) != std::string::npos; });
  };
  EXPECT_TRUE(
      has(R"(metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group)"))
      << ::testing::PrintToString(msgs);
  EXPECT_TRUE(has("spec.versions: Invalid value: ")) << ::testing::PrintToString(msgs);
  EXPECT_TRUE(has("must have exactly one version marked as storage version"));
  EXPECT_TRUE(has(R"(spec.scope: Unsupported value: "Everywhere": supported values: "Cluster", "Namespaced")"));
  json nodot = CronTabCrd();
  nodot["spec"]["group"] = "example";
  nodot["metadata"]["name"] = "crontabs.example";
  s->PrepareForCreate(nodot);
  const auto nodot_errs = s->Validate(nodot);
  EXPECT_TRUE(std::any_of(nodot_errs.begin(), nodot_errs.end(), [](const FieldCause& c) {
    return c.message.find("should be a domain with at least one dot") != std::string::npos;
  }));
  json noschema = CronTabCrd();
  noschema["spec"]["versions"][0].erase("schema");
  s->PrepareForCreate(noschema);
  const auto noschema_errs = s->Validate(noschema);
  EXPECT_TRUE(std::any_of(noschema_errs.begin(), noschema_errs.end(), [](const FieldCause& c) {
    return c.field == "spec.versions[0].schema.openAPIV3Schema" && c.message == "Required value: schemas are required";
  })) << ::testing::PrintToString(Messages(s->Validate(noschema)));
}

TEST(CustomResourceKinds, OnlyEstablishedCrdsServeOneKindPerServedVersion) {
  EXPECT_TRUE(CustomResourceKinds(CronTabCrd()).empty());
  auto kinds = CustomResourceKinds(Established(CronTabCrd()));
  ASSERT_EQ(kinds.size(), 2U);
  EXPECT_EQ(kinds[0].info.version, "v1");
  EXPECT_EQ(kinds[1].info.version, "v1beta1");
  for (const auto& k : kinds) {
    EXPECT_EQ(k.info.StorageResource(), "stable.example.com/crontabs") << "all versions share the storage";
    EXPECT_EQ(k.info.storage_version, "v1");
    EXPECT_EQ(k.info.short_names, std::vector<std::string>{"ct"});
    EXPECT_EQ(k.info.categories, std::vector<std::string>{"all"});
    EXPECT_TRUE(k.info.namespaced);
  }
  EXPECT_TRUE(kinds[0].info.has_status);
  ASSERT_TRUE(kinds[0].info.scale.has_value());
  EXPECT_EQ(kinds[0].info.scale->label_selector, ".status.labelSelector");
  EXPECT_FALSE(kinds[1].info.has_status);
  json terminating = Established(CronTabCrd());
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(CustomResourceKinds(terminating)[0].info.terminating);
}

TEST(CustomResourceKinds, StrategyPrunesDefaultsValidatesAndStoresAtStorageVersion) {
  auto kinds = CustomResourceKinds(Established(CronTabCrd()));
  const Strategy& v1 = *kinds[0].strategy;
  const Strategy& beta = *kinds[1].strategy;
  json obj = json::parse(R"({"apiVersion":"stable.example.com/v1beta1","kind":"CronTab",
      "metadata":{"name":"x","namespace":"ns"},"spec":{"cronSpec":"* * * * *","bogus":1},"status":{"replicas":3}})");
  json a = obj;
  v1.PrepareForCreate(a);
  EXPECT_EQ(a["apiVersion"], "stable.example.com/v1");
  EXPECT_FALSE(a["spec"].contains("bogus")) << "pruned";
  EXPECT_EQ(a["spec"]["replicas"], 1) << "defaulted";
  EXPECT_FALSE(a.contains("status")) << "status is a subresource: dropped on create";
  EXPECT_EQ(a["metadata"]["generation"], 1);
  json b = obj;
  beta.PrepareForCreate(b);
  EXPECT_EQ(b["apiVersion"], "stable.example.com/v1") << "every version is stored at the storage version";
  EXPECT_EQ(b["status"]["replicas"], 3) << "v1beta1 has no status subresource";

  json bad = a;
  bad["spec"]["replicas"] = 11;
  auto msgs = Messages(v1.Validate(bad));
  ASSERT_FALSE(msgs.empty());
  EXPECT_NE(msgs[0].find("spec.replicas"), std::string::npos) << msgs[0];

  // Generation: bumped by spec changes, not by metadata or (subresource) status changes.
  json next = a;
  next["metadata"]["labels"] = {{"a", "b"}};
  v1.PrepareForUpdate(next, a);
  EXPECT_EQ(next["metadata"]["generation"], 1);
  next["spec"]["replicas"] = 2;
  v1.PrepareForUpdate(next, a);
  EXPECT_EQ(next["metadata"]["generation"], 2);
}

TEST(CustomResourceKinds, PrinterColumnsAndDefaultAge) {
  auto kinds = CustomResourceKinds(Established(CronTabCrd()));
  const auto& cols = kinds[0].strategy->Columns();
  ASSERT_EQ(cols.size(), 4U);
  EXPECT_EQ(cols[0].format, "name");
  EXPECT_EQ(cols[1].name, "Spec");
  EXPECT_EQ(cols[2].type, "integer");
  json obj = json::parse(R"({"metadata":{"name":"x","creationTimestamp":"2026-01-01T00:00:00Z"},
                             "spec":{"cronSpec":"*/5 * * * *","replicas":2}})");
  const auto now = ParseRfc3339("2026-01-01T00:05:00Z").value();
  EXPECT_EQ(kinds[0].strategy->Cells(obj, now), json::parse(R"(["x","*/5 * * * *",2,"5m"])"));
  // No columns declared: Name and Age.
  const auto& beta_cols = kinds[1].strategy->Columns();
  ASSERT_EQ(beta_cols.size(), 2U);
  EXPECT_EQ(beta_cols[1].name, "Age");
  EXPECT_EQ(kinds[1].strategy->Cells(obj, now), json::parse(R"(["x","5m"])"));
  json missing = json::parse(R"({"metadata":{"name":"y"}})");
  EXPECT_TRUE(kinds[0].strategy->Cells(missing, now)[1].is_null()) << "absent → <none> in kubectl";
}

}  // namespace
}  // namespace vkube::resource
