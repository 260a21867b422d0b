// The host simulator with the tenant's controllers over a real SqliteStore and registry, as
// `vkube host` runs them: nodes, scheduling, kubelet lifecycle, deletion, logs, API routes.
#include "hostsim/host_simulator.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "apiserver-proxy/api_server.h"
#include "apiserver-proxy/bootstrap.h"
#include "hostsim/synthetic_logs.h"
#include "libs/http/testing/capturing_writer.h"
#include "libs/resource/json_access.h"
#include "libs/store/sqlite_store.h"

namespace vkube::hostsim {
namespace {

namespace asio = boost::asio;
namespace jsonx = resource::jsonx;
using nlohmann::json;

SimConfig FastConfig() {
  SimConfig cfg;
  cfg.default_run_time = std::chrono::milliseconds(300);
  cfg.log_interval = std::chrono::milliseconds(100);
  cfg.restart_backoff = std::chrono::seconds(1);
  return cfg;
}

class HostSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-hostsim-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    registry_ = resource::Registry::BuiltIn();
    ASSERT_TRUE(apiserver::EnsureSystemNamespaces(*store_, *registry_).ok());
    objects_ = std::make_shared<registry::GenericRegistry>(store_, registry_);
    auto sim = HostSimulator::Start(
        HostSimOptions{.objects = objects_, .executor = pool_.get_executor(), .nodes = 3, .config = FastConfig()});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    sim_ = std::move(*sim);
    auto m = controllers::ControllerManager::Start(
        controllers::ControllerContext{.tenant = "host", .objects = objects_, .executor = pool_.get_executor()},
        sim_->controllers());
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
  }
  void TearDown() override {
    for (auto& m : retired_managers_) m->Stop();
    manager_->Stop();
    sim_->Stop();
    pool_.join();
    retired_managers_.clear();
    retired_sims_.clear();
    manager_.reset();
    sim_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // A restart of `vkube host` on the same store, with `nodes` nodes. (The old controllers stay
  // allocated until the pool is joined: a reconcile may still be finishing on it.)
  void Restart(int nodes) {
    manager_->Stop();
    sim_->Stop();
    retired_managers_.push_back(std::move(manager_));
    retired_sims_.push_back(std::move(sim_));
    auto sim = HostSimulator::Start(
        HostSimOptions{.objects = objects_, .executor = pool_.get_executor(), .nodes = nodes, .config = FastConfig()});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    sim_ = std::move(*sim);
    auto m = controllers::ControllerManager::Start(
        controllers::ControllerContext{.tenant = "host", .objects = objects_, .executor = pool_.get_executor()},
        sim_->controllers());
    ASSERT_TRUE(m.ok());
    manager_ = std::move(*m);
  }
  const resource::Kind& Kind(const char* group, const char* resource) { return *objects_->Find(group, resource); }
  template <typename F>
  bool Eventually(F pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  void CreatePod(const std::string& name, const std::string& spec_extra = "", const std::string& meta_extra = "",
                 const std::string& container_extra = "") {
    json pod = json::parse(R"({"metadata":{"namespace":"default","name":")" + name + "\"" + meta_extra +
                           R"(},"spec":{"containers":[{"name":"app","image":"nginx:1.27")" + container_extra + "}]" +
                           spec_extra + "}}");
    auto res = objects_->Create(Kind("", "pods"), "default", pod);
    ASSERT_TRUE(res.ok()) << res.error().message;
  }
  json Pod(const std::string& name) {
    auto p = objects_->GetJson(Kind("", "pods"), "default", name);
    return p ? *p : json();
  }
  std::string Phase(const std::string& name) { return jsonx::Str(Pod(name), "status.phase"); }
  std::vector<json> Events(const std::string& pod) {
    std::vector<json> out;
    auto res = store_->List(store::ListOptions{.resource = "events", .ns = "default"});
    if (!res) return out;
    for (const auto& o : res->items) {
      json e = json::parse(o->json);
      if (jsonx::Str(e, "involvedObject.name") == pod) out.push_back(std::move(e));
    }
    return out;
  }
  bool HasEvent(const std::string& pod, const std::string& reason, const std::string& message = "") {
    for (const auto& e : Events(pod)) {
      if (jsonx::Str(e, "reason") == reason && (message.empty() || jsonx::Str(e, "message") == message)) return true;
    }
    return false;
  }
  json Condition(const json& pod, const std::string& type) {
    for (const auto& c : jsonx::At(pod, "status.conditions")) {
      if (jsonx::Str(c, "type") == type) return c;
    }
    return json();
  }

  asio::thread_pool pool_{2};
  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<const resource::Registry> registry_;
  std::shared_ptr<registry::GenericRegistry> objects_;
  std::unique_ptr<HostSimulator> sim_;
  std::unique_ptr<controllers::ControllerManager> manager_;
  std::vector<std::unique_ptr<controllers::ControllerManager>> retired_managers_;
  std::vector<std::unique_ptr<HostSimulator>> retired_sims_;
};

TEST_F(HostSimTest, NodesAreRegisteredReadyWithLeases) {
  for (int i = 0; i < 3; ++i) {
    const std::string name = "vkube-node-" + std::to_string(i);
    auto node = objects_->GetJson(Kind("", "nodes"), "", name);
    ASSERT_TRUE(node.ok()) << name;
    EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], name);
    EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/os"], "linux");
    EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/arch"], "amd64");
    EXPECT_EQ((*node)["status"]["capacity"]["cpu"], "8");
    EXPECT_EQ((*node)["status"]["allocatable"]["memory"], "32Gi");
    EXPECT_EQ((*node)["status"]["allocatable"]["pods"], "110");
    EXPECT_EQ((*node)["status"]["nodeInfo"]["kubeletVersion"], "v1.32.0");
    EXPECT_EQ((*node)["status"]["addresses"][0]["address"], "10.0.0." + std::to_string(i + 2));
    EXPECT_EQ(jsonx::Str(Condition(*node, "Ready"), "status"), "True");
    EXPECT_EQ(jsonx::Str(Condition(*node, "Ready"), "reason"), "KubeletReady");
    EXPECT_EQ(jsonx::Str(Condition(*node, "MemoryPressure"), "status"), "False");
    EXPECT_EQ(jsonx::Str(Condition(*node, "DiskPressure"), "status"), "False");
    EXPECT_EQ(jsonx::Str(Condition(*node, "PIDPressure"), "status"), "False");
    auto lease = objects_->GetJson(Kind("coordination.k8s.io", "leases"), "kube-node-lease", name);
    ASSERT_TRUE(lease.ok()) << name;
    EXPECT_EQ((*lease)["spec"]["holderIdentity"], name);
    EXPECT_EQ((*lease)["metadata"]["ownerReferences"][0]["uid"], (*node)["metadata"]["uid"]);
  }
  // A deleted node registers again (the kubelet's behaviour).
  ASSERT_TRUE(objects_->Delete(Kind("", "nodes"), "", "vkube-node-1").ok());
  EXPECT_TRUE(Eventually([&] { return objects_->Get(Kind("", "nodes"), "", "vkube-node-1").ok(); }));
}

TEST_F(HostSimTest, APodIsScheduledAndRunsAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  CreatePod("web");
  ASSERT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::cout << "create → Running: " << elapsed.count() << " ms\n";
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  json pod = Pod("web");
  const std::string node = jsonx::Str(pod, "spec.nodeName");
  ASSERT_EQ(node.rfind("vkube-node-", 0), 0u);
  const std::string idx = node.substr(11);
  EXPECT_EQ(jsonx::Str(pod, "status.hostIP"), "10.0.0." + std::to_string(std::stoi(idx) + 2));
  EXPECT_EQ(jsonx::Str(pod, "status.podIP").rfind("10.244." + idx + ".", 0), 0u) << pod["status"].dump();
  EXPECT_EQ(pod["status"]["podIPs"][0]["ip"], pod["status"]["podIP"]);
  EXPECT_FALSE(jsonx::Str(pod, "status.startTime").empty());
  for (const char* c : {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    EXPECT_EQ(jsonx::Str(Condition(pod, c), "status"), "True") << c;
  }
  const json& cs = pod["status"]["containerStatuses"][0];
  EXPECT_EQ(cs["name"], "app");
  EXPECT_EQ(cs["ready"], true);
  EXPECT_EQ(cs["started"], true);
  EXPECT_EQ(cs["restartCount"], 0);
  EXPECT_EQ(cs["image"], "docker.io/library/nginx:1.27");
  EXPECT_EQ(jsonx::Str(cs, "imageID").rfind("docker.io/library/nginx@sha256:", 0), 0u);
  EXPECT_EQ(jsonx::Str(cs, "containerID").rfind("containerd://", 0), 0u);
  EXPECT_TRUE(cs["state"]["running"].contains("startedAt"));
  EXPECT_EQ(pod["status"]["qosClass"], "BestEffort");
  EXPECT_TRUE(Eventually([&] {
    return HasEvent("web", "Scheduled", "Successfully assigned default/web to " + node) &&
           HasEvent("web", "Pulled", "Container image \"nginx:1.27\" already present on machine") &&
           HasEvent("web", "Created", "Created container: app") && HasEvent("web", "Started", "Started container app");
  }));
  for (const auto& e : Events("web")) {
    if (jsonx::Str(e, "reason") == "Started") {
      EXPECT_EQ(e["source"]["component"], "kubelet");
      EXPECT_EQ(e["source"]["host"], node);
      EXPECT_EQ(e["involvedObject"]["fieldPath"], "spec.containers{app}");
    }
    if (jsonx::Str(e, "reason") == "Scheduled") {
      EXPECT_EQ(e["source"]["component"], "default-scheduler");
    }
  }
}

TEST_F(HostSimTest, RunToCompletionPodsSucceedOrFail) {
  CreatePod("job-ok", R"(,"restartPolicy":"Never")");
  CreatePod("job-bad", R"(,"restartPolicy":"Never")", R"(,"annotations":{"hostsim.vkube.io/exit-code":"3"})");
  CreatePod("job-later", R"(,"restartPolicy":"OnFailure")", R"(,"annotations":{"hostsim.vkube.io/run-seconds":"1.5"})");
  ASSERT_TRUE(Eventually([&] { return Phase("job-ok") == "Succeeded" && Phase("job-bad") == "Failed"; }));
  json ok = Pod("job-ok");
  const json& term = ok["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(term["exitCode"], 0);
  EXPECT_EQ(term["reason"], "Completed");
  EXPECT_FALSE(jsonx::Str(term, "finishedAt").empty());
  EXPECT_EQ(ok["status"]["containerStatuses"][0]["ready"], false);
  EXPECT_EQ(jsonx::Str(Condition(ok, "Ready"), "status"), "False");
  EXPECT_EQ(jsonx::Str(Condition(ok, "Ready"), "reason"), "PodCompleted");
  json bad = Pod("job-bad");
  EXPECT_EQ(bad["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
  EXPECT_EQ(bad["status"]["containerStatuses"][0]["state"]["terminated"]["reason"], "Error");
  // run-seconds overrides the default run time.
  EXPECT_EQ(Phase("job-later"), "Running");
  EXPECT_TRUE(Eventually([&] { return Phase("job-later") == "Succeeded"; }));
}

TEST_F(HostSimTest, FailingContainersRestartWithBackOff) {
  CreatePod("crash", R"(,"restartPolicy":"OnFailure")",
            R"(,"annotations":{"hostsim.vkube.io/exit-code":"1","hostsim.vkube.io/run-seconds":"0.2"})");
  ASSERT_TRUE(Eventually([&] {
    return jsonx::Str(Pod("crash"), "status.containerStatuses.0.state.waiting.reason") == "CrashLoopBackOff" ||
           jsonx::Int(Pod("crash")["status"]["containerStatuses"][0], "restartCount") >= 1;
  }));
  json p = Pod("crash");
  const json& cs = p["status"]["containerStatuses"][0];
  EXPECT_EQ(cs["restartCount"], 1);
  EXPECT_EQ(cs["lastState"]["terminated"]["exitCode"], 1);
  EXPECT_EQ(p["status"]["phase"], "Running");
  // After the back-off (1 s here) it runs again.
  EXPECT_TRUE(Eventually([&] {
    json q = Pod("crash");
    return q["status"]["containerStatuses"][0]["state"].contains("running") &&
           jsonx::Int(q["status"]["containerStatuses"][0], "restartCount") >= 1;
  }));
  EXPECT_TRUE(HasEvent("crash", "BackOff"));
}

TEST_F(HostSimTest, InsufficientResourcesMakeThePodUnschedulable) {
  CreatePod("huge", "", "", R"(,"resources":{"requests":{"cpu":"100"}})");
  const std::string msg = "0/3 nodes are available: 3 Insufficient cpu.";
  ASSERT_TRUE(Eventually([&] { return jsonx::Str(Condition(Pod("huge"), "PodScheduled"), "message") == msg; }));
  json c = Condition(Pod("huge"), "PodScheduled");
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "Unschedulable");
  EXPECT_EQ(Phase("huge"), "Pending");
  EXPECT_TRUE(jsonx::Str(Pod("huge"), "spec.nodeName").empty());
  EXPECT_TRUE(Eventually([&] { return HasEvent("huge", "FailedScheduling", msg); }));
  for (const auto& e : Events("huge")) {
    EXPECT_EQ(e["type"], "Warning");
    EXPECT_EQ(e["source"]["component"], "default-scheduler");
  }
}

TEST_F(HostSimTest, BindsWithinCapacityAndRetriesWhenRoomFrees) {
  // 8 cpu per node, 3 cpu per pod: two fit on each node, the seventh waits.
  for (int i = 0; i < 7; ++i) CreatePod("p" + std::to_string(i), "", "", R"(,"resources":{"requests":{"cpu":"3"}})");
  ASSERT_TRUE(Eventually([&] {
    int running = 0;
    for (int i = 0; i < 7; ++i) running += Phase("p" + std::to_string(i)) == "Running";
    return running == 6;
  }));
  std::map<std::string, int> per_node;
  std::string waiting;
  for (int i = 0; i < 7; ++i) {
    json p = Pod("p" + std::to_string(i));
    if (jsonx::Str(p, "spec.nodeName").empty()) {
      waiting = "p" + std::to_string(i);
    } else {
      ++per_node[jsonx::Str(p, "spec.nodeName")];
    }
  }
  EXPECT_EQ(per_node.size(), 3u);
  for (const auto& [n, count] : per_node) EXPECT_EQ(count, 2) << n;
  ASSERT_FALSE(waiting.empty());
  EXPECT_TRUE(Eventually([&] {
    return jsonx::Str(Condition(Pod(waiting), "PodScheduled"), "message") ==
           "0/3 nodes are available: 3 Insufficient cpu.";
  }));
  // A running pod goes away: the waiting one takes its place.
  const std::string victim = waiting == "p0" ? "p1" : "p0";
  ASSERT_TRUE(objects_->Delete(Kind("", "pods"), "default", victim).ok());
  EXPECT_TRUE(Eventually([&] { return Phase(waiting) == "Running"; }));
}

TEST_F(HostSimTest, NodeSelectorAffinityAndTaints) {
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(
                      Kind("", "nodes"), "", "vkube-node-0",
                      [](const json& cur) -> Result<json> {
                        json n = cur;
                        n["spec"]["taints"] = {{{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}}};
                        return n;
                      })
                  .ok());
  CreatePod("pinned", R"(,"nodeSelector":{"kubernetes.io/hostname":"vkube-node-0"})");
  const std::string msg =
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node "
      "affinity/selector.";
  ASSERT_TRUE(Eventually([&] { return jsonx::Str(Condition(Pod("pinned"), "PodScheduled"), "message") == msg; }))
      << Pod("pinned")["status"].dump();
  CreatePod("tolerant",
            R"(,"tolerations":[{"key":"dedicated","operator":"Equal","value":"gpu","effect":"NoSchedule"}],
                "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
                  {"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"In","values":["vkube-node-0"]}]}]}}})");
  ASSERT_TRUE(Eventually([&] { return Phase("tolerant") == "Running"; }));
  EXPECT_EQ(jsonx::Str(Pod("tolerant"), "spec.nodeName"), "vkube-node-0");
  // Untainting the node lets the waiting pod in (node changes retry unschedulable pods).
  ASSERT_TRUE(objects_
                  ->GuaranteedUpdate(Kind("", "nodes"), "", "vkube-node-0",
                                     [](const json& cur) -> Result<json> {
                                       json n = cur;
                                       n["spec"].erase("taints");
                                       return n;
                                     })
                  .ok());
  EXPECT_TRUE(Eventually([&] { return Phase("pinned") == "Running"; }));
}

TEST_F(HostSimTest, GracefulDeletionCompletes) {
  CreatePod("web");
  ASSERT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
  auto del = objects_->Delete(Kind("", "pods"), "default", "web");  // default 30 s grace: only marked
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->deleted);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually([&] { return !objects_->Get(Kind("", "pods"), "default", "web").ok(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // Its address is free again; a new pod of the same name starts fresh.
  CreatePod("web");
  EXPECT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
}

TEST_F(HostSimTest, DeploymentBecomesAvailableOnSimulatedNodes) {
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"replicas":5,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", d).ok());
  EXPECT_TRUE(Eventually([&] {
    auto dep = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
    return dep && jsonx::Int(*dep, "status.availableReplicas") == 5;
  }));
  std::set<std::string> nodes;
  auto pods = store_->List(store::ListOptions{.resource = "pods", .ns = "default"});
  ASSERT_TRUE(pods.ok());
  for (const auto& o : pods->items) nodes.insert(jsonx::Str(json::parse(o->json), "spec.nodeName"));
  EXPECT_EQ(nodes.size(), 3u);  // spread over the three nodes
}

TEST_F(HostSimTest, RestartKeepsPodsAndAddressesAndDropsRemovedNodes) {
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
    "spec":{"replicas":6,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ASSERT_TRUE(objects_->Create(Kind("apps", "deployments"), "default", d).ok());
  auto available = [&] {
    auto dep = objects_->GetJson(Kind("apps", "deployments"), "default", "web");
    return dep && jsonx::Int(*dep, "status.availableReplicas") == 6 && jsonx::Int(*dep, "status.replicas") == 6;
  };
  ASSERT_TRUE(Eventually(available));
  auto pods = [&] {
    std::map<std::string, json> out;
    auto res = store_->List(store::ListOptions{.resource = "pods", .ns = "default"});
    for (const auto& o : res->items) out[o->key.name] = json::parse(o->json);
    return out;
  };
  const auto before = pods();

  Restart(2);  // vkube-node-2 is gone: its pods are deleted and replaced on the other two
  EXPECT_FALSE(objects_->Get(Kind("", "nodes"), "", "vkube-node-2").ok());
  EXPECT_FALSE(objects_->Get(Kind("coordination.k8s.io", "leases"), "kube-node-lease", "vkube-node-2").ok());
  ASSERT_TRUE(Eventually([&] {
    auto now = pods();
    if (now.size() != 6 || !available()) return false;
    for (const auto& [name, p] : now) {
      if (jsonx::Str(p, "spec.nodeName") == "vkube-node-2" || jsonx::Str(p, "status.phase") != "Running") return false;
    }
    return true;
  }));
  std::set<std::string> ips;
  for (const auto& [name, p] : pods()) {
    EXPECT_TRUE(ips.insert(jsonx::Str(p, "status.podIP")).second) << "duplicate address " << p["status"]["podIP"];
    auto it = before.find(name);
    if (it != before.end()) {  // a survivor keeps its address and start time
      EXPECT_EQ(p["status"]["podIP"], it->second["status"]["podIP"]);
      EXPECT_EQ(p["status"]["startTime"], it->second["status"]["startTime"]);
    }
  }
}

// Reads a whole log stream on an io_context (as the API server's connection would).
std::string Drain(const std::shared_ptr<apiserver::ChunkStream>& s, std::function<void()> while_reading = nullptr) {
  asio::io_context io;
  std::string out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto chunk = co_await s->Next();
          if (!chunk) break;
          out += *chunk;
        }
      },
      asio::detached);
  std::thread side;
  if (while_reading) side = std::thread(while_reading);
  io.run();
  if (side.joinable()) side.join();
  return out;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (std::size_t e; (e = s.find('\n', b)) != std::string::npos; b = e + 1) out.push_back(s.substr(b, e - b));
  return out;
}

TEST_F(HostSimTest, LogsAreSyntheticLinesWithKubeletOptions) {
  auto& streams = static_cast<SyntheticPodStreams&>(*sim_->pod_streams());
  CreatePod("web");
  ASSERT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a dozen lines at 100 ms
  auto s = streams.Open("default", "web", {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto lines = Lines(Drain(*s));
  ASSERT_GE(lines.size(), 10u);
  EXPECT_NE(lines[0].find(" pod web container app line 0"), std::string::npos) << lines[0];
  EXPECT_NE(lines[3].find(" pod web container app line 3"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[0].rfind("20", 0), 0u);  // begins with its RFC 3339 time

  apiserver::PodLogOptions tail;
  tail.tail_lines = 2;
  tail.timestamps = true;
  auto t = Lines(Drain(*streams.Open("default", "web", tail)));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].find(" pod web container app line"), t[1].find(' ', t[1].find(' ') + 1));  // timestamp, then the line

  apiserver::PodLogOptions limit;
  limit.limit_bytes = 10;
  EXPECT_EQ(Drain(*streams.Open("default", "web", limit)).size(), 10u);

  apiserver::PodLogOptions wrong;
  wrong.container = "nope";
  auto e = streams.Open("default", "web", wrong);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(e.error().message, "container nope is not valid for pod web");
  apiserver::PodLogOptions prev;
  prev.previous = true;
  e = streams.Open("default", "web", prev);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "previous terminated container \"app\" in pod \"web\" not found");
  e = streams.Open("default", "missing", {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kNotFound);

  // Bound but not started yet: a pod on a node no kubelet of ours runs.
  json pod = json::parse(
      R"({"metadata":{"name":"elsewhere","namespace":"default"},"spec":{"nodeName":"real-node","containers":[{"name":"c","image":"x"}]}})");
  ASSERT_TRUE(objects_->Create(Kind("", "pods"), "default", pod).ok());
  e = streams.Open("default", "elsewhere", {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "container \"c\" in pod \"elsewhere\" is waiting to start: ContainerCreating");
}

TEST_F(HostSimTest, FollowStreamsUntilThePodIsDeleted) {
  auto& streams = static_cast<SyntheticPodStreams&>(*sim_->pod_streams());
  CreatePod("web", R"(,"terminationGracePeriodSeconds":5)");
  ASSERT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
  apiserver::PodLogOptions follow;
  follow.follow = true;
  auto s = streams.Open("default", "web", follow);
  ASSERT_TRUE(s.ok());
  const auto t0 = std::chrono::steady_clock::now();
  std::string out = Drain(*s, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ASSERT_TRUE(objects_->Delete(Kind("", "pods"), "default", "web").ok());
  });
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(800));
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_GE(Lines(out).size(), 7u) << out;  // lines kept coming while following

  // A run-to-completion container: following ends when it exits, with its last lines.
  CreatePod("job", R"(,"restartPolicy":"Never")", R"(,"annotations":{"hostsim.vkube.io/run-seconds":"1"})");
  ASSERT_TRUE(Eventually([&] { return Phase("job") == "Running"; }));
  auto j = streams.Open("default", "job", follow);
  ASSERT_TRUE(j.ok());
  auto job_lines = Lines(Drain(*j));
  EXPECT_EQ(Phase("job"), "Succeeded");
  EXPECT_GE(job_lines.size(), 5u);
}

TEST_F(HostSimTest, FollowEndsWhenTheClientGoesAway) {
  auto& streams = static_cast<SyntheticPodStreams&>(*sim_->pod_streams());
  CreatePod("web");
  ASSERT_TRUE(Eventually([&] { return Phase("web") == "Running"; }));
  apiserver::PodLogOptions follow;
  follow.follow = true;
  auto s = streams.Open("default", "web", follow);
  ASSERT_TRUE(s.ok());
  asio::io_context io;
  bool ended = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (co_await (*s)->Next()) {
        }
        ended = true;
      },
      asio::detached);
  asio::steady_timer t(io, std::chrono::milliseconds(300));
  t.async_wait([&](const boost::system::error_code&) { (*s)->Cancel(); });
  const auto t0 = std::chrono::steady_clock::now();
  io.run();
  EXPECT_TRUE(ended);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// The API routes: GET pods/NAME/log through ApiServer, POST pods/NAME/binding.
TEST_F(HostSimTest, ApiServerServesLogAndBinding) {
  asio::thread_pool blocking(1);
  apiserver::TenantContext t;
  t.store = store_;
  t.registry = registry_;
  t.objects = objects_;
  t.tokens.push_back({"tok", {"admin", {"system:masters"}}});
  apiserver::ApiServer api(std::move(t), {}, blocking);
  api.SetPodStreams(sim_->pod_streams());
  auto call = [&](const std::string& method, const std::string& target, const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.body = body;
    req.headers.push_back({"authorization", "Bearer tok"});
    req.headers.push_back({"content-type", "application/json"});
    http::testing::CapturingWriter w;
    asio::io_context io;
    asio::co_spawn(io, api.Handle(req, w), asio::detached);
    io.run();
    EXPECT_TRUE(w.done);
    return w.response;
  };
  // A pod another scheduler is responsible for: ours leaves it, the binding API places it.
  CreatePod("manual", R"(,"schedulerName":"my-scheduler")");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(jsonx::Str(Pod("manual"), "spec.nodeName").empty());
  json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "manual"}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "vkube-node-2"}}}};
  auto r = call("POST", "/api/v1/namespaces/default/pods/manual/binding", binding.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "Success");
  r = call("POST", "/api/v1/namespaces/default/pods/manual/binding", binding.dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["message"],
            "Operation cannot be fulfilled on pods/binding \"manual\": pod manual is already assigned to node "
            "\"vkube-node-2\"");
  ASSERT_TRUE(Eventually([&] { return Phase("manual") == "Running"; }));
  EXPECT_EQ(jsonx::Str(Pod("manual"), "status.podIP").rfind("10.244.2.", 0), 0u);

  r = call("GET", "/api/v1/namespaces/default/pods/manual/log?tailLines=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(" pod manual container app line "), std::string::npos) << r.body;
  EXPECT_EQ(Lines(r.body).size(), 1u);
  r = call("GET", "/api/v1/namespaces/default/pods/manual/log?container=zzz");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["message"], "container zzz is not valid for pod manual");
  r = call("GET", "/api/v1/namespaces/default/pods/manual/log?tailLines=-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["message"],
            "PodLogOptions \"manual\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");
  r = call("GET", "/api/v1/namespaces/default/pods/none/log");
  EXPECT_EQ(r.status, 404);
  blocking.join();
}

}  // namespace
}  // namespace vkube::hostsim
