// pods/binding over a real SqliteStore and the built-in kinds.
#include "libs/registry/binding.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libs/resource/json_access.h"
#include "libs/resource/status.h"
#include "libs/store/sqlite_store.h"

namespace vkube::registry {
namespace {

namespace jsonx = resource::jsonx;
using nlohmann::json;

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-binding-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    objects_ = std::make_shared<GenericRegistry>(store_, resource::Registry::BuiltIn());
    ASSERT_TRUE(
        objects_->Create(*objects_->Find("", "namespaces"), "", json{{"metadata", {{"name", "default"}}}}).ok());
    auto pod = objects_->Create(
        *objects_->Find("", "pods"), "default",
        json::parse(
            R"({"metadata":{"name":"web","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx"}]}})"));
    ASSERT_TRUE(pod.ok()) << pod.error().message;
    uid_ = jsonx::Str(json::parse((*pod)->json), "metadata.uid");
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  json Pod() { return *objects_->GetJson(*objects_->Find("", "pods"), "default", "web"); }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<GenericRegistry> objects_;
  std::string uid_;
};

TEST_F(BindingTest, SetsNodeNameOnceAndMarksScheduled) {
  json b = MakeBinding("default", "web", uid_, "node-1");
  b["metadata"]["annotations"] = {{"scheduler.example/why", "test"}};
  auto res = BindPod(*objects_, "default", "web", b);
  ASSERT_TRUE(res.ok()) << res.error().message;
  json pod = Pod();
  EXPECT_EQ(jsonx::Str(pod, "spec.nodeName"), "node-1");
  EXPECT_EQ(pod["metadata"]["annotations"]["scheduler.example/why"], "test");
  ASSERT_TRUE(pod["status"]["conditions"].is_array());
  EXPECT_EQ(pod["status"]["conditions"][0]["type"], "PodScheduled");
  EXPECT_EQ(pod["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  // The field selector the kubelet watches with sees the new node.
  auto attrs = store_->Get(objects_->KeyFor(*objects_->Find("", "pods"), "default", "web"));
  ASSERT_TRUE(attrs.ok());
  bool found = false;
  for (const auto& [k, val] : (*attrs)->attrs.fields) found |= k == "spec.nodeName" && val == "node-1";
  EXPECT_TRUE(found);

  auto again = BindPod(*objects_, "default", "web", MakeBinding("default", "web", "", "node-2"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-1\"");
  EXPECT_EQ(jsonx::Str(Pod(), "spec.nodeName"), "node-1");
}

TEST_F(BindingTest, ValidatesTheBinding) {
  auto res = BindPod(*objects_, "default", "web", MakeBinding("default", "other", "", "n"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(res.error().message, "name in URL does not match name in Binding object");

  json b = MakeBinding("default", "web", "", "");
  res = BindPod(*objects_, "default", "web", b);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(res.error().message, "Binding \"web\" is invalid: target.name: Required value");

  res = BindPod(*objects_, "default", "missing", MakeBinding("default", "missing", "", "n"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(res.error().message, "pods \"missing\" not found");

  res = BindPod(*objects_, "default", "web", MakeBinding("default", "web", "not-the-uid", "n"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(jsonx::Str(Pod(), "spec.nodeName").empty());
}

TEST_F(BindingTest, DryRunDoesNotStore) {
  auto res = BindPod(*objects_, "default", "web", MakeBinding("default", "web", "", "n"), /*dry_run=*/true);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(jsonx::Str(json::parse((*res)->json), "spec.nodeName"), "n");
  EXPECT_TRUE(jsonx::Str(Pod(), "spec.nodeName").empty());
}

TEST_F(BindingTest, ADeletingPodCannotBeBound) {
  // A pod with a finalizer stays (terminating) after delete.
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(*objects_->Find("", "pods"), "default", "web",
                                     [](const json& cur) -> Result<json> {
                                       json n = cur;
                                       n["metadata"]["finalizers"] = {"example.com/hold"};
                                       return n;
                                     })
                  .ok());
  ASSERT_TRUE(objects_->Delete(*objects_->Find("", "pods"), "default", "web").ok());
  auto res = BindPod(*objects_, "default", "web", MakeBinding("default", "web", "", "n"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kConflict);
  EXPECT_EQ(
      res.error().message,
      "Operation cannot be fulfilled on pods/binding \"web\": pod web is being deleted, cannot be assigned to a host");
}

}  // namespace
}  // namespace vkube::registry
