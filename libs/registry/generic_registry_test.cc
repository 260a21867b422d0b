#include "libs/registry/generic_registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "libs/registry/admission/object_count_quota.h"
#include "libs/store/sqlite_store.h"

namespace vkube::registry {
namespace {

class GenericRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-registry-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    reg_ = std::make_unique<GenericRegistry>(store_, resource::Registry::BuiltIn());
    ASSERT_TRUE(reg_->Create(Ns(), "", Json{{"metadata", {{"name", "default"}}}}).ok());
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  const resource::Kind& Ns() { return *reg_->Find("", "namespaces"); }
  const resource::Kind& Pods() { return *reg_->Find("", "pods"); }
  const resource::Kind& Cms() { return *reg_->Find("", "configmaps"); }
  static Json Pod(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec", {{"containers", {{{"name", "app"}, {"image", "nginx"}}}}}}};
  }
  static Json Cm(const std::string& name) {
    return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", "default"}}}};
  }
  static Json Parse(const store::ObjectPtr& o) { return Json::parse(o->json); }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<GenericRegistry> reg_;
};

TEST_F(GenericRegistryTest, CreateSetsIdentityAndDefaultsAndRefusesDuplicates) {
  auto pod = reg_->Create(Pods(), "default", Pod("p"));
  ASSERT_TRUE(pod.ok());
  Json p = Parse(*pod);
  EXPECT_FALSE(p["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(p["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(p["spec"]["restartPolicy"], "Always");
  auto dup = reg_->Create(Pods(), "default", Pod("p"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(dup.error().message, "pods \"p\" already exists");
}

TEST_F(GenericRegistryTest, GenerateNameAndMissingNamespace) {
  Json cm = Cm("");
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "web-";
  auto created = reg_->Create(Cms(), "default", cm);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)->key.name.rfind("web-", 0), 0u);
  EXPECT_EQ((*created)->key.name.size(), 9u);
  auto missing = reg_->Create(Cms(), "nope", Cm("x"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "namespaces \"nope\" not found");
}

TEST_F(GenericRegistryTest, DryRunStoresNothing) {
  auto res = reg_->Create(Cms(), "default", Cm("dry"), {.dry_run = true});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(Parse(*res)["metadata"]["name"], "dry");
  EXPECT_FALSE(reg_->Get(Cms(), "default", "dry").ok());
}

TEST_F(GenericRegistryTest, UpdatePreconditionAndGuaranteedUpdateRetries) {
  auto created = reg_->Create(Cms(), "default", Cm("c"));
  ASSERT_TRUE(created.ok());
  Json stale = Parse(*created);
  stale["data"] = {{"a", "1"}};
  ASSERT_TRUE(reg_->Update(Cms(), "default", "c", stale).ok());
  auto conflict = reg_->Update(Cms(), "default", "c", stale);  // same resourceVersion again
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  int calls = 0;
  auto res = reg_->GuaranteedUpdate(Cms(), "default", "c", [&](const Json& cur) -> Result<Json> {
    Json next = cur;
    next["data"]["b"] = std::to_string(++calls);
    if (calls == 1) {
      // A concurrent writer sneaks in between our read and our write.
      Json other = cur;
      other["data"]["z"] = "x";
      EXPECT_TRUE(reg_->Update(Cms(), "default", "c", other).ok());
    }
    return next;
  });
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(calls, 2);
  Json final_cm = Parse(*res);
  EXPECT_EQ(final_cm["data"]["z"], "x");
  EXPECT_EQ(final_cm["data"]["b"], "2");
}

TEST_F(GenericRegistryTest, FinalizersHoldDeletionUntilRemoved) {
  Json cm = Cm("f");
  cm["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_TRUE(reg_->Create(Cms(), "default", cm).ok());
  auto del = reg_->Delete(Cms(), "default", "f");
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->deleted);
  Json pending = Parse(del->object);
  EXPECT_TRUE(pending["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(pending["metadata"]["deletionGracePeriodSeconds"], 0);
  // New finalizers are refused while deleting; removing the last one completes the deletion.
  pending["metadata"]["finalizers"] = Json::array();
  ASSERT_TRUE(reg_->Update(Cms(), "default", "f", pending).ok());
  auto gone = reg_->Get(Cms(), "default", "f");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(GenericRegistryTest, PropagationPolicyAddsGcFinalizers) {
  ASSERT_TRUE(reg_->Create(Cms(), "default", Cm("o")).ok());
  auto orphan = reg_->Delete(Cms(), "default", "o", {.propagation = Propagation::kOrphan});
  ASSERT_TRUE(orphan.ok());
  EXPECT_FALSE(orphan->deleted);
  EXPECT_EQ(Parse(orphan->object)["metadata"]["finalizers"], Json({"orphan"}));
  auto fg = reg_->Delete(Cms(), "default", "o", {.propagation = Propagation::kForeground});
  ASSERT_TRUE(fg.ok());
  EXPECT_EQ(Parse(fg->object)["metadata"]["finalizers"], Json({"foregroundDeletion"}));
  auto bg = reg_->Delete(Cms(), "default", "o", {.propagation = Propagation::kBackground});
  ASSERT_TRUE(bg.ok());
  EXPECT_TRUE(bg->deleted);
}

TEST_F(GenericRegistryTest, ScheduledPodsDeleteGracefullyUnscheduledImmediately) {
  ASSERT_TRUE(reg_->Create(Pods(), "default", Pod("pending")).ok());
  auto now = reg_->Delete(Pods(), "default", "pending");
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->deleted);

  Json bound = Pod("bound");
  bound["spec"]["nodeName"] = "node-1";
  ASSERT_TRUE(reg_->Create(Pods(), "default", bound).ok());
  auto graceful = reg_->Delete(Pods(), "default", "bound");
  ASSERT_TRUE(graceful.ok());
  EXPECT_FALSE(graceful->deleted);
  EXPECT_EQ(Parse(graceful->object)["metadata"]["deletionGracePeriodSeconds"], 30);
  // The kubelet confirms with grace 0.
  auto confirm = reg_->Delete(Pods(), "default", "bound", {.grace_period_seconds = 0});
  ASSERT_TRUE(confirm.ok());
  EXPECT_TRUE(confirm->deleted);
}

TEST_F(GenericRegistryTest, NamespaceTerminatesUntilFinalized) {
  ASSERT_TRUE(reg_->Create(Ns(), "", Json{{"metadata", {{"name", "team"}}}}).ok());
  auto del = reg_->Delete(Ns(), "", "team");
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->deleted);
  EXPECT_EQ(Parse(del->object)["status"]["phase"], "Terminating");
  Json cm = Cm("late");
  cm["metadata"]["namespace"] = "team";
  auto refused = reg_->Create(Cms(), "team", cm);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(refused.error().message,
            "configmaps \"late\" is forbidden: unable to create new content in namespace team because it is being "
            "terminated");
  // The namespace controller's /finalize removes "kubernetes"; the namespace goes away.
  Json fin = Parse(del->object);
  fin["spec"]["finalizers"] = Json::array();
  ASSERT_TRUE(reg_->Update(Ns(), "", "team", fin, {.subresource = "finalize"}).ok());
  EXPECT_FALSE(reg_->Get(Ns(), "", "team").ok());
}

class DenyConfigMaps : public AdmissionPlugin {
 public:
  Status Admit(AdmissionRequest& r) override {
    if (r.operation == Operation::kCreate && r.kind->info.resource == "configmaps") {
      (*r.object)["metadata"]["labels"]["admitted"] = "yes";
      if (r.name == "deny") return Error::Make(ErrorCode::kForbidden, "denied");
    }
    return {};
  }
};

TEST_F(GenericRegistryTest, AdmissionMutatesAndRefuses) {
  reg_->AddAdmission(std::make_shared<DenyConfigMaps>());
  auto ok = reg_->Create(Cms(), "default", Cm("ok"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(Parse(*ok)["metadata"]["labels"]["admitted"], "yes");
  auto denied = reg_->Create(Cms(), "default", Cm("deny"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kForbidden);
}

}  // namespace
}  // namespace vkube::registry

namespace vkube::registry {
namespace {

TEST_F(GenericRegistryTest, ObjectCountQuotaRefusesCreatesAtTheLimitLikeKube) {
  auto* sqlite = dynamic_cast<store::SqliteStore*>(store_.get());
  ASSERT_NE(sqlite, nullptr);
  const std::size_t used = sqlite->ObjectCount();  // the namespace
  reg_->AddAdmission(std::make_shared<ObjectCountQuota>(used + 2, [sqlite] { return sqlite->ObjectCount(); }));
  ASSERT_TRUE(reg_->Create(Cms(), "default", Cm("a")).ok());
  ASSERT_TRUE(reg_->Create(Cms(), "default", Cm("b")).ok());
  auto refused = reg_->Create(Cms(), "default", Cm("c"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(refused.error().message, "configmaps \"c\" is forbidden: exceeded quota: vkube-tenant-objects, requested: "
                                     "objects=1, used: objects=" + std::to_string(used + 2) +
                                     ", limited: objects=" + std::to_string(used + 2));
  // Updates and deletes still work at the limit (a tenant can always clean up).
  auto a = Parse(*reg_->Get(Cms(), "default", "a"));
  a["data"] = {{"k", "v"}};
  EXPECT_TRUE(reg_->Update(Cms(), "default", "a", a).ok());
  EXPECT_TRUE(reg_->Delete(Cms(), "default", "b", DeleteOptions{}).ok());
  EXPECT_TRUE(reg_->Create(Cms(), "default", Cm("c")).ok());
}

}  // namespace
}  // namespace vkube::registry
