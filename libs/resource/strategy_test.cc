// The generic Strategy behaviour (metadata rules, status handling, generation, attrs), exercised
// through built-in kinds.
#include "libs/resource/strategy.h"

#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& S(std::string_view group, std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  const Kind* k = reg->Find(group, "v1", resource);
  if (!k) throw std::runtime_error("no kind " + std::string(resource));
  return *k->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

json ConfigMap(std::string name) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", std::move(name)}, {"namespace", "default"}}},
          {"data", {{"k", "v"}}}};
}

TEST(Strategy, NameRulesAndKubeMessages) {
  const Strategy& cm = S("", "configmaps");
  EXPECT_TRUE(cm.Validate(ConfigMap("app.config")).empty());
  EXPECT_EQ(Messages(cm.Validate(ConfigMap("Foo"))),
            std::vector<std::string>{
                "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case "
                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"});
  EXPECT_EQ(Messages(cm.Validate(ConfigMap(""))),
            std::vector<std::string>{"metadata.name: Required value: name or generateName is required"});
  json gen = ConfigMap("");
  gen["metadata"]["generateName"] = "Web-";
  auto errs = cm.Validate(gen);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].field, "metadata.generateName");
  EXPECT_EQ(errs[0].message.rfind("Invalid value: \"Web-\": a lowercase RFC 1123 subdomain", 0), 0u);

  // Namespaces are RFC 1123 labels, services RFC 1035 labels.
  json ns = {{"metadata", {{"name", "a.b"}}}};
  EXPECT_EQ(Messages(S("", "namespaces").Validate(ns)),
            std::vector<std::string>{"metadata.name: Invalid value: \"a.b\": must not contain dots"});
  json svc = {{"metadata", {{"name", "1svc"}, {"namespace", "d"}}}, {"spec", {{"clusterIP", "None"}}}};
  S("", "services").PrepareForCreate(svc);
  auto svc_errs = S("", "services").Validate(svc);
  ASSERT_EQ(svc_errs.size(), 1u);
  EXPECT_EQ(svc_errs[0].message.rfind("Invalid value: \"1svc\": a DNS-1035 label", 0), 0u);
}

TEST(Strategy, NamespaceScopeAndMetadataMaps) {
  const Strategy& cm = S("", "configmaps");
  json no_ns = ConfigMap("c");
  no_ns["metadata"].erase("namespace");
  EXPECT_EQ(Messages(cm.Validate(no_ns)), std::vector<std::string>{"metadata.namespace: Required value"});
  json node = {{"metadata", {{"name", "n1"}, {"namespace", "x"}}}};
  EXPECT_EQ(Messages(S("", "nodes").Validate(node)),
            std::vector<std::string>{"metadata.namespace: Forbidden: not allowed on this type"});

  json labels = ConfigMap("c");
  labels["metadata"]["labels"] = {{"ok", "v"}, {"bad key", "v"}, {"k", "-v"}};
  auto errs = cm.Validate(labels);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].field, "metadata.labels");
  EXPECT_EQ(errs[0].message.rfind("Invalid value: \"bad key\": name part must consist of", 0), 0u);
  EXPECT_EQ(errs[1].message.rfind("Invalid value: \"-v\": a valid label must be an empty string", 0), 0u);

  json big = ConfigMap("c");
  big["metadata"]["annotations"] = {{"a", std::string(300 * 1024, 'x')}};
  EXPECT_EQ(Messages(cm.Validate(big)),
            std::vector<std::string>{"metadata.annotations: Too long: may not be more than 262144 bytes"});

  json owners = ConfigMap("c");
  owners["metadata"]["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "rs"}}});
  EXPECT_EQ(Messages(cm.Validate(owners)),
            std::vector<std::string>{"metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"});
}

TEST(Strategy, StatusIsDroppedOnCreateAndKeptOnUpdate) {
  const Strategy& pvc = S("", "persistentvolumeclaims");
  json claim = json::parse(R"({"metadata":{"name":"data","namespace":"d"},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}})");
  pvc.PrepareForCreate(claim);
  EXPECT_EQ(claim["status"], json::parse(R"({"phase":"Pending"})"));
  json stored = claim;
  stored["status"]["phase"] = "Bound";
  json update = claim;
  update["status"] = {{"phase", "Lost"}};
  update["metadata"]["labels"] = {{"a", "b"}};
  pvc.PrepareForUpdate(update, stored);
  EXPECT_EQ(update["status"]["phase"], "Bound");
  EXPECT_EQ(update["metadata"]["labels"]["a"], "b");

  json status_write = stored;
  status_write["status"]["phase"] = "Lost";
  status_write["spec"]["volumeName"] = "ignored";
  status_write["metadata"]["labels"] = {{"ignored", "yes"}};
  status_write["metadata"]["resourceVersion"] = "42";
  pvc.PrepareForStatusUpdate(status_write, stored);
  EXPECT_EQ(status_write["status"]["phase"], "Lost");
  EXPECT_FALSE(status_write["spec"].contains("volumeName"));
  EXPECT_FALSE(status_write["metadata"].contains("labels"));
  EXPECT_EQ(status_write["metadata"]["resourceVersion"], "42");
}

TEST(Strategy, UpdatesKeepNameAndNamespace) {
  const Strategy& cm = S("", "configmaps");
  json old = ConfigMap("a");
  json renamed = ConfigMap("b");
  EXPECT_EQ(Messages(cm.ValidateUpdate(renamed, old)),
            std::vector<std::string>{"metadata.name: Invalid value: \"b\": field is immutable"});
  json deleting = ConfigMap("a");
  deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  deleting["metadata"]["finalizers"] = {"example.com/a"};
  json more = deleting;
  more["metadata"]["finalizers"].push_back("example.com/b");
  auto errs = cm.ValidateUpdate(more, deleting);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message,
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
            "[]string{\"example.com/b\"}");
}

TEST(Strategy, AttrsAreSortedAndIncludeMetadataFields) {
  json cm = ConfigMap("c");
  cm["metadata"]["labels"] = {{"z", "1"}, {"a", "2"}, {"n", 3}};
  auto attrs = S("", "configmaps").GetAttrs(cm);
  EXPECT_EQ(attrs.labels, (std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"z", "1"}}));
  EXPECT_EQ(attrs.fields,
            (std::vector<std::pair<std::string, std::string>>{{"metadata.name", "c"}, {"metadata.namespace", "default"}}));
}

TEST(Strategy, NonObjectsNeverThrow) {
  static auto reg = Registry::BuiltIn();
  for (const auto* k_ptr : reg->kinds()) {
    const auto& k = *k_ptr;
    for (json weird : {json(5), json::array({1}), json("s"), json::parse(R"({"metadata":3,"spec":[],"status":"x"})"),
                       json::parse(R"({"metadata":{"name":7,"labels":"x"},"spec":{"containers":"c","ports":3,
                         "template":5,"selector":[],"strategy":"s","updateStrategy":1}})")}) {
      json copy = weird;
      EXPECT_NO_THROW(k.strategy->PrepareForCreate(copy)) << k.info.resource;
      EXPECT_NO_THROW((void)k.strategy->Validate(copy)) << k.info.resource;
      EXPECT_NO_THROW((void)k.strategy->ValidateUpdate(copy, weird)) << k.info.resource;
      EXPECT_NO_THROW(k.strategy->PrepareForUpdate(copy, weird)) << k.info.resource;
      EXPECT_NO_THROW(k.strategy->PrepareForStatusUpdate(copy, weird)) << k.info.resource;
      EXPECT_NO_THROW((void)k.strategy->GetAttrs(copy)) << k.info.resource;
      json cells;
      EXPECT_NO_THROW(cells = k.strategy->Cells(copy, std::chrono::system_clock::now())) << k.info.resource;
      EXPECT_EQ(cells.size(), k.strategy->Columns().size()) << k.info.resource;
    }
  }
}

}  // namespace
}  // namespace vkube::resource
