// Reflector against the real server: resume after a restart without re-listing, re-list on 410
// with the exact diff delivered, bookmarks, clean stop.
#include "libs/kubeclient/reflector.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "libs/kubeclient/api_error.h"
#include "libs/kubeclient/http2_kube_client.h"
#include "libs/kubeclient/testing/in_process_server.h"
#include "libs/kubeclient/testing/sync.h"
#include "libs/kubeclient/testing/vkube_process.h"

namespace vkube::kube {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using testing::RunSync;
using namespace std::chrono_literals;

json ConfigMap(const std::string& name, const std::string& ns, const std::string& payload = "") {
  return json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"data", {{"payload", payload}}}};
}

std::string Name(const json& o) { return o["metadata"]["name"].get<std::string>(); }
std::string Rv(const json& o) { return o["metadata"]["resourceVersion"].get<std::string>(); }

// What the handlers told us, as an informer's store would hold it.
class Mirror {
 public:
  ReflectorHandlers Handlers() {
    ReflectorHandlers h;
    h.on_add = [this](const SharedObject& p) {
      const json& o = *p;
      Gate();
      std::lock_guard lock(mu_);
      ++adds;
      if (state_.count(Name(o))) ++duplicate_adds;
      state_[Name(o)] = Rv(o);
      cv_.notify_all();
    };
    h.on_update = [this](const SharedObject& old_p, const SharedObject& p) {
      const json& old_obj = *old_p;
      const json& o = *p;
      std::lock_guard lock(mu_);
      ++updates;
      if (state_.count(Name(old_obj)) == 0) ++unknown_updates;
      state_[Name(o)] = Rv(o);
      cv_.notify_all();
    };
    h.on_delete = [this](const SharedObject& p) {
      const json& o = *p;
      std::lock_guard lock(mu_);
      ++deletes;
      deleted_.push_back(Name(o));
      state_.erase(Name(o));
      cv_.notify_all();
    };
    h.on_synced = [this] {
      std::lock_guard lock(mu_);
      ++synced;
      cv_.notify_all();
    };
    return h;
  }

  // `pred` runs with the mirror's lock held: it may read the counters and the state directly, but
  // must not call State() or Count() (the lock is not recursive) nor wait for anything.
  bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }
  bool WaitForState(const std::map<std::string, std::string>& want, std::chrono::milliseconds timeout = 20s) {
    return WaitFor([&] { return state_ == want; }, timeout);
  }
  int Count(const int Mirror::*counter) {
    std::lock_guard lock(mu_);
    return this->*counter;
  }
  std::map<std::string, std::string> State() {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::vector<std::string> Deleted() {
    std::lock_guard lock(mu_);
    return deleted_;
  }
  // While closed, on_add blocks the reflector (a consumer that stopped reading).
  void CloseGate() {
    std::lock_guard lock(mu_);
    gate_ = std::make_shared<std::promise<void>>();
    gate_future_ = gate_->get_future().share();
  }
  void OpenGate() {
    std::shared_ptr<std::promise<void>> g;
    {
      std::lock_guard lock(mu_);
      g = std::move(gate_);
    }
    if (g) g->set_value();
  }
  bool gate_hit() const { return gate_hit_; }

  std::mutex mu_;
  std::condition_variable cv_;
  int adds = 0, updates = 0, deletes = 0, synced = 0, duplicate_adds = 0, unknown_updates = 0;

 private:
  void Gate() {
    std::shared_future<void> f;
    {
      std::lock_guard lock(mu_);
      if (!gate_) return;
      f = gate_future_;
    }
    gate_hit_ = true;
    // Bounded: a test that fails before OpenGate() must not leave the reflector blocked forever.
    f.wait_for(60s);
  }
  std::map<std::string, std::string> state_;
  std::vector<std::string> deleted_;
  std::shared_ptr<std::promise<void>> gate_;
  std::shared_future<void> gate_future_;
  std::atomic<bool> gate_hit_{false};
};

// The server's view, name → resourceVersion.
std::map<std::string, std::string> ServerState(KubeClient& c, asio::any_io_executor ex, const ResourceRef& ref) {
  auto list = RunSync(ex, c.List(ref));
  EXPECT_TRUE(list.ok());
  std::map<std::string, std::string> out;
  if (!list.ok()) return out;
  for (const auto& item : list->items) out[Name(item)] = Rv(item);
  return out;
}

// An io_context on its own thread, joined on destruction.
struct IoThread {
  IoThread() : work(asio::make_work_guard(io)), thread([this] { io.run(); }) {}
  ~IoThread() {
    work.reset();
    thread.join();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

BackoffOptions FastBackoff() {
  BackoffOptions b;
  b.initial = 50ms;
  b.cap = 500ms;
  return b;
}

TEST(ReflectorTest, ResumesItsWatchAfterTheServerRestartsWithoutRelisting) {
  testing::TempDir dir;
  testing::VkubeProcess::Options po;
  po.data_dir = dir.path();
  auto server = testing::VkubeProcess::Start(po);
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto cfg = LoadKubeconfigFile((*server)->kubeconfig_path());
  ASSERT_TRUE(cfg.ok());
  asio::thread_pool pool(2);
  auto client = Http2KubeClient::Create(pool.get_executor(), *cfg);
  ASSERT_TRUE(client.ok());
  KubeClient& c = **client;
  const auto ex = pool.get_executor();
  ASSERT_TRUE(RunSync(ex, c.Create(ResourceRef::Core("namespaces"), json{{"metadata", {{"name", "resume"}}}})).ok());
  const auto cms = ResourceRef::Core("configmaps", "resume");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(RunSync(ex, c.Create(cms, ConfigMap("cm" + std::to_string(i), "resume"))).ok());
  // The server publishes kube-root-ca.crt into every namespace (as kube does); wait for it so the
  // first list is the whole story.
  bool root_ca = false;
  for (int i = 0; i < 100 && !root_ca; ++i) {
    root_ca = RunSync(ex, c.Get(cms, "kube-root-ca.crt")).ok();
    if (!root_ca) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(root_ca);
  const auto initial = ServerState(c, ex, cms);
  ASSERT_EQ(initial.size(), 6u);

  Mirror mirror;
  ReflectorOptions ro;
  ro.resource = cms;
  ro.page_size = 2;  // three pages
  ro.backoff = FastBackoff();
  Reflector reflector(c, ex, ro, mirror.Handlers());
  reflector.Start();
  ASSERT_TRUE(mirror.WaitFor([&] { return mirror.synced == 1; }));
  EXPECT_EQ(mirror.Count(&Mirror::adds), 6);
  EXPECT_EQ(mirror.State(), initial);

  ASSERT_TRUE(RunSync(ex, c.Create(cms, ConfigMap("cm5", "resume"))).ok());
  ASSERT_TRUE(RunSync(ex, c.Patch(cms, "cm0", PatchType::kMerge, R"({"data":{"payload":"x"}})")).ok());
  ASSERT_TRUE(RunSync(ex, c.Delete(cms, "cm1")).ok());
  ASSERT_TRUE(mirror.WaitForState(ServerState(c, ex, cms)));

  ASSERT_TRUE((*server)->Restart().ok());
  for (int i = 6; i < 9; ++i)
    ASSERT_TRUE(RunSync(ex, c.Create(cms, ConfigMap("cm" + std::to_string(i), "resume"))).ok());
  ASSERT_TRUE(RunSync(ex, c.Delete(cms, "cm2")).ok());
  const auto want = ServerState(c, ex, cms);
  EXPECT_TRUE(mirror.WaitForState(want)) << "mirror did not converge";
  const auto stats = reflector.stats();
  EXPECT_EQ(stats.lists, 1u);  // resumed from the last resourceVersion, no re-list
  EXPECT_EQ(stats.gone, 0u);
  EXPECT_GE(stats.watches, 2u);
  EXPECT_EQ(mirror.Count(&Mirror::duplicate_adds), 0);
  EXPECT_EQ(mirror.Deleted(), (std::vector<std::string>{"cm1", "cm2"}));

  const auto start = std::chrono::steady_clock::now();
  reflector.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  client->reset();
}

// The reflector stops reading (a blocked handler) while the server's watch history moves on: the
// server closes the slow watch, the resumed watch is 410, and the re-list delivers exactly the
// missed changes (adds, and the delete that was never seen as an event).
TEST(ReflectorTest, RelistsAfterGoneAndDeliversTheDiff) {
  testing::InProcessOptions so;
  so.history_size = 20;
  so.watch_queue_limit = 5;
  testing::InProcessServer server(so);
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  IoThread reflector_io;  // the reflector's own thread, so a blocked handler stalls only it
  ClientOptions co;
  co.h2_stream_window = 64 * 1024;  // a stalled watch stops its stream early
  auto client = Http2KubeClient::Create(pool.get_executor(), server.config(), co);
  ASSERT_TRUE(client.ok());
  KubeClient& c = **client;
  // Writes go through their own connection: the stalled watch must not hold them up.
  auto writer_client = Http2KubeClient::Create(pool.get_executor(), server.config());
  ASSERT_TRUE(writer_client.ok());
  KubeClient& w = **writer_client;
  const auto ex = pool.get_executor();
  const auto cms = ResourceRef::Core("configmaps", "default");
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(RunSync(ex, w.Create(cms, ConfigMap("keep" + std::to_string(i), "default"))).ok());

  Mirror mirror;
  ReflectorOptions ro;
  ro.resource = cms;
  ro.backoff = FastBackoff();
  Reflector reflector(c, reflector_io.io.get_executor(), ro, mirror.Handlers());
  reflector.Start();
  ASSERT_TRUE(mirror.WaitFor([&] { return mirror.synced == 1; }));

  mirror.CloseGate();
  const std::string big(100 * 1024, 'x');  // large events fill the server's buffers quickly
  for (int i = 0; i < 40; ++i) {
    auto r = RunSync(ex, w.Create(cms, ConfigMap("big" + std::to_string(i), "default", big)));
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_TRUE(RunSync(ex, w.Delete(cms, "keep1")).ok());
  // On a loaded machine the first event may reach the (blocked) handler only now.
  for (int i = 0; i < 2000 && !mirror.gate_hit(); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(mirror.gate_hit());
  mirror.OpenGate();

  const auto want = ServerState(w, ex, cms);
  EXPECT_TRUE(mirror.WaitForState(want, 30s)) << "mirror did not converge";
  const auto stats = reflector.stats();
  EXPECT_GE(stats.gone, 1u);
  EXPECT_GE(stats.lists, 2u);
  EXPECT_EQ(mirror.Deleted(), std::vector<std::string>{"keep1"});
  EXPECT_EQ(mirror.Count(&Mirror::unknown_updates), 0);
  reflector.Stop();
  client->reset();
  writer_client->reset();
}

// The syncer waits for on_synced before acting on its cache: it must come after the first list
// also when a label selector matches nothing (an empty list is a complete list).
TEST(ReflectorTest, SyncedAfterTheFirstListAlsoWhenASelectorMatchesNothing) {
  testing::InProcessServer server;
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  auto client = Http2KubeClient::Create(pool.get_executor(), server.config());
  ASSERT_TRUE(client.ok());
  KubeClient& c = **client;
  const auto ex = pool.get_executor();
  const auto cms = ResourceRef::Core("configmaps", "default");
  json labelled = ConfigMap("labelled", "default");
  labelled["metadata"]["labels"] = {{"app", "web"}};
  ASSERT_TRUE(RunSync(ex, c.Create(cms, labelled)).ok());
  ASSERT_TRUE(RunSync(ex, c.Create(cms, ConfigMap("plain", "default"))).ok());

  Mirror none_mirror, web_mirror;
  ReflectorOptions none_opts;
  none_opts.resource = cms;
  none_opts.label_selector = "app=none";
  ReflectorOptions web_opts = none_opts;
  web_opts.label_selector = "app=web";
  Reflector none(c, ex, none_opts, none_mirror.Handlers());
  Reflector web(c, ex, web_opts, web_mirror.Handlers());
  EXPECT_FALSE(none.synced());
  none.Start();
  web.Start();
  ASSERT_TRUE(none_mirror.WaitFor([&] { return none_mirror.synced == 1; }));
  EXPECT_TRUE(none.synced());
  EXPECT_EQ(none_mirror.Count(&Mirror::adds), 0);
  EXPECT_EQ(none.stats().lists, 1u);
  EXPECT_EQ(none.stats().objects, 0u);
  ASSERT_TRUE(web_mirror.WaitFor([&] { return web_mirror.synced == 1; }));
  EXPECT_TRUE(web.synced());
  EXPECT_EQ(web_mirror.State().size(), 1u);
  EXPECT_EQ(web_mirror.State().count("labelled"), 1u);

  // Later matches arrive through the watch, with the selector applied.
  json second = ConfigMap("second", "default");
  second["metadata"]["labels"] = {{"app", "web"}};
  ASSERT_TRUE(RunSync(ex, c.Create(cms, second)).ok());
  ASSERT_TRUE(RunSync(ex, c.Create(cms, ConfigMap("other", "default"))).ok());
  EXPECT_TRUE(web_mirror.WaitFor([&] { return web_mirror.adds == 2; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(web_mirror.Count(&Mirror::adds), 2);
  EXPECT_EQ(none_mirror.Count(&Mirror::adds), 0);
  EXPECT_EQ(none_mirror.Count(&Mirror::synced), 1);
  none.Stop();
  web.Stop();
  client->reset();
}

TEST(ReflectorTest, BookmarksAdvanceTheResourceVersion) {
  testing::InProcessOptions so;
  so.bookmark_interval = 1s;
  testing::InProcessServer server(so);
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  auto client = Http2KubeClient::Create(pool.get_executor(), server.config());
  ASSERT_TRUE(client.ok());
  KubeClient& c = **client;
  const auto ex = pool.get_executor();
  Mirror mirror;
  ReflectorOptions ro;
  ro.resource = ResourceRef::Core("configmaps", "kube-public");  // nothing happens here
  Reflector reflector(c, ex, ro, mirror.Handlers());
  reflector.Start();
  ASSERT_TRUE(mirror.WaitFor([&] { return mirror.synced == 1; }));
  const std::string listed = reflector.stats().resource_version;
  // Writes elsewhere move the store's revision; bookmarks carry it to this quiet watch.
  ASSERT_TRUE(
      RunSync(ex, c.Create(ResourceRef::Core("configmaps", "default"), ConfigMap("elsewhere", "default"))).ok());
  bool advanced = false;
  for (int i = 0; i < 50 && !advanced; ++i) {
    std::this_thread::sleep_for(100ms);
    const auto s = reflector.stats();
    advanced = s.bookmarks > 0 && std::stoll(s.resource_version) > std::stoll(listed);
  }
  EXPECT_TRUE(advanced);
  EXPECT_EQ(mirror.Count(&Mirror::adds), 0);
  reflector.Stop();
  client->reset();
}

}  // namespace
}  // namespace vkube::kube
