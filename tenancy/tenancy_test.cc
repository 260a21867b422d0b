// Tenancy on the real pieces: a real database file, real credentials, each tenant's real API
// server and controllers. Routing decisions are tested as a pure function.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "apiserver-proxy/openapi/openapi_service.h"
#include "tenancy/data_dir.h"
#include "tenancy/platform_metrics.h"
#include "tenancy/tenant_manager.h"
#include "tenancy/tenant_name.h"
#include "tenancy/tenant_router.h"
#include "tenancy/testing/test_platform.h"

namespace vkube::tenancy {
namespace {

TEST(TenantName, DnsLabelsOfAtMostFortyCharacters) {
  EXPECT_TRUE(ValidateTenantName("team-a").ok());
  EXPECT_TRUE(ValidateTenantName("a").ok());
  EXPECT_TRUE(ValidateTenantName(std::string(40, 'a')).ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "-a", "a-", "A", "a.b", "a/b", "a%2Fb", "..", std::string(41, 'a'), "a b", "a_b"}) {
    auto s = ValidateTenantName(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalid);
  }
}

TEST(ResolveRoute, SniThenPathPrefixThenDefault) {
  const RouterOptions o{.base_domain = "vkube.test", .default_tenant = "default"};
  auto r = ResolveRoute(o, "team-a.vkube.test", "/api/v1/pods", "limit=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tenant, "team-a");
  EXPECT_EQ(r->target, "/api/v1/pods?limit=1");
  EXPECT_TRUE(r->by_sni);
  EXPECT_EQ(ResolveRoute(o, "TEAM-A.VKUBE.TEST", "/", "")->tenant, "");  // label must be lower case
  // With SNI the path is never a tenant route: /tenants/b stays a path inside team-a.
  r = ResolveRoute(o, "team-a.vkube.test", "/tenants/b/api", "");
  EXPECT_EQ(r->tenant, "team-a");
  EXPECT_EQ(r->path, "/tenants/b/api");
  r = ResolveRoute(o, "", "/tenants/b/api/v1/namespaces", "");
  EXPECT_EQ(r->tenant, "b");
  EXPECT_FALSE(r->by_sni);
  EXPECT_EQ(r->path, "/api/v1/namespaces");
  EXPECT_EQ(ResolveRoute(o, "", "/tenants/b", "")->path, "/");
  EXPECT_EQ(ResolveRoute(o, "localhost", "/api", "")->tenant, "default");
  // Tricks address nobody (→ 401), never another tenant.
  for (const char* p : {"/tenants/b%2F..%2Fc/api", "/tenants/../c/api", "/tenants//api", "/tenants/B/api",
                        "/tenants/b.c/api", "/tenants/b/../c/api", "/tenants/b/%2e%2e/c/api", "/tenants/b/..%2Fc",
                        "/tenants/b/x/../../c/api", "/tenants/b/.."}) {
    r = ResolveRoute(o, "", p, "");
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->tenant, "") << p;
  }
  EXPECT_EQ(ResolveRoute(o, "x.y.vkube.test", "/", "")->tenant, "");
  EXPECT_EQ(ResolveRoute(o, "evilvkube.test", "/api", "")->tenant, "default");  // not a subdomain
  EXPECT_FALSE(ResolveRoute(RouterOptions{}, "", "/api", ""));
  // "//tenants/b" is not the prefix: it stays a (404) path of the default tenant.
  EXPECT_EQ(ResolveRoute(o, "", "//tenants/b/api", "")->tenant, "default");
}

class TenantManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-tenancy-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Open();
  }
  void Open() {
    manager_ = testing::OpenTestTenants(dir_, blocking_, controllers_);
    ASSERT_NE(manager_, nullptr);
  }
  void TearDown() override {
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::size_t ConfigMaps(Tenant& t, const std::string& ns) {
    return t.store().List(store::ListOptions{.resource = "configmaps", .ns = ns})->items.size();
  }

  std::string dir_;
  boost::asio::thread_pool blocking_{2};
  boost::asio::thread_pool controllers_{1};
  std::unique_ptr<TenantManager> manager_;
};

TEST_F(TenantManagerTest, HostNamespaceIsRecordedAndValidated) {
  auto made = manager_->Create("a", TenantSpec{.host_namespace = "team-a"});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->spec.host_namespace, "team-a");
  ASSERT_TRUE(manager_->Create("b").ok());
  auto bad = manager_->Create("c", TenantSpec{.host_namespace = "Team_C"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error().message.find("spec.hostNamespace"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(manager_->Find("c"));
  manager_.reset();  // restart: the spec comes back from tenant.json
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(manager_->Find("a")->spec.host_namespace, "team-a");
  EXPECT_EQ(manager_->Find("b")->spec.host_namespace, "");
  auto recorded = ListRecordedTenants(dir_);  // what `vkube tenants` reads
  ASSERT_TRUE(recorded.ok());
  ASSERT_EQ(recorded->size(), 2u);
  EXPECT_EQ((*recorded)[0].spec.host_namespace, "team-a");
}

// A name stays taken while its deletion (data, then host objects) runs: a tenant re-created under
// it must not have its fresh host objects removed by the old one's cleanup.
TEST_F(TenantManagerTest, ANameBeingDeletedCannotBeCreatedAgainUntilTheDeleteReturns) {
  manager_.reset();
  std::promise<void> cleanup_started, finish_cleanup;
  auto finish = finish_cleanup.get_future().share();
  manager_ = testing::OpenTestTenants(dir_, blocking_, controllers_, "", "", [&](Platform& p) {
    p.on_tenant_deleted = [&cleanup_started, finish](const TenantInfo&) -> Status {
      cleanup_started.set_value();
      finish.wait();
      return {};
    };
  });
  ASSERT_NE(manager_, nullptr);
  ASSERT_TRUE(manager_->Create("a").ok());
  auto deleting = std::async(std::launch::async, [&] { return manager_->Delete("a"); });
  cleanup_started.get_future().wait();
  EXPECT_FALSE(manager_->Find("a"));  // gone for readers
  auto again = manager_->Create("a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(again.error().message.find("is being deleted"), std::string::npos) << again.error().message;
  finish_cleanup.set_value();
  ASSERT_TRUE(deleting.get().ok());
  EXPECT_TRUE(manager_->Create("a").ok());
}

TEST_F(TenantManagerTest, TenantsAreIsolatedPersistentAndDeletable) {
  ASSERT_TRUE(manager_->Create("a").ok());
  ASSERT_TRUE(manager_->Create("b").ok());
  EXPECT_EQ(manager_->Create("a").error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(manager_->Create("Bad_Name").error().code, ErrorCode::kInvalid);
  auto a = manager_->Acquire("a");
  auto b = manager_->Acquire("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->credentials().ca.cert_pem, (*b)->credentials().ca.cert_pem);
  EXPECT_NE((*a)->credentials().admin_token, (*b)->credentials().admin_token);
  nlohmann::json cm = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "only-a"}, {"namespace", "default"}}}};
  ASSERT_TRUE((*a)->store().Create(store::Key{"configmaps", "default", "only-a"}, cm, {}).ok());
  // kube-root-ca.crt comes from each tenant's own controllers; only-a stays in a.
  EXPECT_EQ((*a)->store().Get(store::Key{"configmaps", "default", "only-a"}).ok(), true);
  EXPECT_FALSE((*b)->store().Get(store::Key{"configmaps", "default", "only-a"}).ok());
  EXPECT_EQ(manager_->Acquire("nope").error().code, ErrorCode::kNotFound);
  a->reset();
  b->reset();

  // Restart: both tenants come back (lazily), with their data.
  manager_.reset();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_EQ(manager_->List().size(), 2u);
  EXPECT_FALSE(manager_->List()[0].running);
  a = manager_->Acquire("a");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->store().Get(store::Key{"configmaps", "default", "only-a"}).ok());

  // Delete: gone from the list, its partition and files removed; the name can be reused fresh.
  ASSERT_TRUE(manager_->Delete("a").ok());
  EXPECT_EQ(manager_->Delete("a").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/tenants/a"));
  EXPECT_EQ(manager_->Acquire("a").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(manager_->Create("a").ok());
  auto fresh = manager_->Acquire("a");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE((*fresh)->store().Get(store::Key{"configmaps", "default", "only-a"}).ok());
  EXPECT_NE((*fresh)->credentials().admin_token, (*a)->credentials().admin_token);
}

// A crash (or a store error) after a delete removed tenant.json leaves the old tenant's objects in
// the store; a tenant created later under the name (maybe for another team) must not see them.
TEST_F(TenantManagerTest, ANewTenantNeverSeesDataAnInterruptedDeleteLeft) {
  ASSERT_TRUE(manager_->Create("a").ok());
  {
    auto a = manager_->Acquire("a");
    ASSERT_TRUE(a.ok());
    nlohmann::json cm = {
        {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "old"}, {"namespace", "default"}}}};
    ASSERT_TRUE((*a)->store().Create(store::Key{"configmaps", "default", "old"}, cm, {}).ok());
  }
  manager_.reset();
  std::filesystem::remove(dir_ + "/tenants/a/tenant.json");  // Delete's first step, then the crash
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_FALSE(manager_->Find("a"));
  ASSERT_TRUE(manager_->Create("a").ok());
  auto fresh = manager_->Acquire("a");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE((*fresh)->store().Get(store::Key{"configmaps", "default", "old"}).ok());
}

}  // namespace
}  // namespace vkube::tenancy

namespace vkube::tenancy {
namespace {

TEST(TenantGate, TokenBucketAndWatchCap) {
  TenantGate gate(TenantLimits{.requests_per_second = 10, .burst = 3, .max_watches = 2});
  const auto t0 = TenantGate::Clock::now();
  EXPECT_TRUE(gate.AdmitRequest(t0));
  EXPECT_TRUE(gate.AdmitRequest(t0));
  EXPECT_TRUE(gate.AdmitRequest(t0));
  EXPECT_FALSE(gate.AdmitRequest(t0));                                  // burst spent
  EXPECT_TRUE(gate.AdmitRequest(t0 + std::chrono::milliseconds(100)));  // one token per 100 ms
  EXPECT_FALSE(gate.AdmitRequest(t0 + std::chrono::milliseconds(150)));
  {
    auto a = gate.AdmitWatch();
    auto b = gate.AdmitWatch();
    EXPECT_TRUE(a.ok() && b.ok());
    EXPECT_FALSE(gate.AdmitWatch().ok());
    EXPECT_EQ(gate.watches(), 2u);
  }
  EXPECT_EQ(gate.watches(), 0u);  // slots released with the watches
  EXPECT_TRUE(gate.AdmitWatch().ok());
  TenantGate unlimited(TenantLimits{});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.AdmitRequest(t0));
  EXPECT_FALSE(unlimited.caps_connections());
}

TEST(TenantGate, ConnectionCapLeasesOutliveTheGate) {
  std::shared_ptr<void> kept;
  {
    TenantGate gate(TenantLimits{.max_connections = 2});
    ASSERT_TRUE(gate.caps_connections());
    std::shared_ptr<void> a = gate.AdmitConnection(), b = gate.AdmitConnection();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(gate.AdmitConnection(), nullptr);
    EXPECT_EQ(gate.connections(), 2u);
    std::shared_ptr<void> a2 = a;  // (a connection's streams share one lease)
    a.reset();
    EXPECT_EQ(gate.connections(), 2u);
    a2.reset();
    EXPECT_EQ(gate.connections(), 1u);  // freed when the connection's last reference goes
    kept = gate.AdmitConnection();
    ASSERT_TRUE(kept);
    EXPECT_EQ(gate.AdmitConnection(), nullptr);
  }
  kept.reset();  // after the gate is gone (an unloaded tenant): no use after free (ASan)
}

}  // namespace
}  // namespace vkube::tenancy

namespace vkube::tenancy {
namespace {

TEST(PlatformMetrics, BoundedSeriesPerTenantAndForget) {
  PlatformMetrics m;
  auto a = m.Track("a");
  EXPECT_EQ(m.Track("a"), a);  // one set of handles per tenant
  for (int i = 0; i < 100; ++i) m.Observe(*a, "list", "configmaps", 200, 0.002);
  m.Observe(*a, "get", "", 404, 0.001);
  m.Observe(*a, "watch", "pods", 200, 30);
  const std::string text = m.Serialize();
  EXPECT_NE(text.find(R"(vkube_tenant_requests_total{code="200",tenant="a"} 101)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(vkube_requests_total{code="404",resource="other",verb="get"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(vkube_tenant_request_duration_seconds_count{tenant="a"} 101)"), std::string::npos)
      << "watches are not latency samples";
  m.Forget("a");
  EXPECT_EQ(m.Serialize().find("tenant=\"a\""), std::string::npos);
}

}  // namespace
}  // namespace vkube::tenancy
