#include "libs/resource/server_side_apply.h"

#include <gtest/gtest.h>

#include <chrono>

namespace vkube::resource {
namespace {

using nlohmann::json;

constexpr const char* kT1 = "2026-01-01T00:00:00Z";
constexpr const char* kT2 = "2026-01-01T00:00:05Z";

FieldManagedKind DeploymentKind() { return {"apps/v1", true, BuiltinFieldSchema("apps", "Deployment")}; }
FieldManagedKind ConfigMapKind() { return {"v1", false, BuiltinFieldSchema("", "ConfigMap")}; }

json Deployment(int replicas, const std::string& image = "nginx:1.25") {
  return json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", "web"}}}}},
                  {"spec", {{"containers", json::array({{{"name", "nginx"}, {"image", image}}})}}}}}}}};
}

// The stored object after a create by `manager` (operation Update), as the registry makes it.
json Created(const json& obj, const std::string& manager) {
  json out = obj;
  out["metadata"]["uid"] = "u";
  out["metadata"]["resourceVersion"] = "1";
  UpdateManagedFields(json(), out, manager, "", DeploymentKind(), kT1);
  return out;
}

const json* Entry(const json& obj, const std::string& manager, const std::string& operation = "") {
  const json& mf = obj["metadata"]["managedFields"];
  for (const auto& e : mf) {
    if (e["manager"] == manager && (operation.empty() || e["operation"] == operation)) return &e;
  }
  return nullptr;
}

bool Owns(const json& obj, const std::string& manager, const FieldSet::Path& path) {
  const json* e = Entry(obj, manager);
  if (e == nullptr) return false;
  auto set = FieldSet::FromFieldsV1((*e)["fieldsV1"]);
  return set.ok() && set->Has(path);
}

const FieldSet::Path kReplicas = {"f:spec", "f:replicas"};
const FieldSet::Path kImage = {"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"nginx\"}", "f:image"};

TEST(ManagedFieldsTest, CreateRecordsEveryFieldButIdentityAndStatus) {
  json obj = Deployment(2);
  obj["status"] = {{"replicas", 0}};
  obj = Created(obj, "kubectl-create");
  const json* e = Entry(obj, "kubectl-create");
  ASSERT_NE(e, nullptr) << obj.dump();
  EXPECT_EQ((*e)["operation"], "Update");
  EXPECT_EQ((*e)["apiVersion"], "apps/v1");
  EXPECT_EQ((*e)["fieldsType"], "FieldsV1");
  EXPECT_EQ((*e)["time"], kT1);
  EXPECT_FALSE(e->contains("subresource"));
  const json& f = (*e)["fieldsV1"];
  EXPECT_TRUE(f["f:spec"].contains("f:replicas"));
  EXPECT_EQ(f["f:spec"]["f:selector"], json::object());
  EXPECT_FALSE(f.contains("f:status"));
  EXPECT_FALSE(f.contains("f:apiVersion"));
  EXPECT_FALSE(f.contains("f:kind"));
  EXPECT_FALSE(f.contains("f:metadata")) << f.dump();
  EXPECT_EQ(f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]["."], json::object());
}

TEST(ManagedFieldsTest, UpdateTakesChangedFieldsFromOthersAndDropsEmptyEntries) {
  json obj = Created(Deployment(2), "kubectl-create");
  json next = obj;
  next["spec"]["replicas"] = 5;
  UpdateManagedFields(obj, next, "kubectl-scale", "", DeploymentKind(), kT2);
  EXPECT_TRUE(Owns(next, "kubectl-scale", kReplicas));
  EXPECT_FALSE(Owns(next, "kubectl-create", kReplicas));
  EXPECT_TRUE(Owns(next, "kubectl-create", kImage));
  EXPECT_EQ((*Entry(next, "kubectl-scale"))["time"], kT2);
  EXPECT_EQ((*Entry(next, "kubectl-create"))["time"], kT1) << "losing a field does not touch the time";

  // The same manager changing only what it owns keeps one entry; a no-op changes nothing.
  json again = next;
  again["spec"]["replicas"] = 6;
  UpdateManagedFields(next, again, "kubectl-scale", "", DeploymentKind(), kT2);
  EXPECT_EQ(again["metadata"]["managedFields"].size(), 2u);
  json same = again;
  UpdateManagedFields(again, same, "other", "", DeploymentKind(), kT2);
  EXPECT_EQ(same["metadata"]["managedFields"], again["metadata"]["managedFields"]);

  // Removing the field: it leaves every set; an entry left empty disappears.
  json removed = again;
  removed["spec"].erase("replicas");
  UpdateManagedFields(again, removed, "editor", "", DeploymentKind(), kT2);
  EXPECT_EQ(Entry(removed, "kubectl-scale"), nullptr) << removed["metadata"]["managedFields"].dump();
  EXPECT_EQ(Entry(removed, "editor"), nullptr) << "removing alone owns nothing";
}

// kube's capManagersManager: an 11th Update manager folds the oldest into "ancient-changes".
TEST(ManagedFieldsTest, MoreThanTenUpdateManagersFoldTheOldest) {
  json obj = Created(Deployment(1), "m00");
  for (int i = 1; i <= 11; ++i) {
    json next = obj;
    next["metadata"]["labels"]["l" + std::to_string(i)] = "v";
    char time[32];
    std::snprintf(time, sizeof time, "2026-01-01T00:%02d:00Z", i);
    UpdateManagedFields(obj, next, "m" + std::string(i < 10 ? "0" : "") + std::to_string(i), "", DeploymentKind(),
                        time);
    obj = next;
  }
  const json& mf = obj["metadata"]["managedFields"];
  EXPECT_EQ(mf.size(), 10U) << mf.dump();
  const json* bucket = Entry(obj, "ancient-changes", "Update");
  ASSERT_NE(bucket, nullptr) << mf.dump();
  EXPECT_EQ(Entry(obj, "m00"), nullptr);
  EXPECT_EQ(Entry(obj, "m01"), nullptr);
  EXPECT_EQ(Entry(obj, "m02"), nullptr);
  EXPECT_NE(Entry(obj, "m11"), nullptr);
  // The bucket holds what the folded managers owned (m00: the spec; m01/m02: their labels).
  EXPECT_TRUE(Owns(obj, "ancient-changes", kReplicas));
  EXPECT_TRUE(Owns(obj, "ancient-changes", {"f:metadata", "f:labels", "f:l1"}));
  EXPECT_TRUE(Owns(obj, "ancient-changes", {"f:metadata", "f:labels", "f:l2"}));
}

TEST(ManagedFieldsTest, StatusWritesOwnOnlyStatusUnderTheirSubresource) {
  json obj = Created(Deployment(2), "kubectl-create");
  json next = obj;
  next["status"] = {{"replicas", 2}, {"conditions", json::array({{{"type", "Available"}, {"status", "True"}}})}};
  next["spec"]["replicas"] = 9;  // ignored for a status write
  UpdateManagedFields(obj, next, "kube-controller-manager", "status", DeploymentKind(), kT2);
  const json* e = Entry(next, "kube-controller-manager");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["subresource"], "status");
  EXPECT_TRUE(Owns(next, "kube-controller-manager", {"f:status", "f:replicas"}));
  EXPECT_TRUE(
      Owns(next, "kube-controller-manager", {"f:status", "f:conditions", "k:{\"type\":\"Available\"}", "f:status"}));
  EXPECT_FALSE(Owns(next, "kube-controller-manager", kReplicas));
  EXPECT_TRUE(Owns(next, "kubectl-create", kReplicas));
  // A main-resource write by the same manager is a separate entry.
  json spec = next;
  spec["spec"]["paused"] = true;
  UpdateManagedFields(next, spec, "kube-controller-manager", "", DeploymentKind(), kT2);
  EXPECT_EQ(spec["metadata"]["managedFields"].size(), 3u);
}

TEST(ManagedFieldsTest, RequestManagedFieldsReplaceOrReset) {
  json obj = Created(Deployment(2), "kubectl-create");
  // [{}] resets: only what this write changes is recorded (nothing here).
  json reset = obj;
  reset["metadata"]["managedFields"] = json::array({json::object()});
  UpdateManagedFields(obj, reset, "kubectl-patch", "", DeploymentKind(), kT2);
  EXPECT_FALSE(reset["metadata"].contains("managedFields")) << reset["metadata"].dump();
  // Valid managedFields in the request are taken as they are.
  json mine = obj;
  mine["metadata"]["managedFields"] = json::parse(
      R"([{"manager":"someone","operation":"Update","apiVersion":"apps/v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}])");
  UpdateManagedFields(obj, mine, "kubectl-edit", "", DeploymentKind(), kT2);
  ASSERT_EQ(mine["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(mine["metadata"]["managedFields"][0]["manager"], "someone");
  // An empty list or invalid entries keep the live ones.
  for (json bad : {json::array(), json::parse(R"([{"manager":"x"}])")}) {
    json keep = obj;
    keep["metadata"]["managedFields"] = bad;
    UpdateManagedFields(obj, keep, "kubectl-edit", "", DeploymentKind(), kT2);
    EXPECT_EQ(keep["metadata"]["managedFields"], obj["metadata"]["managedFields"]);
  }
}

TEST(ServerSideApplyTest, ApplyToNothingCreatesAndOwnsTheConfig) {
  auto res = ServerSideApply(json(), Deployment(3), "kubectl", false, "", DeploymentKind(), kT1);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ((*res)["spec"]["replicas"], 3);
  const json* e = Entry(*res, "kubectl");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["operation"], "Apply");
  EXPECT_EQ((*e)["time"], kT1);
  EXPECT_TRUE(Owns(*res, "kubectl", kReplicas));
  EXPECT_TRUE(Owns(*res, "kubectl", kImage));
}

TEST(ServerSideApplyTest, ConflictWithAnUpdaterIsKubesError) {
  json live = Created(Deployment(2), "kubectl-client-side-apply");
  auto res = ServerSideApply(live, Deployment(3), "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_FALSE(res.ok());
  const Error& e = res.error();
  EXPECT_EQ(e.code, ErrorCode::kConflict);
  EXPECT_EQ(e.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
  ASSERT_EQ(e.details.causes.size(), 1u);
  EXPECT_EQ(e.details.causes[0].type, "FieldManagerConflict");
  EXPECT_EQ(e.details.causes[0].field, ".spec.replicas");
  EXPECT_EQ(e.details.causes[0].message, "conflict with \"kubectl-client-side-apply\" using apps/v1");
  EXPECT_TRUE(e.details.name.empty());
}

TEST(ServerSideApplyTest, SameValueIsSharedNotAConflict) {
  json live = Created(Deployment(2), "kubectl-create");
  auto res = ServerSideApply(live, Deployment(2), "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_TRUE(Owns(*res, "kubectl", kReplicas));
  EXPECT_TRUE(Owns(*res, "kubectl-create", kReplicas));
  // A second applier with the same values shares too.
  auto other = ServerSideApply(*res, Deployment(2), "other", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_TRUE(Owns(*other, "other", kReplicas));
  EXPECT_TRUE(Owns(*other, "kubectl", kReplicas));
  // Then one of them changing it conflicts with both.
  auto change = ServerSideApply(*other, Deployment(4), "other", false, "", DeploymentKind(), kT2);
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.error().details.causes.size(), 2u);
  EXPECT_EQ(change.error().message,
            "Apply failed with 2 conflicts: conflict with \"kubectl\":\n- .spec.replicas\n"
            "conflict with \"kubectl-create\" using apps/v1:\n- .spec.replicas");
}

TEST(ServerSideApplyTest, ForceTakesOwnership) {
  json live = Created(Deployment(2), "kubectl-create");
  auto res = ServerSideApply(live, Deployment(7), "kubectl", true, "", DeploymentKind(), kT2);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ((*res)["spec"]["replicas"], 7);
  EXPECT_TRUE(Owns(*res, "kubectl", kReplicas));
  EXPECT_FALSE(Owns(*res, "kubectl-create", kReplicas));
  EXPECT_TRUE(Owns(*res, "kubectl-create", kImage)) << "unchanged fields stay shared";
}

// `kubectl apply` then `kubectl apply --server-side` of the next version of the same manifest:
// kube's lastAppliedManager lets kubectl take over what the last-applied-configuration still
// holds, and its lastAppliedUpdater keeps that annotation current for a later client-side apply.
TEST(ServerSideApplyTest, KubectlTakesOverFromClientSideApplyWhatLastAppliedStillHolds) {
  const std::string annotation = "kubectl.kubernetes.io/last-applied-configuration";
  json manifest = Deployment(2);
  json live = manifest;
  live["metadata"]["annotations"][annotation] = manifest.dump() + "\n";
  live = Created(live, "kubectl-client-side-apply");

  json next = Deployment(3, "nginx:1.26");
  auto res = ServerSideApply(live, next, "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ((*res)["spec"]["replicas"], 3);
  EXPECT_TRUE(Owns(*res, "kubectl", kReplicas));
  EXPECT_FALSE(Owns(*res, "kubectl-client-side-apply", kReplicas));
  EXPECT_EQ(json::parse((*res)["metadata"]["annotations"][annotation].get<std::string>()), next);

  // Only kubectl's own manager, as in kube.
  EXPECT_EQ(ServerSideApply(live, next, "helm", false, "", DeploymentKind(), kT2).error().code, ErrorCode::kConflict);

  // A field changed since (here by an edit) no longer holds the last-applied value: it conflicts.
  json edited = live;
  edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:9";
  UpdateManagedFields(live, edited, "kubectl-edit", "", DeploymentKind(), kT2);
  auto conflict = ServerSideApply(edited, next, "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: "
            ".spec.template.spec.containers[name=\"nginx\"].image");

  // An object without the annotation gets none.
  auto plain = ServerSideApply(Created(Deployment(2), "kubectl-create"), Deployment(2), "kubectl", false, "",
                               DeploymentKind(), kT2);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)["metadata"].contains("annotations"));
}

TEST(ServerSideApplyTest, FieldsNoLongerAppliedAreRemovedUnlessOthersOwnThem) {
  json config = Deployment(2);
  config["metadata"]["labels"] = {{"a", "1"}, {"b", "2"}};
  config["spec"]["minReadySeconds"] = 5;
  auto first = ServerSideApply(json(), config, "kubectl", false, "", DeploymentKind(), kT1);
  ASSERT_TRUE(first.ok());
  json second_config = Deployment(2);
  second_config["metadata"]["labels"] = {{"a", "1"}};
  auto second = ServerSideApply(*first, second_config, "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE((*second)["metadata"]["labels"].contains("b"));
  EXPECT_FALSE((*second)["spec"].contains("minReadySeconds"));
  EXPECT_EQ((*second)["metadata"]["name"], "web") << "identity is never pruned";
  EXPECT_FALSE(Owns(*second, "kubectl", {"f:metadata", "f:labels", "f:b"}));

  // A field another manager also owns stays.
  json shared = *first;
  auto other = ServerSideApply(
      shared,
      json{
          {"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "web"}, {"labels", {{"b", "2"}}}}}},
      "other", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto third = ServerSideApply(*other, second_config, "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)["metadata"]["labels"]["b"], "2");
  EXPECT_FALSE((*third)["spec"].contains("minReadySeconds"));

  // Dropping the last label drops the map.
  json no_labels = Deployment(2);
  auto fourth = ServerSideApply(*second, no_labels, "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(fourth.ok());
  EXPECT_FALSE((*fourth)["metadata"].contains("labels")) << (*fourth)["metadata"].dump();
}

TEST(ServerSideApplyTest, AssociativeListsMergeByKeyBetweenManagers) {
  auto first = ServerSideApply(json(), Deployment(1), "a", false, "", DeploymentKind(), kT1);
  ASSERT_TRUE(first.ok());
  json sidecar = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
      "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}})");
  auto second = ServerSideApply(*first, sidecar, "b", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(second.ok()) << second.error().message;
  const json& containers = (*second)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "nginx");
  EXPECT_EQ(containers[1]["name"], "sidecar");
  EXPECT_TRUE(Owns(*second, "b", {"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"sidecar\"}"}));
  EXPECT_FALSE(Owns(*second, "b", kImage));
  // "b" stops applying its container: only that item goes.
  json nothing = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "web"}}}};
  auto third = ServerSideApply(*second, nothing, "b", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(third.ok());
  ASSERT_EQ((*third)["spec"]["template"]["spec"]["containers"].size(), 1u);
  EXPECT_EQ((*third)["spec"]["template"]["spec"]["containers"][0]["name"], "nginx");
  EXPECT_EQ(Entry(*third, "b"), nullptr) << "an applier with an empty set is dropped";
}

TEST(ServerSideApplyTest, MergeKeepsLiveOnlyItemsInPlaceAndReplacesAtomicLists) {
  auto schema = BuiltinFieldSchema("", "Pod");
  json live = json::parse(R"({"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}],
                               "tolerations":[{"key":"x"}]}})");
  json config = json::parse(R"({"spec":{"containers":[{"name":"c","image":"3"},{"name":"b","image":"4"}],
                                 "tolerations":[{"key":"y"}]}})");
  json merged = MergeForApply(live, config, *schema);
  const json& c = merged["spec"]["containers"];
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0]["name"], "a");
  EXPECT_EQ(c[1]["name"], "c");
  EXPECT_EQ(c[2]["name"], "b");
  EXPECT_EQ(c[2]["image"], "4");
  EXPECT_EQ(merged["spec"]["tolerations"], json::parse(R"([{"key":"y"}])"));
  // A null in the config removes the field.
  json nulled = MergeForApply(live, json::parse(R"({"spec":{"tolerations":null}})"), *schema);
  EXPECT_FALSE(nulled["spec"].contains("tolerations"));
}

TEST(ServerSideApplyTest, ConfigMapDataKeysAreOwnedOneByOne) {
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}}}, {"data", {{"a", "1"}}}};
  auto first = ServerSideApply(json(), cm, "one", false, "", ConfigMapKind(), kT1);
  ASSERT_TRUE(first.ok());
  json cm2 = cm;
  cm2["data"] = {{"b", "2"}};
  auto second = ServerSideApply(*first, cm2, "two", false, "", ConfigMapKind(), kT2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["data"], json::parse(R"({"a":"1","b":"2"})"));
  json cm3 = cm;
  cm3["data"] = {{"b", "3"}};
  auto third = ServerSideApply(*second, cm3, "one", false, "", ConfigMapKind(), kT2);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().message, "Apply failed with 1 conflict: conflict with \"two\": .data.b");
}

TEST(ServerSideApplyTest, RefusesOtherVersionsAndManagedFieldsInTheConfig) {
  json wrong = Deployment(1);
  wrong["apiVersion"] = "apps/v1beta1";
  auto r = ServerSideApply(json(), wrong, "m", false, "", DeploymentKind(), kT1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().message,
            "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1");
  json with_mf = Deployment(1);
  with_mf["metadata"]["managedFields"] = json::array();
  auto m = ServerSideApply(json(), with_mf, "m", false, "", DeploymentKind(), kT1);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "metadata.managedFields must be nil");
}

TEST(ServerSideApplyTest, ReapplyWithoutChangesKeepsTheTime) {
  auto first = ServerSideApply(json(), Deployment(1), "kubectl", false, "", DeploymentKind(), kT1);
  ASSERT_TRUE(first.ok());
  auto again = ServerSideApply(*first, Deployment(1), "kubectl", false, "", DeploymentKind(), kT2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
}

TEST(ManagedFieldsTest, EncodeSortsApplyFirstThenByTime) {
  ManagedFields m;
  FieldSet f;
  f.Insert({"f:a"});
  m.entries.push_back({"z", "Update", "v1", kT1, "", f});
  m.entries.push_back({"y", "Update", "v1", "2025-01-01T00:00:00Z", "status", f});
  m.entries.push_back({"x", "Apply", "v1", kT2, "", f});
  json out = m.Encode();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0]["manager"], "x");
  EXPECT_EQ(out[1]["manager"], "y");
  EXPECT_EQ(out[1]["subresource"], "status");
  EXPECT_EQ(out[2]["manager"], "z");
  auto back = ManagedFields::Decode(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->entries.size(), 3u);
  EXPECT_FALSE(ManagedFields::Decode(
                   json::parse(R"([{"manager":"a","operation":"Patch","apiVersion":"v1","fieldsType":"FieldsV1"}])"))
                   .ok());
  EXPECT_FALSE(
      ManagedFields::Decode(json::parse(R"([{"manager":"a","operation":"Update","fieldsType":"FieldsV1"}])")).ok());
  EXPECT_FALSE(ManagedFields::Decode(json::parse(R"([{"manager":"a","operation":"Update","apiVersion":"v1"}])")).ok());
  EXPECT_TRUE(IsManagedFieldsReset(json::parse("[{}]")));
  EXPECT_FALSE(IsManagedFieldsReset(json::array()));
}

TEST(ApplyPatchBodyTest, YamlAndJson) {
  auto y = ParseApplyPatchBody(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"true\"\n  b: 'x'\n"
      "spec:\n  on: yes\n  num: 3\n  f: 1.5\n  z: ~\n  s: hello world\n  l: [1, two]\n");
  ASSERT_TRUE(y.ok()) << y.error().message;
  EXPECT_EQ((*y)["data"]["a"], "true");
  EXPECT_EQ((*y)["data"]["b"], "x");
  EXPECT_EQ((*y)["spec"]["on"], true);
  EXPECT_EQ((*y)["spec"]["num"], 3);
  EXPECT_EQ((*y)["spec"]["f"], 1.5);
  EXPECT_TRUE((*y)["spec"]["z"].is_null());
  EXPECT_EQ((*y)["spec"]["s"], "hello world");
  EXPECT_EQ((*y)["spec"]["l"], json::parse(R"([1,"two"])"));
  auto j = ParseApplyPatchBody(R"({"apiVersion":"v1","kind":"ConfigMap"})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["kind"], "ConfigMap");
  auto bad = ParseApplyPatchBody("a: [1, 2\nb: }");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(bad.error().message.rfind("error decoding YAML: ", 0), 0u) << bad.error().message;
}

TEST(FieldManagerTest, FromUserAgent) {
  EXPECT_EQ(FieldManagerFromUserAgent("kubectl/v1.32.0 (linux/amd64) kubernetes/abc"), "kubectl");
  EXPECT_EQ(FieldManagerFromUserAgent("Helm/3.16.2"), "Helm");
  EXPECT_EQ(FieldManagerFromUserAgent("curl"), "curl");
  EXPECT_EQ(FieldManagerFromUserAgent(""), "");
  EXPECT_EQ(FieldManagerFromUserAgent(std::string(300, 'x')).size(), 128u);
}

// What field management costs a controller's write of a typical pod (the registry does this on
// every in-process write). Reported, not asserted beyond a generous bound.
TEST(ManagedFieldsTest, CostOfAnUpdateOfAPod) {
  FieldManagedKind pod{"v1", true, BuiltinFieldSchema("", "Pod")};
  json p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-abc","namespace":"default",
    "labels":{"app":"web","pod-template-hash":"abc"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",
    "name":"web-abc","uid":"1234","controller":true,"blockOwnerDeletion":true}]},
    "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
    "resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
    "imagePullPolicy":"IfNotPresent","volumeMounts":[{"name":"kube-api-access","mountPath":"/var/run/secrets","readOnly":true}]}],
    "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default",
    "securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"a","operator":"Exists"}],
    "volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}}]},
    "status":{"phase":"Pending"}})");
  UpdateManagedFields(json(), p, "kube-controller-manager", "", pod, kT1);
  const int n = 2000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    json next = p;
    next["status"]["phase"] = i % 2 ? "Running" : "Pending";
    next["status"]["podIP"] = "10.0.0." + std::to_string(i % 250);
    UpdateManagedFields(p, next, "kubelet", "status", pod, kT2);
  }
  auto per = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start) / n;
  // The same write without field management: the copy, the change and the serialization the
  // store does anyway.
  start = std::chrono::steady_clock::now();
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    json next = p;
    next["status"]["phase"] = i % 2 ? "Running" : "Pending";
    next["status"]["podIP"] = "10.0.0." + std::to_string(i % 250);
    bytes += next.dump().size();
  }
  auto base = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start) / n;
  std::printf("pod status write: copy+change+dump %lld ns; UpdateManagedFields (incl. copy+change) %lld ns (%zu)\n",
              static_cast<long long>(base.count()), static_cast<long long>(per.count()), bytes / n);
  EXPECT_LT(per.count(), 5000000);
}

}  // namespace
}  // namespace vkube::resource
