// The CRD controller against a real store and registry, run by the ControllerManager as a tenant
// runs it: names and conditions as kube-apiextensions-apiserver sets them, and the cleanup of a
// deleted CRD's custom resources before the CRD goes.
#include "controllers/apiextensions/crd_controller.h"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <thread>

#include "controllers/controller_manager.h"
#include "libs/core/time.h"
#include "libs/resource/json_access.h"
#include "libs/store/sqlite_store.h"

namespace vkube::controllers {
namespace {

namespace jsonx = resource::jsonx;

constexpr const char* kGroup = "stable.example.com";

// A minimal valid apiextensions.k8s.io/v1 CRD of kGroup (or `group`).
Json Crd(const std::string& plural, const std::string& singular, const std::string& kind,
         const std::vector<std::string>& short_names, const std::string& group = kGroup) {
  Json names = {{"plural", plural}, {"singular", singular}, {"kind", kind}, {"listKind", kind + "List"}};
  if (!short_names.empty()) names["shortNames"] = short_names;
  return Json{{"apiVersion", "apiextensions.k8s.io/v1"},
              {"kind", "CustomResourceDefinition"},
              {"metadata", {{"name", plural + "." + group}}},
              {"spec",
               {{"group", group},
                {"scope", "Namespaced"},
                {"names", names},
                {"versions",
                 {{{"name", "v1"},
                   {"served", true},
                   {"storage", true},
                   {"schema",
                    {{"openAPIV3Schema", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
}

class CrdControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-crdc-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    objects_ = std::make_shared<registry::GenericRegistry>(store_, resource::Registry::BuiltIn());
    crd_kind_ = objects_->Find("apiextensions.k8s.io", "customresourcedefinitions");
    ASSERT_NE(crd_kind_, nullptr) << "the built-in registry serves no CustomResourceDefinitions";
    for (const char* ns : {"default", "team"}) {
      ASSERT_TRUE(objects_->Create(*objects_->Find("", "namespaces"), "", Json{{"metadata", {{"name", ns}}}}).ok());
    }
    auto m = ControllerManager::Start(
        ControllerContext{.tenant = "t1", .objects = objects_, .executor = pool_.get_executor()});
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
    pool_.join();
    manager_.reset();
    if (store_) store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // Polls `pred` for up to 10 s (controllers are asynchronous).
  template <typename F>
  bool Eventually(F pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void Create(const Json& crd) {
    auto res = objects_->Create(*crd_kind_, "", crd);
    ASSERT_TRUE(res.ok()) << res.error().message;
  }
  std::optional<Json> Get(const std::string& name) {
    auto res = objects_->GetJson(*crd_kind_, "", name);
    if (!res) return std::nullopt;
    return *res;
  }
  static Json Condition(const Json& crd, const std::string& type) {
    for (const auto& c : jsonx::At(crd, "status.conditions")) {
      if (jsonx::Str(c, "type") == type) return c;
    }
    return nullptr;
  }
  static std::string ConditionStatus(const Json& crd, const std::string& type) {
    Json c = Condition(crd, type);
    return c.is_null() ? "" : jsonx::Str(c, "status");
  }
  bool Established(const std::string& name) {
    auto crd = Get(name);
    return crd && ConditionStatus(*crd, "Established") == "True";
  }
  // What the tenant's CRD catalog does once a CRD is established: serve its kind (unless the
  // catalog already does).
  const resource::Kind* ServeCronTabs() {
    if (objects_->kinds()->Find(kGroup, "v1", "crontabs") == nullptr) {
      resource::Kind kind;
      kind.info = {.group = kGroup,
                   .version = "v1",
                   .resource = "crontabs",
                   .kind = "CronTab",
                   .singular = "crontab",
                   .namespaced = true};
      kind.strategy = std::make_shared<resource::Strategy>(resource::StrategyTraits{.kind = "CronTab"});
      objects_->SetKinds(
          std::make_shared<const resource::Registry>(objects_->kinds(), std::vector<resource::Kind>{std::move(kind)}));
    }
    kinds_ = objects_->kinds();
    return kinds_->Find(kGroup, "v1", "crontabs");
  }
  std::size_t CountCronTabs() {
    auto res = store_->List(store::ListOptions{.resource = std::string(kGroup) + "/crontabs"});
    return res ? res->items.size() : 999;
  }

  boost::asio::thread_pool pool_{2};
  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<registry::GenericRegistry> objects_;
  const resource::Kind* crd_kind_ = nullptr;
  std::shared_ptr<const resource::Registry> kinds_;
  std::unique_ptr<ControllerManager> manager_;
};

TEST_F(CrdControllerTest, NamesAcceptedThenEstablished) {
  Json crd = Crd("crontabs", "crontab", "CronTab", {"ct"});
  crd["spec"]["names"]["categories"] = {"all"};
  Create(crd);
  ASSERT_TRUE(Eventually([&] { return Established("crontabs.stable.example.com"); }));
  auto got = Get("crontabs.stable.example.com");
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["status"]["acceptedNames"], Json::parse(R"({"plural":"crontabs","singular":"crontab",
    "shortNames":["ct"],"kind":"CronTab","listKind":"CronTabList","categories":["all"]})"));
  Json names = Condition(*got, "NamesAccepted");
  EXPECT_EQ(names["status"], "True");
  EXPECT_EQ(names["reason"], "NoConflicts");
  EXPECT_EQ(names["message"], "no conflicts found");
  EXPECT_TRUE(ParseRfc3339(jsonx::Str(names, "lastTransitionTime")).has_value());
  Json est = Condition(*got, "Established");
  EXPECT_EQ(est["reason"], "InitialNamesAccepted");
  EXPECT_EQ(est["message"], "the initial names have been accepted");
  EXPECT_TRUE(ParseRfc3339(jsonx::Str(est, "lastTransitionTime")).has_value());
  EXPECT_FALSE(got->contains("metadata") && (*got)["metadata"].contains("deletionTimestamp"));

  // Settled: nothing more is written.
  const std::string rv = jsonx::Str(*got, "metadata.resourceVersion");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(jsonx::Str(*Get("crontabs.stable.example.com"), "metadata.resourceVersion"), rv);
}

TEST_F(CrdControllerTest, ConflictingNamesAreRefusedUntilFreed) {
  Create(Crd("crontabs", "crontab", "CronTab", {"ct"}));
  ASSERT_TRUE(Eventually([&] { return Established("crontabs.stable.example.com"); }));

  // A short name another CRD of the group holds: the rest is accepted, the short name is not.
  Create(Crd("crontabz", "crontabz", "CronTabZ", {"ct"}));
  ASSERT_TRUE(Eventually([&] {
    auto c = Get("crontabz.stable.example.com");
    return c && ConditionStatus(*c, "NamesAccepted") == "False";
  }));
  auto z = Get("crontabz.stable.example.com");
  Json cond = Condition(*z, "NamesAccepted");
  EXPECT_EQ(cond["reason"], "ShortNamesConflict");
  EXPECT_EQ(cond["message"], "\"ct\" is already in use");
  EXPECT_EQ((*z)["status"]["acceptedNames"], Json::parse(R"({"plural":"crontabz","singular":"crontabz",
    "kind":"CronTabZ","listKind":"CronTabZList"})"));
  Json est = Condition(*z, "Established");
  EXPECT_EQ(est["status"], "False");
  EXPECT_EQ(est["reason"], "NotAccepted");
  EXPECT_EQ(est["message"], "not all names are accepted");

  // Kind and listKind another CRD holds: the last conflict found names the condition, as in kube.
  Create(Crd("crons", "cron", "CronTab", {}));
  ASSERT_TRUE(Eventually([&] {
    auto c = Get("crons.stable.example.com");
    return c && ConditionStatus(*c, "NamesAccepted") == "False";
  }));
  auto crons = Get("crons.stable.example.com");
  EXPECT_EQ(Condition(*crons, "NamesAccepted")["reason"], "ListKindConflict");
  EXPECT_EQ(Condition(*crons, "NamesAccepted")["message"], "\"CronTabList\" is already in use");
  EXPECT_EQ((*crons)["status"]["acceptedNames"]["kind"], "");
  EXPECT_EQ((*crons)["status"]["acceptedNames"]["plural"], "crons");

  // The same names in another group do not conflict.
  Create(Crd("crontabs", "crontab", "CronTab", {"ct"}, "other.example.com"));
  EXPECT_TRUE(Eventually([&] { return Established("crontabs.other.example.com"); }));

  // The holder goes (it was established but has no instances): both take their names.
  ASSERT_TRUE(objects_->Delete(*crd_kind_, "", "crontabs.stable.example.com").ok());
  ASSERT_TRUE(Eventually([&] { return !Get("crontabs.stable.example.com"); }));
  ASSERT_TRUE(Eventually(
      [&] { return Established("crontabz.stable.example.com") && Established("crons.stable.example.com"); }));
  z = Get("crontabz.stable.example.com");
  EXPECT_EQ((*z)["status"]["acceptedNames"]["shortNames"], Json::array({"ct"}));
  EXPECT_EQ(Condition(*z, "NamesAccepted")["reason"], "NoConflicts");
  EXPECT_EQ((*Get("crons.stable.example.com"))["status"]["acceptedNames"]["kind"], "CronTab");
}

TEST_F(CrdControllerTest, RacingCrdsCannotBothTakeOneName) {
  // Created back to back (the second before the informer shows the first's names): one only.
  for (int i = 0; i < 4; ++i)
    Create(Crd("tabs" + std::to_string(i), "tab" + std::to_string(i), "Tab" + std::to_string(i), {"tb"}));
  auto names_decided = [&] {
    for (int i = 0; i < 4; ++i) {
      auto c = Get("tabs" + std::to_string(i) + ".stable.example.com");
      if (!c || ConditionStatus(*c, "NamesAccepted").empty()) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually(names_decided));
  int holders = 0;
  for (int i = 0; i < 4; ++i) {
    auto c = Get("tabs" + std::to_string(i) + ".stable.example.com");
    if (ConditionStatus(*c, "NamesAccepted") == "True") {
      ++holders;
      EXPECT_EQ((*c)["status"]["acceptedNames"]["shortNames"], Json::array({"tb"}));
    } else {
      EXPECT_EQ(Condition(*c, "NamesAccepted")["reason"], "ShortNamesConflict");
      EXPECT_FALSE((*c)["status"]["acceptedNames"].contains("shortNames"));
    }
  }
  EXPECT_EQ(holders, 1);
}

TEST_F(CrdControllerTest, NeverEstablishedCrdIsDeletedAtOnce) {
  Create(Crd("crontabs", "crontab", "CronTab", {"ct"}));
  ASSERT_TRUE(Eventually([&] { return Established("crontabs.stable.example.com"); }));
  Create(Crd("crontabz", "crontabz", "CronTabZ", {"ct"}));
  ASSERT_TRUE(Eventually([&] {
    auto c = Get("crontabz.stable.example.com");
    return c && ConditionStatus(*c, "NamesAccepted") == "False";
  }));
  auto del = objects_->Delete(*crd_kind_, "", "crontabz.stable.example.com");
  ASSERT_TRUE(del.ok()) << del.error().message;
  EXPECT_FALSE(del->deleted);  // the registry's cleanup finalizer holds it for the controller
  EXPECT_TRUE(Eventually([&] { return !Get("crontabz.stable.example.com"); }));
}

TEST_F(CrdControllerTest, DeletingCrdDeletesItsInstancesFirst) {
  Create(Crd("crontabs", "crontab", "CronTab", {"ct"}));
  ASSERT_TRUE(Eventually([&] { return Established("crontabs.stable.example.com"); }));
  const resource::Kind* cr = ServeCronTabs();
  ASSERT_NE(cr, nullptr);
  auto instance = [](const std::string& ns, const std::string& name) {
    return Json{{"apiVersion", "stable.example.com/v1"},
                {"kind", "CronTab"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"spec", {{"cronSpec", "* * * * */5"}}}};
  };
  ASSERT_TRUE(objects_->Create(*cr, "default", instance("default", "a")).ok());
  ASSERT_TRUE(objects_->Create(*cr, "team", instance("team", "b")).ok());
  Json held = instance("team", "held");
  held["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_TRUE(objects_->Create(*cr, "team", held).ok());
  ASSERT_EQ(CountCronTabs(), 3u);

  auto del = objects_->Delete(*crd_kind_, "", "crontabs.stable.example.com");
  ASSERT_TRUE(del.ok()) << del.error().message;
  ASSERT_FALSE(del->deleted);

  // The plain instances go; the held one waits on its finalizer, and so does the CRD.
  ASSERT_TRUE(Eventually([&] { return CountCronTabs() == 1; }));
  ASSERT_TRUE(Eventually([&] {
    auto h = objects_->GetJson(*cr, "team", "held");
    return h && jsonx::Has((*h)["metadata"], "deletionTimestamp");
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto crd = Get("crontabs.stable.example.com");
  ASSERT_TRUE(crd);
  EXPECT_TRUE(jsonx::Has((*crd)["metadata"], "deletionTimestamp"));
  Json term = Condition(*crd, "Terminating");
  EXPECT_EQ(term["status"], "True");
  EXPECT_EQ(term["reason"], "InstanceDeletionInProgress");
  EXPECT_EQ(term["message"], "CustomResource deletion is in progress");
  EXPECT_EQ((*crd)["metadata"]["finalizers"], Json::array({"customresourcecleanup.apiextensions.k8s.io"}));

  // Its owner lets it go: the instance, then the CRD are removed.
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(*cr, "team", "held",
                                     [](const Json& c) -> Result<Json> {
                                       Json n = c;
                                       n["metadata"].erase("finalizers");
                                       return n;
                                     })
                  .ok());
  EXPECT_TRUE(Eventually([&] { return CountCronTabs() == 0; }));
  EXPECT_TRUE(Eventually([&] { return !Get("crontabs.stable.example.com"); }));
}

}  // namespace
}  // namespace vkube::controllers
