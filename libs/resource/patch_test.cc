#include "libs/resource/patch.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using nlohmann::json;

TEST(MergePatch, Rfc7386) {
  json doc = json::parse(R"({"a":"b","c":{"d":"e","f":"g"}})");
  auto out = ApplyMergePatch(doc, json::parse(R"({"a":"z","c":{"f":null}})"));
  EXPECT_EQ(*out, json::parse(R"({"a":"z","c":{"d":"e"}})"));
}

TEST(JsonPatch, OperationsAndErrors) {
  json doc = json::parse(R"({"metadata":{"labels":{"a":"1"}},"list":[1,2]})");
  auto out = ApplyJsonPatch(doc, json::parse(R"([{"op":"add","path":"/metadata/labels/b","value":"2"},
    {"op":"remove","path":"/list/0"},{"op":"test","path":"/list/0","value":2}])"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["metadata"]["labels"]["b"], "2");
  EXPECT_EQ((*out)["list"], json::array({2}));
  auto failed = ApplyJsonPatch(doc, json::parse(R"([{"op":"test","path":"/list/0","value":9}])"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(ApplyJsonPatch(doc, json::object()).error().code, ErrorCode::kBadRequest);
}

TEST(StrategicMergePatch, ContainersMergeByName) {
  json pod = json::parse(R"({"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"X","value":"1"}]},
    {"name":"b","image":"b:1"}]}})");
  auto out = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"containers":[{"name":"a","image":"a:2",
    "env":[{"name":"Y","value":"2"}]}]}})"), "", "Pod");
  ASSERT_TRUE(out.ok());
  const auto& cs = (*out)["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["image"], "a:2");
  EXPECT_EQ(cs[0]["env"].size(), 2u);
  EXPECT_EQ(cs[1]["image"], "b:1");
}

TEST(StrategicMergePatch, DirectivesDeleteReplaceOrder) {
  json pod = json::parse(R"({"metadata":{"finalizers":["x","y"]},"spec":{"containers":[{"name":"a"},{"name":"b"}],
    "tolerations":[{"key":"k"}]}})");
  auto del = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})"), "",
                                      "Pod");
  EXPECT_EQ((*del)["spec"]["containers"], json::parse(R"([{"name":"b"}])"));
  auto atomic = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"tolerations":[{"key":"z"}]}})"), "", "Pod");
  EXPECT_EQ((*atomic)["spec"]["tolerations"], json::parse(R"([{"key":"z"}])"));
  auto fin = ApplyStrategicMergePatch(pod, json::parse(R"({"metadata":{"finalizers":["z"],
    "$deleteFromPrimitiveList/finalizers":["x"]}})"), "", "Pod");
  EXPECT_EQ((*fin)["metadata"]["finalizers"], json::parse(R"(["y","z"])"));
  auto order = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"$setElementOrder/containers":[{"name":"b"},
    {"name":"a"}],"containers":[{"name":"a","image":"i"}]}})"), "", "Pod");
  EXPECT_EQ((*order)["spec"]["containers"][0]["name"], "b");
  EXPECT_EQ((*order)["spec"]["containers"][1]["image"], "i");
  auto replace = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"$patch":"replace","containers":[]}})"), "", "Pod");
  EXPECT_EQ((*replace)["spec"], json::parse(R"({"containers":[]})"));
  auto svc = ApplyStrategicMergePatch(json::parse(R"({"spec":{"ports":[{"port":80,"name":"http"}]}})"),
                                      json::parse(R"({"spec":{"ports":[{"port":443,"name":"https"}]}})"), "", "Service");
  EXPECT_EQ((*svc)["spec"]["ports"].size(), 2u);
  auto missing_key = ApplyStrategicMergePatch(pod, json::parse(R"({"spec":{"containers":[{"image":"x"}]}})"), "", "Pod");
  EXPECT_EQ(missing_key.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace vkube::resource
