#include "libs/resource/field_set.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using nlohmann::json;

const json kDeployment = json::parse(R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {
      "metadata": {"labels": {"app": "web"}},
      "spec": {
        "containers": [{
          "name": "nginx", "image": "nginx:1.25",
          "args": ["-g", "daemon off;"],
          "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
          "env": [{"name": "A", "value": "1"}],
          "resources": {}
        }],
        "tolerations": [{"key": "k"}]
      }
    }
  }
})");

FieldSet FromV1(const std::string& text) {
  auto s = FieldSet::FromFieldsV1(json::parse(text));
  EXPECT_TRUE(s.ok());
  return s.ok() ? *s : FieldSet();
}

TEST(FieldSetTest, FromObjectUsesTheKindsListTypes) {
  auto schema = BuiltinFieldSchema("apps", "Deployment");
  FieldSet s = FieldSet::FromObject(kDeployment, *schema);
  json v1 = s.ToFieldsV1();
  // Leaves are members; maps are not; associative list items are ("." when they have fields).
  EXPECT_EQ(v1["f:spec"]["f:replicas"], json::object());
  EXPECT_EQ(v1["f:spec"]["f:selector"], json::object()) << "a LabelSelector is atomic";
  const json& c = v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
  EXPECT_EQ(c["."], json::object());
  EXPECT_EQ(c["f:image"], json::object());
  EXPECT_EQ(c["f:args"], json::object()) << "args is an atomic list";
  // Container ports by containerPort+protocol, the protocol defaulted to TCP.
  EXPECT_TRUE(c["f:ports"].contains("k:{\"containerPort\":80,\"protocol\":\"TCP\"}")) << c.dump();
  EXPECT_TRUE(c["f:ports"].contains("k:{\"containerPort\":53,\"protocol\":\"UDP\"}")) << c.dump();
  EXPECT_TRUE(c["f:env"]["k:{\"name\":\"A\"}"].contains("f:value"));
  EXPECT_FALSE(c.contains("f:resources")) << "an empty map has no leaves";
  EXPECT_EQ(v1["f:spec"]["f:template"]["f:spec"]["f:tolerations"], json::object());
  // finalizers: a set of scalars.
  EXPECT_EQ(v1["f:metadata"]["f:finalizers"]["v:\"a\""], json::object());
  EXPECT_EQ(v1["f:metadata"]["f:labels"]["f:app"], json::object());
}

TEST(FieldSetTest, ExcludeSkipsSubtrees) {
  auto schema = BuiltinFieldSchema("apps", "Deployment");
  FieldSet ex;
  ex.Insert({"f:metadata", "f:name"});
  ex.Insert({"f:apiVersion"});
  ex.Insert({"f:spec", "f:template"});
  FieldSet s = FieldSet::FromObject(kDeployment, *schema, &ex);
  EXPECT_FALSE(s.Has({"f:metadata", "f:name"}));
  EXPECT_FALSE(s.Has({"f:apiVersion"}));
  EXPECT_EQ(s.Child("f:spec")->Child("f:template"), nullptr);
  EXPECT_TRUE(s.Has({"f:spec", "f:replicas"}));
  EXPECT_TRUE(s.Has({"f:kind"}));
}

TEST(FieldSetTest, FieldsV1RoundTrip) {
  const std::string text =
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}},"f:list":{"i:0":{}},"f:set":{"v:\"x\"":{}}}})";
  FieldSet s = FromV1(text);
  EXPECT_TRUE(s.Has({"f:metadata", "f:labels"}));
  EXPECT_TRUE(s.Has({"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(s.Has({"f:metadata"}));
  EXPECT_TRUE(s.Has({"f:spec", "f:containers", "k:{\"name\":\"c\"}"}));
  EXPECT_EQ(s.ToFieldsV1(), json::parse(text));
  EXPECT_EQ(s.MemberCount(), 6u);
  EXPECT_FALSE(FieldSet::FromFieldsV1(json::parse(R"({"x:y":{}})")).ok());
  EXPECT_FALSE(FieldSet::FromFieldsV1(json::parse(R"({"f:a":1})")).ok());
  EXPECT_FALSE(FieldSet::FromFieldsV1(json::array()).ok());
}

TEST(FieldSetTest, SetAlgebra) {
  FieldSet a = FromV1(R"({"f:a":{},"f:b":{"f:c":{},"f:d":{}},"f:e":{".":{},"f:f":{}}})");
  FieldSet b = FromV1(R"({"f:b":{"f:c":{}},"f:e":{},"f:g":{}})");
  EXPECT_EQ(a.Union(b).ToFieldsV1(),
            json::parse(R"({"f:a":{},"f:b":{"f:c":{},"f:d":{}},"f:e":{".":{},"f:f":{}},"f:g":{}})"));
  EXPECT_EQ(a.Intersection(b).ToFieldsV1(), json::parse(R"({"f:b":{"f:c":{}},"f:e":{}})"));
  // Difference is member-wise: e's child f stays.
  EXPECT_EQ(a.Difference(b).ToFieldsV1(), json::parse(R"({"f:a":{},"f:b":{"f:d":{}},"f:e":{"f:f":{}}})"));
  // A recursive difference drops everything below a member of the other set.
  EXPECT_EQ(a.RecursiveDifference(b).ToFieldsV1(), json::parse(R"({"f:a":{},"f:b":{"f:d":{}}})"));
  EXPECT_TRUE(a.Difference(a).empty());
  EXPECT_TRUE(FieldSet().Union(FieldSet()).empty());
  EXPECT_EQ(a.Intersection(FieldSet()), FieldSet());
  FieldSet p = FromV1(R"({"f:x":{"f:y":{"f:z":{}}}})").WithPrefixesAsMembers();
  EXPECT_TRUE(p.Has({"f:x"}));
  EXPECT_TRUE(p.Has({"f:x", "f:y"}));
  EXPECT_TRUE(p.Has({"f:x", "f:y", "f:z"}));
}

TEST(FieldSetTest, PathStringLikeStructuredMergeDiff) {
  EXPECT_EQ(FieldSet::PathString({"f:spec", "f:replicas"}), ".spec.replicas");
  EXPECT_EQ(FieldSet::PathString({"f:spec", "f:containers", "k:{\"name\":\"nginx\"}", "f:image"}),
            ".spec.containers[name=\"nginx\"].image");
  EXPECT_EQ(FieldSet::PathString({"f:ports", "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"}),
            ".ports[containerPort=80,protocol=\"TCP\"]");
  EXPECT_EQ(FieldSet::PathString({"f:metadata", "f:finalizers", "v:\"a\""}), ".metadata.finalizers[=\"a\"]");
  EXPECT_EQ(FieldSet::PathString({"f:x", "i:3"}), ".x[3]");
  auto members = FromV1(R"({"f:b":{},"f:a":{".":{},"f:c":{}}})").Members();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0], (FieldSet::Path{"f:a"}));
  EXPECT_EQ(members[1], (FieldSet::Path{"f:a", "f:c"}));
  EXPECT_EQ(members[2], (FieldSet::Path{"f:b"}));
}

TEST(FieldSetTest, CompareFindsAddedModifiedRemoved) {
  auto schema = BuiltinFieldSchema("apps", "Deployment");
  json next = kDeployment;
  next["spec"]["replicas"] = 3;
  next["spec"]["paused"] = true;
  next["metadata"]["labels"].erase("app");
  auto& containers = next["spec"]["template"]["spec"]["containers"];
  containers[0]["image"] = "nginx:1.26";
  containers.push_back(json{{"name", "sidecar"}, {"image", "busybox"}});
  auto cmp = CompareObjects(kDeployment, next, *schema);
  EXPECT_TRUE(cmp.modified.Has({"f:spec", "f:replicas"}));
  EXPECT_TRUE(
      cmp.modified.Has({"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"nginx\"}", "f:image"}));
  EXPECT_TRUE(cmp.added.Has({"f:spec", "f:paused"}));
  EXPECT_TRUE(cmp.added.Has({"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"sidecar\"}"}));
  EXPECT_TRUE(cmp.added.Has({"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"sidecar\"}", "f:image"}));
  EXPECT_TRUE(cmp.removed.Has({"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(cmp.removed.Has({"f:metadata", "f:labels"})) << "the map is still there";
  // A map or list that appears is a change of its own, unless every object has it.
  json created = CompareObjects(json::object(), kDeployment, *schema).added.ToFieldsV1();
  EXPECT_EQ(created["f:metadata"]["f:labels"]["."], json::object());
  EXPECT_FALSE(created["f:metadata"].contains("."));
  EXPECT_FALSE(created["f:spec"].contains("."));
  EXPECT_FALSE(created["f:spec"]["f:template"]["f:spec"]["f:containers"].contains("."));
  const json& item = created["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
  EXPECT_EQ(item["f:ports"]["."], json::object());
  EXPECT_EQ(item["f:resources"], json::object()) << "an empty map on both sides is a leaf";
  EXPECT_EQ(created["f:metadata"]["f:finalizers"]["."], json::object());
  EXPECT_EQ(cmp.modified.MemberCount(), 2u);
  EXPECT_TRUE(CompareObjects(kDeployment, kDeployment, *schema).empty());
}

TEST(FieldSetTest, CompareTreatsEmptyMapsAsLeavesAndAtomicsAsWholes) {
  auto schema = BuiltinFieldSchema("apps", "Deployment");
  json a = json::parse(
      R"({"spec":{"selector":{"matchLabels":{"a":"1"}},"template":{"spec":{"tolerations":[{"key":"x"}]}}}})");
  json b = json::parse(
      R"({"spec":{"selector":{"matchLabels":{"a":"2"}},"template":{"spec":{"tolerations":[{"key":"y"}]}},"strategy":{}}})");
  auto cmp = CompareObjects(a, b, *schema);
  EXPECT_TRUE(cmp.modified.Has({"f:spec", "f:selector"}));
  EXPECT_TRUE(cmp.modified.Has({"f:spec", "f:template", "f:spec", "f:tolerations"}));
  EXPECT_TRUE(cmp.added.Has({"f:spec", "f:strategy"})) << cmp.added.ToFieldsV1().dump();
  FieldSet ex;
  ex.Insert({"f:spec", "f:selector"});
  auto filtered = CompareObjects(a, b, *schema, &ex);
  EXPECT_FALSE(filtered.modified.Has({"f:spec", "f:selector"}));
}

TEST(FieldSetTest, ServicePortsAndSetListsAndCustomResources) {
  auto svc = BuiltinFieldSchema("", "Service");
  json s = json::parse(R"({"spec":{"ports":[{"port":80,"targetPort":8080}],"selector":{"app":"x"}}})");
  FieldSet set = FieldSet::FromObject(s, *svc);
  EXPECT_TRUE(set.Has({"f:spec", "f:ports", "k:{\"port\":80,\"protocol\":\"TCP\"}", "f:targetPort"}));
  EXPECT_TRUE(set.Has({"f:spec", "f:selector"})) << "Service spec.selector is an atomic map";

  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["id"],
               "items":{"type":"object","properties":{"id":{"type":"string"},"v":{"type":"string"}}}},
      "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
      "plain":{"type":"array","items":{"type":"string"}},
      "ref":{"type":"object","x-kubernetes-map-type":"atomic","properties":{"name":{"type":"string"}}}}}}})");
  auto cr = CustomResourceFieldSchema(schema);
  json obj = json::parse(
      R"({"metadata":{"finalizers":["f"]},"spec":{"items":[{"id":"a","v":"1"}],"tags":["x"],"plain":["p"],"ref":{"name":"n"}}})");
  FieldSet crs = FieldSet::FromObject(obj, *cr);
  EXPECT_TRUE(crs.Has({"f:spec", "f:items", "k:{\"id\":\"a\"}", "f:v"}));
  EXPECT_TRUE(crs.Has({"f:spec", "f:tags", "v:\"x\""}));
  EXPECT_TRUE(crs.Has({"f:spec", "f:plain"}));
  EXPECT_TRUE(crs.Has({"f:spec", "f:ref"}));
  EXPECT_FALSE(crs.Has({"f:spec", "f:ref", "f:name"}));
  EXPECT_TRUE(crs.Has({"f:metadata", "f:finalizers", "v:\"f\""}));
  // Without a schema every list is atomic.
  auto bare = CustomResourceFieldSchema(nullptr);
  EXPECT_TRUE(FieldSet::FromObject(obj, *bare).Has({"f:spec", "f:items"}));
}

TEST(FieldSetTest, ListItemElementFallsBackToIndex) {
  ListType map{ListType::Kind::kMap, {"name"}, json()};
  EXPECT_EQ(ListItemElement(map, json{{"name", "a"}}, 0), "k:{\"name\":\"a\"}");
  EXPECT_EQ(ListItemElement(map, json{{"other", "a"}}, 4), "i:4");
  ListType set{ListType::Kind::kSet, {}, json()};
  EXPECT_EQ(ListItemElement(set, 5, 0), "v:5");
  EXPECT_EQ(ListItemElement(ListType{}, "x", 2), "i:2");
}

}  // namespace
}  // namespace vkube::resource
