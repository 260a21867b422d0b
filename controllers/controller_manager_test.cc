// The tenant's controllers against a real store and registry, as `vkube serve` runs them.
#include "controllers/controller_manager.h"

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <set>
#include <thread>
#include <tuple>

#include "controllers/deployment/deployment_controller.h"
#include "controllers/framework/object_util.h"
#include "controllers/podgc/pod_gc_controller.h"
#include "libs/registry/admission/resource_quota.h"
#include "libs/resource/json_access.h"
#include "libs/store/sqlite_store.h"

namespace vkube::controllers {
namespace {

namespace jsonx = resource::jsonx;

// The built-in kinds plus batch/v1 jobs with a generic strategy, so the Job controller is tested
// whatever the registry's own batch support.
std::shared_ptr<const resource::Registry> WithBatch(const std::shared_ptr<const resource::Registry>& base) {
  if (base->Find("batch", "v1", "jobs") != nullptr) return base;
  std::vector<resource::Kind> kinds;
  for (const auto& [plural, kind, singular] : {std::tuple{"jobs", "Job", "job"}, {"cronjobs", "CronJob", "cronjob"}}) {
    resource::Kind k;
    k.info = {.group = "batch",
              .version = "v1",
              .resource = plural,
              .kind = kind,
              .singular = singular,
              .namespaced = true,
              .has_status = true};
    k.strategy = std::make_shared<resource::Strategy>(
        resource::StrategyTraits{.has_status = true, .tracks_generation = true, .kind = kind});
    kinds.push_back(std::move(k));
  }
  return std::make_shared<const resource::Registry>(base, std::move(kinds));
}

class ControllersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-ctrl-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    objects_ = std::make_shared<registry::GenericRegistry>(store_, WithBatch(resource::Registry::BuiltIn()));
    ASSERT_TRUE(objects_->Create(Kind("", "namespaces"), "", Json{{"metadata", {{"name", "default"}}}}).ok());
    auto m = ControllerManager::Start(ControllerContext{.tenant = "t1",
                                                        .objects = objects_,
                                                        .executor = pool_.get_executor(),
                                                        .root_ca_pem = "-----BEGIN CERTIFICATE-----\nX\n",
                                                        .terminated_pod_gc_threshold = 5});
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
  }
  void TearDown() override {
    manager_->Stop();
    pool_.join();
    manager_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  const resource::Kind& Kind(const char* group, const char* resource) { return *objects_->Find(group, resource); }

  // Polls `pred` for up to 10 s (controllers are asynchronous).
  template <typename F>
  bool Eventually(F pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  bool SetReplicas(const resource::Kind& kind, const std::string& name, int replicas) {
    return objects_
        ->GuaranteedUpdate(kind, "default", name,
                           [replicas](const Json& c) -> Result<Json> {
                             Json n = c;
                             n["spec"]["replicas"] = replicas;
                             return n;
                           })
        .ok();
  }
  std::vector<Json> List(const char* resource, const std::string& ns) {
    std::vector<Json> out;
    auto res = store_->List(store::ListOptions{.resource = resource, .ns = ns});
    if (!res) return out;
    for (const auto& o : res->items) out.push_back(Json::parse(o->json));
    return out;
  }
  // Plays the kubelet: every pod of `ns` becomes Running and Ready.
  void MarkPodsReady(const std::string& ns) {
    for (const auto& p : List("pods", ns)) {
      if (jsonx::Str(p, "status.phase") == "Running") continue;
      auto res = objects_->GuaranteedUpdate(
          Kind("", "pods"), ns, jsonx::Str(p, "metadata.name"),
          [](const Json& c) -> Result<Json> {
            Json n = c;
            n["status"] = {{"phase", "Running"},
                           {"conditions",
                            {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2024-01-01T00:00:00Z"}}}}};
            return n;
          },
          registry::WriteOptions{.subresource = "status"});
      (void)res;
    }
  }
  Json Deployment(const std::string& image, int replicas) {
    return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
      "spec":{"replicas":)" +
                       std::to_string(replicas) + R"(,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":")" +
                       image + R"("}]}}}})");
  }

  boost::asio::thread_pool pool_{2};
  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<registry::GenericRegistry> objects_;
  std::unique_ptr<ControllerManager> manager_;
};

TEST_F(ControllersTest, EveryNamespaceGetsDefaultServiceAccountAndRootCa) {
  ASSERT_TRUE(objects_->Create(Kind("", "namespaces"), "", Json{{"metadata", {{"name", "team"}}}}).ok());
  EXPECT_TRUE(Eventually([&] { return objects_->Get(Kind("", "serviceaccounts"), "team", "default").ok(); }));
  EXPECT_TRUE(Eventually([&] { return objects_->Get(Kind("", "configmaps"), "team", "kube-root-ca.crt").ok(); }));
  auto cm = objects_->GetJson(Kind("", "configmaps"), "team", "kube-root-ca.crt");
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ((*cm)["data"]["ca.crt"], "-----BEGIN CERTIFICATE-----\nX\n");
  // Deleted: it comes back.
  ASSERT_TRUE(objects_->Delete(Kind("", "serviceaccounts"), "team", "default").ok());
  EXPECT_TRUE(Eventually([&] { return objects_->Get(Kind("", "serviceaccounts"), "team", "default").ok(); }));
}

TEST_F(ControllersTest, DeploymentRollsOutAndGarbageCollects) {
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", Deployment("nginx:1", 3)).ok());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 3; }));
  auto rss = List("apps/replicasets", "default");
  ASSERT_EQ(rss.size(), 1u);
  const std::string rs1 = jsonx::Str(rss[0], "metadata.name");
  EXPECT_EQ(rs1.rfind("web-", 0), 0u);
  EXPECT_EQ(rss[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  for (const auto& p : List("pods", "default")) {
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["name"], rs1);
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
    EXPECT_EQ(p["metadata"]["labels"]["app"], "web");
    EXPECT_FALSE(jsonx::Str(p, "metadata.labels.pod-template-hash").empty());
  }
  MarkPodsReady("default");
  ASSERT_TRUE(Eventually([&] {
    auto d = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
    return d && jsonx::Int(*d, "status.availableReplicas") == 3 && jsonx::Int(*d, "status.updatedReplicas") == 3;
  }));

  // New image: a second ReplicaSet takes over, the first is scaled to 0 but kept (history).
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(Kind("apps", "deployments"), "default", "web",
                                     [](const Json& c) -> Result<Json> {
                                       Json n = c;
                                       n["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2";
                                       return n;
                                     })
                  .ok());
  ASSERT_TRUE(Eventually([&] {
    MarkPodsReady("default");
    auto d = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
    int old_replicas = 0;
    for (const auto& rs : List("apps/replicasets", "default")) {
      if (jsonx::Str(rs, "metadata.name") == rs1) old_replicas = static_cast<int>(jsonx::Int(rs, "spec.replicas", -1));
    }
    return d && jsonx::Int(*d, "status.updatedReplicas") == 3 && jsonx::Int(*d, "status.availableReplicas") == 3 &&
           List("apps/replicasets", "default").size() == 2 && old_replicas == 0 && List("pods", "default").size() == 3;
  }));
  auto d = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
  EXPECT_EQ((*d)["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  for (const auto& p : List("pods", "default")) EXPECT_EQ(p["spec"]["containers"][0]["image"], "nginx:2");

  // Deleting the deployment (background propagation) removes its ReplicaSets and pods.
  auto deleted = objects_->Delete(Kind("apps", "deployments"), "default", "web");
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_TRUE(
      Eventually([&] { return List("apps/replicasets", "default").empty() && List("pods", "default").empty(); }));
}

TEST_F(ControllersTest, OrphanPropagationKeepsDependents) {
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", Deployment("nginx:1", 2)).ok());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));
  ASSERT_TRUE(objects_
                  ->Delete(Kind("apps", "deployments"), "default", "web",
                           registry::DeleteOptions{.propagation = registry::Propagation::kOrphan})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return !objects_->Get(Kind("apps", "deployments"), "default", "web").ok(); }));
  auto rss = List("apps/replicasets", "default");
  ASSERT_EQ(rss.size(), 1u);
  EXPECT_FALSE(rss[0]["metadata"].contains("ownerReferences"));
  // (Once seen with 3 under ASan in CI; the dump says which owner made the extra pod.)
  auto pods = List("pods", "default");
  EXPECT_EQ(pods.size(), 2u) << Json(pods).dump() << "\nreplicasets: " << Json(rss).dump();
}

TEST_F(ControllersTest, ReplicaSetReplacesDeletedPodsAndScalesDown) {
  Json rs = Json::parse(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"rs","namespace":"default"},
    "spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}},
    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("apps", "replicasets"), "default", rs).ok());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));
  const std::string victim = jsonx::Str(List("pods", "default")[0], "metadata.name");
  ASSERT_TRUE(objects_->Delete(Kind("", "pods"), "default", victim).ok());
  ASSERT_TRUE(Eventually([&] {
    auto pods = List("pods", "default");
    return pods.size() == 2 && jsonx::Str(pods[0], "metadata.name") != victim &&
           jsonx::Str(pods[1], "metadata.name") != victim;
  }));
  ASSERT_TRUE(SetReplicas(Kind("apps", "replicasets"), "rs", 0));
  EXPECT_TRUE(Eventually([&] { return List("pods", "default").empty(); }));
}

TEST_F(ControllersTest, DeletedNamespaceIsEmptiedThenRemoved) {
  ASSERT_TRUE(objects_->Create(Kind("", "namespaces"), "", Json{{"metadata", {{"name", "gone"}}}}).ok());
  Json cm = {{"metadata", {{"name", "c"}, {"namespace", "gone"}}}};
  ASSERT_TRUE(objects_->Create(Kind("", "configmaps"), "gone", cm).ok());
  ASSERT_TRUE(objects_->Delete(Kind("", "namespaces"), "", "gone").ok());
  EXPECT_TRUE(Eventually([&] { return !objects_->Get(Kind("", "namespaces"), "", "gone").ok(); }));
  EXPECT_TRUE(List("configmaps", "gone").empty());
}

TEST_F(ControllersTest, EndpointsFollowSelectedPodsReadiness) {
  Json svc = Json::parse(R"({"metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}})");
  ASSERT_TRUE(objects_->Create(Kind("", "services"), "default", svc).ok());
  for (const char* name : {"p1", "p2"}) {
    Json pod = Json::parse(R"({"metadata":{"namespace":"default","labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":8080}]}]}})");
    pod["metadata"]["name"] = name;
    ASSERT_TRUE(objects_->Create(Kind("", "pods"), "default", pod).ok());
    ASSERT_TRUE(
        objects_
            ->GuaranteedUpdate(
                Kind("", "pods"), "default", name,
                [&](const Json& c) -> Result<Json> {
                  Json n = c;
                  n["status"] = {{"phase", "Running"}, {"podIP", std::string(name) == "p1" ? "10.0.0.1" : "10.0.0.2"}};
                  if (std::string(name) == "p1") n["status"]["conditions"] = {{{"type", "Ready"}, {"status", "True"}}};
                  return n;
                },
                registry::WriteOptions{.subresource = "status"})
            .ok());
  }
  ASSERT_TRUE(Eventually([&] {
    auto ep = objects_->GetJson(Kind("", "endpoints"), "default", "web");
    return ep && jsonx::Size(*ep, "subsets") == 1 && jsonx::Size((*ep)["subsets"][0], "notReadyAddresses") == 1;
  }));
  auto ep = objects_->GetJson(Kind("", "endpoints"), "default", "web");
  const Json& subset = (*ep)["subsets"][0];
  EXPECT_EQ(subset["addresses"][0]["ip"], "10.0.0.1");
  EXPECT_EQ(subset["addresses"][0]["targetRef"]["name"], "p1");
  EXPECT_EQ(subset["notReadyAddresses"][0]["ip"], "10.0.0.2");
  EXPECT_EQ(subset["ports"][0]["port"], 8080);  // named targetPort resolved on the pod
  EXPECT_EQ(subset["ports"][0]["name"], "http");
  ASSERT_TRUE(objects_->Delete(Kind("", "services"), "default", "web").ok());
  EXPECT_TRUE(Eventually([&] { return !objects_->Get(Kind("", "endpoints"), "default", "web").ok(); }));
}

// Endpoints and slices removed while their Service lives come back, and a Service deleted and re-made at
// once (the syncer does this to take the host's clusterIP) ends with Endpoints and a slice it owns.
TEST_F(ControllersTest, EndpointsComeBackAfterDeletionAndServiceRecreation) {
  Json pod = Json::parse(R"({"metadata":{"name":"p1","namespace":"default","labels":{"app":"web"}},
    "spec":{"containers":[{"name":"c","image":"i"}]}})");
  ASSERT_TRUE(objects_->Create(Kind("", "pods"), "default", pod).ok());
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(
                      Kind("", "pods"), "default", "p1",
                      [&](const Json& c) -> Result<Json> {
                        Json n = c;
                        n["status"] = {{"phase", "Running"},
                                       {"podIP", "10.0.0.1"},
                                       {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
                        return n;
                      },
                      registry::WriteOptions{.subresource = "status"})
                  .ok());
  const Json svc = Json::parse(R"({"metadata":{"name":"web","namespace":"default"},
    "spec":{"selector":{"app":"web"},"ports":[{"port":80}]}})");
  const resource::Kind& slices = Kind("discovery.k8s.io", "endpointslices");
  auto ready = [&](const std::string& svc_uid) {
    auto ep = objects_->GetJson(Kind("", "endpoints"), "default", "web");
    if (!ep || jsonx::Size(*ep, "subsets") != 1) return false;
    int owned = 0;
    for (const auto& s : List(slices.info.StorageResource().c_str(), "default")) {
      const auto owner = ControllerRef(s);
      owned += owner && owner->uid == svc_uid && jsonx::Size(s, "endpoints") == 1;
    }
    return owned == 1;
  };
  auto created = objects_->Create(Kind("", "services"), "default", svc);
  ASSERT_TRUE(created.ok());
  std::string uid = jsonx::Str(Json::parse((*created)->json), "metadata.uid");
  ASSERT_TRUE(Eventually([&] { return ready(uid); }));

  ASSERT_TRUE(objects_->Delete(Kind("", "endpoints"), "default", "web").ok());
  for (const auto& s : List(slices.info.StorageResource().c_str(), "default")) {
    ASSERT_TRUE(objects_->Delete(slices, "default", jsonx::Str(s, "metadata.name")).ok());
  }
  EXPECT_TRUE(Eventually([&] { return ready(uid); }));

  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(objects_->Delete(Kind("", "services"), "default", "web").ok());
    auto again = objects_->Create(Kind("", "services"), "default", svc);
    ASSERT_TRUE(again.ok());
    uid = jsonx::Str(Json::parse((*again)->json), "metadata.uid");
    EXPECT_TRUE(Eventually([&] { return ready(uid); })) << "round " << round;
  }
}

TEST_F(ControllersTest, StatefulSetCreatesOrderedPodsAndClaims) {
  Json sts = Json::parse(R"({"metadata":{"name":"db","namespace":"default"},
    "spec":{"replicas":3,"serviceName":"db","selector":{"matchLabels":{"app":"db"}},
      "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"postgres:16"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})");
  ASSERT_TRUE(objects_->Create(Kind("apps", "statefulsets"), "default", sts).ok());
  // OrderedReady: db-1 only after db-0 is Running and Ready.
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto pods = List("pods", "default");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["metadata"]["name"], "db-0");
  EXPECT_EQ(pods[0]["spec"]["hostname"], "db-0");
  EXPECT_EQ(pods[0]["spec"]["subdomain"], "db");
  EXPECT_EQ(pods[0]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-db-0");
  EXPECT_TRUE(objects_->Get(Kind("", "persistentvolumeclaims"), "default", "data-db-0").ok());
  ASSERT_TRUE(Eventually([&] {
    MarkPodsReady("default");
    return List("pods", "default").size() == 3 && List("persistentvolumeclaims", "default").size() == 3;
  }));
  ASSERT_TRUE(Eventually([&] {
    MarkPodsReady("default");
    auto s = objects_->GetJson(Kind("apps", "statefulsets"), "default", "db");
    return s && jsonx::Int(*s, "status.readyReplicas") == 3;
  }));
  // Scale down removes the highest ordinal and keeps its claim.
  ASSERT_TRUE(SetReplicas(Kind("apps", "statefulsets"), "db", 2));
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));
  EXPECT_FALSE(objects_->Get(Kind("", "pods"), "default", "db-2").ok());
  EXPECT_TRUE(objects_->Get(Kind("", "persistentvolumeclaims"), "default", "data-db-2").ok());
}

TEST_F(ControllersTest, DaemonSetRunsOnePodPerMatchingNode) {
  for (const char* n : {"n1", "n2", "n3"}) {
    Json node = {{"metadata", {{"name", n}, {"labels", {{"disk", std::string(n) == "n3" ? "hdd" : "ssd"}}}}}};
    ASSERT_TRUE(objects_->Create(Kind("", "nodes"), "", node).ok());
  }
  Json ds = Json::parse(R"({"metadata":{"name":"agent","namespace":"default"},
    "spec":{"selector":{"matchLabels":{"app":"agent"}},
      "template":{"metadata":{"labels":{"app":"agent"}},
        "spec":{"nodeSelector":{"disk":"ssd"},"containers":[{"name":"c","image":"agent:1"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("apps", "daemonsets"), "default", ds).ok());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));
  std::set<std::string> nodes;
  for (const auto& p : List("pods", "default")) {
    nodes.insert(p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                  ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
                      .get<std::string>());
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"n1", "n2"}));
  ASSERT_TRUE(Eventually([&] {
    auto d = objects_->GetJson(Kind("apps", "daemonsets"), "default", "agent");
    return d && jsonx::Int(*d, "status.desiredNumberScheduled") == 2 &&
           jsonx::Int(*d, "status.currentNumberScheduled") == 2;
  }));
  // A node leaving takes its daemon pod with it.
  ASSERT_TRUE(objects_->Delete(Kind("", "nodes"), "", "n2").ok());
  EXPECT_TRUE(Eventually([&] { return List("pods", "default").size() == 1; }));
}

TEST_F(ControllersTest, JobRunsToCompleteWhenItsPodsSucceed) {
  Json job = Json::parse(R"({"metadata":{"name":"pi","namespace":"default"},
    "spec":{"completions":3,"parallelism":2,"backoffLimit":1,
      "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"perl"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("batch", "jobs"), "default", job).ok());
  auto finish = [&](const char* phase) {
    for (const auto& p : List("pods", "default")) {
      if (jsonx::Str(p, "status.phase") == "Succeeded" || jsonx::Str(p, "status.phase") == "Failed") continue;
      (void)objects_->GuaranteedUpdate(
          Kind("", "pods"), "default", jsonx::Str(p, "metadata.name"),
          [&](const Json& c) -> Result<Json> {
            Json n = c;
            n["status"] = {{"phase", phase}};
            return n;
          },
          registry::WriteOptions{.subresource = "status"});
      return;  // one at a time
    }
  };
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));  // parallelism
  for (const auto& p : List("pods", "default")) {
    EXPECT_EQ(p["metadata"]["labels"]["job-name"], "pi");
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["kind"], "Job");
  }
  ASSERT_TRUE(Eventually([&] {
    finish("Succeeded");
    auto j = objects_->GetJson(Kind("batch", "jobs"), "default", "pi");
    const Json& conds = jsonx::At(*j, "status.conditions");
    return conds.is_array() && !conds.empty() && conds.back()["type"] == "Complete";
  }));
  auto j = objects_->GetJson(Kind("batch", "jobs"), "default", "pi");
  EXPECT_EQ((*j)["status"]["succeeded"], 3);
  EXPECT_TRUE((*j)["status"].contains("completionTime"));
  EXPECT_EQ(List("pods", "default").size(), 3u);  // finished pods stay (logs), none more created
}

TEST_F(ControllersTest, JobFailsAfterBackoffLimit) {
  Json job = Json::parse(R"({"metadata":{"name":"bad","namespace":"default"},
    "spec":{"backoffLimit":1,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("batch", "jobs"), "default", job).ok());
  ASSERT_TRUE(Eventually([&] {
    for (const auto& p : List("pods", "default")) {
      if (jsonx::Str(p, "status.phase") == "Failed") continue;
      (void)objects_->GuaranteedUpdate(
          Kind("", "pods"), "default", jsonx::Str(p, "metadata.name"),
          [](const Json& c) -> Result<Json> {
            Json n = c;
            n["status"] = {{"phase", "Failed"}};
            return n;
          },
          registry::WriteOptions{.subresource = "status"});
    }
    auto j = objects_->GetJson(Kind("batch", "jobs"), "default", "bad");
    const Json& conds = jsonx::At(*j, "status.conditions");
    return conds.is_array() && !conds.empty() && conds.back()["type"] == "Failed";
  }));
  auto j = objects_->GetJson(Kind("batch", "jobs"), "default", "bad");
  EXPECT_EQ((*j)["status"]["conditions"].back()["reason"], "BackoffLimitExceeded");
  EXPECT_EQ((*j)["status"]["failed"], 2);
}

TEST_F(ControllersTest, CronJobCreatesJobForMissedScheduleAndTracksIt) {
  Json cj = Json::parse(R"({"metadata":{"name":"tick","namespace":"default"},
    "spec":{"schedule":"*/1 * * * *","concurrencyPolicy":"Forbid","jobTemplate":{"metadata":{"labels":{"app":"tick"}},
      "spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox"}]}}}}}})");
  ASSERT_TRUE(objects_->Create(Kind("batch", "cronjobs"), "default", cj).ok());
  // Pretend the last run was two minutes ago: one run is due now.
  const std::string two_min_ago = FormatRfc3339(std::chrono::system_clock::now() - std::chrono::minutes(2));
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(
                      Kind("batch", "cronjobs"), "default", "tick",
                      [&](const Json& c) -> Result<Json> {
                        Json n = c;
                        n["status"] = {{"lastScheduleTime", two_min_ago}};
                        return n;
                      },
                      registry::WriteOptions{.subresource = "status"})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return List("batch/jobs", "default").size() == 1; }));
  Json job = List("batch/jobs", "default")[0];
  EXPECT_EQ(jsonx::Str(job, "metadata.name").rfind("tick-", 0), 0u);
  EXPECT_EQ(job["metadata"]["labels"]["app"], "tick");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  ASSERT_TRUE(Eventually([&] {
    auto c = objects_->GetJson(Kind("batch", "cronjobs"), "default", "tick");
    return c && jsonx::Size(*c, "status.active") == 1 && jsonx::Str(*c, "status.lastScheduleTime") != two_min_ago;
  })) << objects_->GetJson(Kind("batch", "cronjobs"), "default", "tick")->dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(List("batch/jobs", "default").size(), 1u);  // Forbid: no second job while one runs
}

TEST(PodTemplateHash, StableAndSafeAlphabet) {
  Json t = {{"spec", {{"containers", {{{"name", "c"}}}}}}};
  EXPECT_EQ(PodTemplateHash(t, 0), PodTemplateHash(t, 0));
  EXPECT_NE(PodTemplateHash(t, 0), PodTemplateHash(t, 1));
  for (char c : PodTemplateHash(t, 0)) EXPECT_EQ(std::string("aeiou013").find(c), std::string::npos) << c;
}

}  // namespace
}  // namespace vkube::controllers

namespace vkube::controllers {
namespace {

// ResourceQuota: admission refuses the third pod with kube-apiserver's wording; the controller
// keeps status.used current (and frees usage when pods finish or go away).
TEST_F(ControllersTest, ResourceQuotaAdmissionAndUsage) {
  objects_->AddAdmission(
      std::make_shared<registry::ResourceQuotaAdmission>(store_, [o = objects_.get()] { return o->kinds(); }));
  Json quota =
      Json::parse(R"({"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"compute","namespace":"default"},
    "spec":{"hard":{"pods":"2","requests.cpu":"1","count/deployments.apps":"5"}}})");
  ASSERT_TRUE(objects_->Create(Kind("", "resourcequotas"), "default", quota).ok());
  auto pod = [](const std::string& name, const char* cpu) {
    return Json::parse(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
        R"(","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx","resources":{"requests":{"cpu":")" +
        cpu + R"("}}}]}})");
  };
  ASSERT_TRUE(objects_->Create(Kind("", "pods"), "default", pod("p1", "250m")).ok());
  auto big = objects_->Create(Kind("", "pods"), "default", pod("big", "900m"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message,
            "pods \"big\" is forbidden: exceeded quota: compute, requested: requests.cpu=900m, used: "
            "requests.cpu=250m, limited: requests.cpu=1");
  ASSERT_TRUE(objects_->Create(Kind("", "pods"), "default", pod("p2", "250m")).ok());
  auto third = objects_->Create(Kind("", "pods"), "default", pod("p3", "100m"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(third.error().message,
            "pods \"p3\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2");
  auto used = [&](const char* key) {
    auto q = objects_->GetJson(Kind("", "resourcequotas"), "default", "compute");
    if (!q) return std::string();
    const Json& v = jsonx::Child(jsonx::At(*q, "status.used"), key);  // keys contain dots
    return v.is_string() ? v.get<std::string>() : std::string();
  };
  EXPECT_TRUE(Eventually([&] { return used("pods") == "2" && used("requests.cpu") == "500m"; })) << used("pods");
  auto q = objects_->GetJson(Kind("", "resourcequotas"), "default", "compute");
  EXPECT_EQ(jsonx::Str(*q, "status.hard.pods"), "2");
  EXPECT_EQ(used("count/deployments.apps"), "0");
  ASSERT_TRUE(objects_->Delete(Kind("", "pods"), "default", "p1", registry::DeleteOptions{}).ok());
  EXPECT_TRUE(Eventually([&] { return used("pods") == "1" && used("requests.cpu") == "250m"; })) << used("pods");
  EXPECT_TRUE(objects_->Create(Kind("", "pods"), "default", pod("p3", "100m")).ok());
}

TEST_F(ControllersTest, PodDisruptionBudgetStatusFollowsReadyPods) {
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", Deployment("nginx:1", 3)).ok());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 3; }));
  // minAvailable 2 (an integer): expected pods = selected pods; maxUnavailable 34%: from the
  // Deployment's scale (3), rounded up to 2 unavailable → 1 desired healthy.
  ASSERT_TRUE(objects_
                  ->Create(Kind("policy", "poddisruptionbudgets"), "default", Json::parse(R"({
    "apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"min","namespace":"default"},
    "spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"web"}}}})"))
                  .ok());
  ASSERT_TRUE(objects_
                  ->Create(Kind("policy", "poddisruptionbudgets"), "default", Json::parse(R"({
    "apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"max","namespace":"default"},
    "spec":{"maxUnavailable":"34%","selector":{"matchLabels":{"app":"web"}}}})"))
                  .ok());
  auto pdb = [&](const char* name) {
    auto o = objects_->GetJson(Kind("policy", "poddisruptionbudgets"), "default", name);
    return o ? jsonx::At(*o, "status") : Json();
  };
  ASSERT_TRUE(Eventually([&] { return jsonx::Int(pdb("min"), "expectedPods", -1) == 3; }));
  Json st = pdb("min");
  EXPECT_EQ(jsonx::Int(st, "currentHealthy", -1), 0);
  EXPECT_EQ(jsonx::Int(st, "desiredHealthy", -1), 2);
  EXPECT_EQ(jsonx::Int(st, "disruptionsAllowed", -1), 0);
  EXPECT_EQ(jsonx::Int(st, "observedGeneration", -1), 1);
  EXPECT_EQ(st["conditions"][0]["type"], "DisruptionAllowed");
  EXPECT_EQ(st["conditions"][0]["status"], "False");
  EXPECT_EQ(st["conditions"][0]["reason"], "InsufficientPods");

  MarkPodsReady("default");
  ASSERT_TRUE(Eventually([&] { return jsonx::Int(pdb("min"), "currentHealthy", -1) == 3; }));
  EXPECT_TRUE(Eventually([&] { return jsonx::Int(pdb("min"), "disruptionsAllowed", -1) == 1; }));
  EXPECT_EQ(pdb("min")["conditions"][0]["reason"], "SufficientPods");
  ASSERT_TRUE(Eventually([&] { return jsonx::Int(pdb("max"), "disruptionsAllowed", -1) == 2; }));
  EXPECT_EQ(jsonx::Int(pdb("max"), "expectedPods", -1), 3);
  EXPECT_EQ(jsonx::Int(pdb("max"), "desiredHealthy", -1), 1);

  // A selected pod without a controller: a percentage cannot be computed → fail safe.
  ASSERT_TRUE(objects_
                  ->Create(Kind("", "pods"), "default", Json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"stray","namespace":"default","labels":{"app":"web"}},
    "spec":{"containers":[{"name":"c","image":"i"}]}})"))
                  .ok());
  ASSERT_TRUE(Eventually([&] {
    Json s = pdb("max");
    return s["conditions"][0]["reason"] == "SyncFailed" && jsonx::Int(s, "disruptionsAllowed", -1) == 0;
  }));
  EXPECT_EQ(pdb("max")["conditions"][0]["message"], "found no controller ref for pod \"stray\"");
}

TEST_F(ControllersTest, HorizontalPodAutoscalerKeepsReplicasWithinBoundsWithoutMetrics) {
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", Deployment("nginx:1", 1)).ok());
  ASSERT_TRUE(objects_
                  ->Create(Kind("autoscaling", "horizontalpodautoscalers"), "default", Json::parse(R"({
    "apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"default"},
    "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":4}})"))
                  .ok());
  auto deployment_replicas = [&] {
    auto d = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
    return d ? jsonx::Int(*d, "spec.replicas", -1) : -1;
  };
  auto hpa = [&] {
    auto o = objects_->GetJson(Kind("autoscaling", "horizontalpodautoscalers"), "default", "web");
    return o ? jsonx::At(*o, "status") : Json();
  };
  auto condition = [](const Json& st, const std::string& type) {
    for (const auto& c : jsonx::At(st, "conditions")) {
      if (c["type"] == type) return c;
    }
    return Json();
  };
  // Below minReplicas: raised to 2 even without metrics, as kube does.
  ASSERT_TRUE(Eventually([&] { return deployment_replicas() == 2; }));
  ASSERT_TRUE(Eventually([&] { return jsonx::Int(hpa(), "desiredReplicas", -1) == 2; }));
  EXPECT_FALSE(jsonx::Str(hpa(), "lastScaleTime").empty());
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 2; }));
  // Within bounds: no metrics API, so ScalingActive=False and the count is left alone.
  ASSERT_TRUE(Eventually([&] { return condition(hpa(), "ScalingActive")["reason"] == "FailedGetResourceMetric"; }));
  EXPECT_EQ(condition(hpa(), "AbleToScale")["status"], "True");
  // Scaled past maxReplicas by hand: brought back to 4.
  ASSERT_TRUE(SetReplicas(Kind("apps", "deployments"), "web", 9));
  EXPECT_TRUE(Eventually([&] { return deployment_replicas() == 4; }));
  // (AbleToScale said SucceededRescale until the next pass read the new scale, as in kube.)
  EXPECT_TRUE(Eventually([&] { return jsonx::Int(hpa(), "desiredReplicas", -1) == 4; }));
  // A target that does not exist.
  ASSERT_TRUE(objects_
                  ->Create(Kind("autoscaling", "horizontalpodautoscalers"), "default", Json::parse(R"({
    "apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"ghost","namespace":"default"},
    "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"ghost"},"maxReplicas":3}})"))
                  .ok());
  EXPECT_TRUE(Eventually([&] {
    auto o = objects_->GetJson(Kind("autoscaling", "horizontalpodautoscalers"), "default", "ghost");
    return o &&
           condition(jsonx::At(*o, "status"), "AbleToScale")["message"] ==
               "the HPA controller was unable to get the target's current scale: deployments.apps \"ghost\" not found";
  }));
}

TEST_F(ControllersTest, FinishedPodsBeyondTheThresholdAreCollectedOldestFirst) {
  // The fixture keeps 5 finished pods (kube's default is 12500).
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(objects_
                    ->Create(Kind("", "pods"), "default", Json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"done-)" + std::to_string(i) + R"(","namespace":"default"},
      "spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}})"))
                    .ok());
  }
  ASSERT_TRUE(objects_
                  ->Create(Kind("", "pods"), "default", Json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"running","namespace":"default"},"spec":{"containers":[{"name":"c","image":"i"}]}})"))
                  .ok());
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(objects_
                    ->GuaranteedUpdate(
                        Kind("", "pods"), "default", "done-" + std::to_string(i),
                        [](const Json& c) -> Result<Json> {
                          Json n = c;
                          n["status"] = {{"phase", "Succeeded"}};
                          return n;
                        },
                        registry::WriteOptions{.subresource = "status"})
                    .ok());
  }
  ASSERT_TRUE(Eventually([&] { return List("pods", "default").size() == 6; }));
  std::set<std::string> left;
  for (const auto& p : List("pods", "default")) left.insert(jsonx::Str(p, "metadata.name"));
  EXPECT_EQ(left, (std::set<std::string>{"done-3", "done-4", "done-5", "done-6", "done-7", "running"}));
}

TEST_F(ControllersTest, PodsOfAVanishedNodeAreMarkedFailedAndDeletedAfterQuarantine) {
  controllers::ControllerContext ctx{.tenant = "t1", .objects = objects_, .executor = pool_.get_executor()};
  ctx.informer = std::make_shared<SharedInformer>(store_, ctx.executor);
  PodGcController gc(ctx, std::chrono::milliseconds(300));
  gc.Register(*ctx.informer);
  ASSERT_TRUE(ctx.informer->Start().ok());
  gc.Start();
  ASSERT_TRUE(objects_
                  ->Create(Kind("", "nodes"), "", Json::parse(R"({"apiVersion":"v1","kind":"Node",
    "metadata":{"name":"n1"}})"))
                  .ok());
  for (const char* name : {"on-n1", "on-gone"}) {
    std::string node = std::string(name) == "on-n1" ? "n1" : "gone";
    ASSERT_TRUE(objects_
                    ->Create(Kind("", "pods"), "default", Json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":")" + std::string(name) + R"(","namespace":"default"},
      "spec":{"nodeName":")" + node + R"(","containers":[{"name":"c","image":"i"}]}})"))
                    .ok());
  }
  // Quarantine first: right after creation the orphan is still there.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(objects_->Get(Kind("", "pods"), "default", "on-gone").ok());
  EXPECT_TRUE(Eventually([&] { return !objects_->Get(Kind("", "pods"), "default", "on-gone").ok(); }));
  EXPECT_TRUE(objects_->Get(Kind("", "pods"), "default", "on-n1").ok());
  // The node goes: its pod follows after the quarantine.
  ASSERT_TRUE(objects_->Delete(Kind("", "nodes"), "", "n1").ok());
  EXPECT_TRUE(Eventually([&] { return !objects_->Get(Kind("", "pods"), "default", "on-n1").ok(); }));
  ctx.informer->Stop();
  gc.Stop();
}

}  // namespace
}  // namespace vkube::controllers
