#include "libs/registry/admission/service_allocator.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "libs/store/sqlite_store.h"

namespace vkube::registry {
namespace {

class ServiceAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-alloc-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/s.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    reg_ = std::make_unique<GenericRegistry>(store_, resource::Registry::BuiltIn());
    ASSERT_TRUE(reg_->Create(*reg_->Find("", "namespaces"), "", Json{{"metadata", {{"name", "default"}}}}).ok());
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Install(ServiceAllocatorOptions o = {}) {
    auto a = ServiceAllocator::Create(store_, o);
    ASSERT_TRUE(a.ok());
    reg_->AddAdmission(*a);
  }
  Result<store::ObjectPtr> Svc(const std::string& name, Json spec) {
    Json svc = {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", spec}};
    return reg_->Create(*reg_->Find("", "services"), "default", svc);
  }
  static Json Ports() { return Json::parse(R"([{"port":80,"protocol":"TCP"}])"); }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<GenericRegistry> reg_;
};

TEST_F(ServiceAllocatorTest, AllocatesDistinctIpsAndNodePortsAndRefusesTakenOnes) {
  Install();
  auto a = Svc("a", {{"ports", Ports()}});
  auto b = Svc("b", {{"type", "NodePort"}, {"ports", Ports()}});
  ASSERT_TRUE(a.ok() && b.ok());
  Json ja = Json::parse((*a)->json), jb = Json::parse((*b)->json);
  EXPECT_NE(ja["spec"]["clusterIP"], jb["spec"]["clusterIP"]);
  EXPECT_EQ(ja["spec"]["clusterIPs"], Json::array({ja["spec"]["clusterIP"]}));
  EXPECT_EQ(ja["spec"]["clusterIP"].get<std::string>().rfind("10.", 0), 0u);
  EXPECT_NE(ja["spec"]["clusterIP"], "10.96.0.1");  // the kubernetes Service's
  const int np = jb["spec"]["ports"][0]["nodePort"];
  EXPECT_GE(np, 30000);
  EXPECT_LE(np, 32767);
  auto dup = Svc("c", {{"clusterIP", ja["spec"]["clusterIP"]}, {"ports", Ports()}});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("provided IP is already allocated"), std::string::npos) << dup.error().message;
  auto dup_port = Svc("d", {{"type", "NodePort"}, {"ports", Json::parse(R"([{"port":81,"nodePort":)" +
                                                                     std::to_string(np) + "}]")}});
  ASSERT_FALSE(dup_port.ok());
  EXPECT_NE(dup_port.error().message.find("provided port is already allocated"), std::string::npos);
  auto headless = Svc("h", {{"clusterIP", "None"}, {"ports", Ports()}});
  ASSERT_TRUE(headless.ok());
  EXPECT_EQ(Json::parse((*headless)->json)["spec"]["clusterIP"], "None");
}

TEST_F(ServiceAllocatorTest, DeleteReleasesAndRestartRebuildsFromStore) {
  ServiceAllocatorOptions tiny{.service_cidr = "10.0.0.0/30"};  // 4 addresses: .1 reserved, .2 free
  Install(tiny);
  auto a = Svc("a", {{"ports", Ports()}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Json::parse((*a)->json)["spec"]["clusterIP"], "10.0.0.2");
  auto full = Svc("b", {{"ports", Ports()}});
  ASSERT_FALSE(full.ok());
  // A new allocator (restart) sees the stored service as allocated.
  auto again = ServiceAllocator::Create(store_, tiny);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(reg_->Delete(*reg_->Find("", "services"), "default", "a").ok());
  auto b = Svc("b", {{"ports", Ports()}});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(Json::parse((*b)->json)["spec"]["clusterIP"], "10.0.0.2");
}

}  // namespace
}  // namespace vkube::registry
