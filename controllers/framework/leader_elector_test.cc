// Two candidates on one real store, as two vkube replicas on one shared etcd store would be.
#include "controllers/framework/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <thread>

#include "libs/resource/json_access.h"
#include "libs/store/sqlite_store.h"

namespace vkube::controllers {
namespace {

namespace jsonx = resource::jsonx;
using Json = nlohmann::json;

class LeaderElectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-lease-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    objects_ = std::make_shared<registry::GenericRegistry>(store_, resource::Registry::BuiltIn());
    ASSERT_TRUE(
        objects_->Create(*objects_->Find("", "namespaces"), "", Json{{"metadata", {{"name", "kube-system"}}}}).ok());
  }
  void TearDown() override {
    pool_.join();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  LeaderElectionOptions Options(const std::string& id) {
    return {.identity = id,
            .lease_duration = std::chrono::milliseconds(600),
            .renew_deadline = std::chrono::milliseconds(400),
            .retry_period = std::chrono::milliseconds(50)};
  }
  template <typename F>
  bool Eventually(F pred, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    for (auto deadline = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < deadline;) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  Json Lease() {
    auto l =
        objects_->GetJson(*objects_->Find("coordination.k8s.io", "leases"), "kube-system", "kube-controller-manager");
    return l ? *l : Json();
  }

  boost::asio::thread_pool pool_{4};
  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<registry::GenericRegistry> objects_;
};

TEST_F(LeaderElectorTest, ExactlyOneLeadsAndTheOtherTakesOverWhenItGoes) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0};
  auto a = LeaderElector::Start(
      objects_, pool_.get_executor(), Options("a"), [&] { ++a_started; }, [&] { ++a_stopped; });
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  auto b = LeaderElector::Start(
      objects_, pool_.get_executor(), Options("b"), [&] { ++b_started; }, nullptr);
  // b campaigns for several lease durations while a keeps renewing: b never leads.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(a->leading());
  EXPECT_FALSE(b->leading());
  EXPECT_EQ(b_started.load(), 0);
  Json lease = Lease();
  EXPECT_EQ(jsonx::Str(lease, "spec.holderIdentity"), "a");
  EXPECT_EQ(jsonx::Int(lease, "spec.leaseTransitions", -1), 0);
  EXPECT_FALSE(jsonx::Str(lease, "spec.renewTime").empty());

  // a stops (graceful): it releases the lease and b leads without waiting out the duration.
  const auto stopped_at = std::chrono::steady_clock::now();
  a->Stop();
  EXPECT_EQ(a_stopped.load(), 1);
  ASSERT_TRUE(Eventually([&] { return b->leading(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, std::chrono::milliseconds(600));
  EXPECT_EQ(b_started.load(), 1);
  EXPECT_EQ(a_started.load(), 1);
  lease = Lease();
  EXPECT_EQ(jsonx::Str(lease, "spec.holderIdentity"), "b");
  EXPECT_EQ(jsonx::Int(lease, "spec.leaseTransitions", -1), 1);
  b->Stop();
}

TEST_F(LeaderElectorTest, ACrashedLeadersLeaseIsTakenAfterItExpires) {
  // A lease held by a replica that died without releasing it.
  ASSERT_TRUE(objects_
                  ->Create(*objects_->Find("coordination.k8s.io", "leases"), "kube-system", Json::parse(R"({
    "apiVersion":"coordination.k8s.io/v1","kind":"Lease",
    "metadata":{"name":"kube-controller-manager","namespace":"kube-system"},
    "spec":{"holderIdentity":"dead","leaseDurationSeconds":1,"renewTime":"2020-01-01T00:00:00.000000Z"}})"))
                  .ok());
  const auto start = std::chrono::steady_clock::now();
  auto b = LeaderElector::Start(objects_, pool_.get_executor(), Options("b"), nullptr, nullptr);
  ASSERT_TRUE(Eventually([&] { return b->leading(); }));
  // Not before a full lease duration of our own observation (the old renewTime is not trusted).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
  EXPECT_EQ(jsonx::Str(Lease(), "spec.holderIdentity"), "b");
  b->Stop();
}

TEST_F(LeaderElectorTest, ALeaderThatCannotRenewStopsLeading) {
  std::atomic<int> stopped{0};
  auto a = LeaderElector::Start(objects_, pool_.get_executor(), Options("a"), nullptr, [&] { ++stopped; });
  ASSERT_TRUE(Eventually([&] { return a->leading(); }));
  // Another writer takes the lease behind a's back (a partition healing the other way).
  auto kind = objects_->Find("coordination.k8s.io", "leases");
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(*kind, "kube-system", "kube-controller-manager",
                                     [](const Json& c) -> Result<Json> {
                                       Json n = c;
                                       n["spec"]["holderIdentity"] = "usurper";
                                       return n;
                                     })
                  .ok());
  // Keep the usurper's record fresh so it never looks expired to a.
  std::atomic<bool> renewing{true};
  std::thread usurper([&] {
    while (renewing) {
      (void)objects_->GuaranteedUpdate(*kind, "kube-system", "kube-controller-manager",
                                       [](const Json& c) -> Result<Json> {
                                         Json n = c;
                                         n["spec"]["holderIdentity"] = "usurper";
                                         n["spec"]["renewTime"] = "2026-01-01T00:00:00.000000Z";
                                         return n;
                                       });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  EXPECT_TRUE(Eventually([&] { return !a->leading(); }));
  EXPECT_EQ(stopped.load(), 1);
  renewing = false;
  usurper.join();
  a->Stop();
  EXPECT_EQ(stopped.load(), 1);  // not stopped twice
}

}  // namespace
}  // namespace vkube::controllers
