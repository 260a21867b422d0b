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

#include "libs/resource/protobuf_decoder.h"

namespace vkube::resource {
namespace {

// kubectl's `create configmap c --from-literal=a=b` body, as client-go encodes it.
TEST(ProtobufDecoder, DecodesConfigMapEnvelope) {
  auto field = [](int num, const std::string& payload) {
    std::string out(1, static_cast<char>((num << 3) | 2));
    out.push_back(static_cast<char>(payload.size()));
    return out + payload;
  };
  std::string meta = field(1, "c");                                   // ObjectMeta.name
  std::string entry = field(1, "a") + field(2, "b");                  // map entry
  std::string cm = field(1, meta) + field(2, entry);                  // ConfigMap{metadata, data}
  std::string type_meta = field(1, "v1") + field(2, "ConfigMap");
  std::string body = std::string("k8s\0", 4) + field(1, type_meta) + field(2, cm);
  auto obj = DecodeKubernetesProtobuf(body);
  ASSERT_TRUE(obj.ok()) << obj.error().message;
  EXPECT_EQ((*obj)["kind"], "ConfigMap");
  EXPECT_EQ((*obj)["metadata"]["name"], "c");
  EXPECT_EQ((*obj)["data"]["a"], "b");
}

TEST(ProtobufDecoder, RejectsGarbageWithBadRequest) {
  for (std::string bad : {std::string("k8s\0", 4), std::string("nope"), std::string("k8s\0\x0a\xff", 6),
                          std::string("k8s\0\x0a\x02\x12\x00", 8)}) {
    auto r = DecodeKubernetesProtobuf(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  }
}

}  // namespace
}  // namespace vkube::resource
