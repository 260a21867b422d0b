// KubeClient against the real vkube server (the binary, over TLS on 127.0.0.1), and against the
// in-process API server where a limit must be small (history, in-flight, h2 off).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "libs/http/testing/test_tls.h"
#include "libs/kubeclient/api_error.h"
#include "libs/kubeclient/http2_kube_client.h"
#include "libs/kubeclient/testing/in_process_server.h"
#include "libs/kubeclient/testing/sync.h"
#include "libs/kubeclient/testing/vkube_process.h"
#include "libs/net/task_group.h"

namespace vkube::kube {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using testing::RunSync;
using testing::TempDir;
using testing::VkubeProcess;
using namespace std::chrono_literals;

json ConfigMap(const std::string& name, const std::string& ns, const json& data = json::object(),
               const json& labels = json::object()) {
  json cm = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", ns}}}, {"data", data}};
  if (!labels.empty()) cm["metadata"]["labels"] = labels;
  return cm;
}

json Namespace(const std::string& name) {
  return json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

std::string Rv(const json& obj) { return obj["metadata"].value("resourceVersion", ""); }

class KubeClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("vkube-kc");
    VkubeProcess::Options o;
    o.data_dir = dir_->path();
    auto p = VkubeProcess::Start(o);
    ASSERT_TRUE(p.ok()) << p.error().message;
    server_ = p->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    auto c = LoadKubeconfigFile(server_->kubeconfig_path());
    ASSERT_TRUE(c.ok()) << c.error().message;
    config_ = *c;
  }

  std::unique_ptr<Http2KubeClient> NewClient(ClientOptions o = {}) { return NewClient(config_, o); }
  std::unique_ptr<Http2KubeClient> NewClient(const KubeConfig& cfg, ClientOptions o = {}) {
    auto c = Http2KubeClient::Create(pool_.get_executor(), cfg, o);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return std::move(*c);
  }
  template <typename T>
  Result<T> Sync(asio::awaitable<Result<T>> a) {
    return RunSync(pool_.get_executor(), std::move(a));
  }
  void EnsureNamespace(KubeClient& c, const std::string& name) {
    auto r = Sync(c.Create(ResourceRef::Core("namespaces"), Namespace(name)));
    ASSERT_TRUE(r.ok() || IsAlreadyExists(r.error())) << r.error().message;
  }
  // The server publishes kube-root-ca.crt into every new namespace shortly after its creation (as
  // kube's root-ca-cert-publisher does); tests that count a namespace's ConfigMaps wait for it.
  void WaitForRootCa(KubeClient& c, const std::string& ns) {
    for (int i = 0; i < 100; ++i) {
      if (Sync(c.Get(ResourceRef::Core("configmaps", ns), "kube-root-ca.crt")).ok()) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << "kube-root-ca.crt did not appear in " << ns;
  }

  static TempDir* dir_;
  static VkubeProcess* server_;
  asio::thread_pool pool_{2};  // the syncer's shared pool: no thread per client
  KubeConfig config_;
};
TempDir* KubeClientTest::dir_ = nullptr;
VkubeProcess* KubeClientTest::server_ = nullptr;

TEST_F(KubeClientTest, AdminKubeconfigReachesTheServerOverH2) {
  auto c = NewClient();
  auto version = Sync(c->GetRaw("/version"));
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_NE(version->find("gitVersion"), std::string::npos);
  EXPECT_EQ(c->protocol(), "h2");
  EXPECT_EQ(c->connections_opened(), 1u);
}

TEST_F(KubeClientTest, CrudRoundTripWithTypedErrors) {
  auto c = NewClient();
  EnsureNamespace(*c, "crud");
  const auto cms = ResourceRef::Core("configmaps", "crud");
  auto created = Sync(c->Create(cms, ConfigMap("one", "crud", {{"a", "1"}}, {{"app", "web"}})));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_FALSE(Rv(*created).empty());
  const std::string uid = (*created)["metadata"]["uid"];

  auto dup = Sync(c->Create(cms, ConfigMap("one", "crud")));
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(IsAlreadyExists(dup.error())) << dup.error().message;

  auto got = Sync(c->Get(cms, "one"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["data"]["a"], "1");

  // Update with the current resourceVersion succeeds; with the stale one it is a Conflict.
  json edited = *got;
  edited["data"]["a"] = "2";
  auto updated = Sync(c->Update(cms, edited));
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_NE(Rv(*updated), Rv(*got));
  auto stale = Sync(c->Update(cms, edited));
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(IsConflict(stale.error())) << stale.error().message;

  // The three patch types kube-apiserver speaks.
  auto merged = Sync(c->Patch(cms, "one", PatchType::kMerge, R"({"data":{"b":"3"}})"));
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["data"]["b"], "3");
  auto strategic = Sync(c->Patch(cms, "one", PatchType::kStrategicMerge, R"({"metadata":{"labels":{"tier":"x"}}})"));
  ASSERT_TRUE(strategic.ok()) << strategic.error().message;
  EXPECT_EQ((*strategic)["metadata"]["labels"]["app"], "web");
  EXPECT_EQ((*strategic)["metadata"]["labels"]["tier"], "x");
  auto jsonpatch = Sync(c->Patch(cms, "one", PatchType::kJson, R"([{"op":"remove","path":"/data/a"}])"));
  ASSERT_TRUE(jsonpatch.ok()) << jsonpatch.error().message;
  EXPECT_FALSE((*jsonpatch)["data"].contains("a"));
  // Server-side apply: the request is well formed (fieldManager, force); vkube answers 415 today.
  PatchOptions apply;
  apply.field_manager = "vkube-syncer";
  apply.force = true;
  auto applied = Sync(c->Patch(cms, "one", PatchType::kApply, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", apply));
  if (!applied.ok()) {
    EXPECT_EQ(applied.error().code, ErrorCode::kUnsupportedMediaType) << applied.error().message;
  }
  auto no_manager = Sync(c->Patch(cms, "one", PatchType::kApply, "{}"));
  ASSERT_FALSE(no_manager.ok());
  EXPECT_EQ(no_manager.error().code, ErrorCode::kBadRequest);

  auto invalid = Sync(c->Create(cms, ConfigMap("Not_A_Name", "crud")));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_FALSE(invalid.error().details.causes.empty());

  // Delete preconditions: a wrong uid is a Conflict, the right one deletes.
  DeleteOptions wrong;
  wrong.precondition_uid = "00000000-0000-0000-0000-000000000000";
  auto refused = Sync(c->Delete(cms, "one", wrong));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsConflict(refused.error())) << refused.error().message;
  DeleteOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(Sync(c->Delete(cms, "one", dry)).ok());
  ASSERT_TRUE(Sync(c->Get(cms, "one")).ok());
  DeleteOptions right;
  right.precondition_uid = uid;
  right.propagation_policy = "Background";
  ASSERT_TRUE(Sync(c->Delete(cms, "one", right)).ok());
  auto gone = Sync(c->Get(cms, "one"));
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(IsNotFound(gone.error()));
  EXPECT_EQ(gone.error().details.name, "one");
  auto again = Sync(c->Delete(cms, "one"));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(IsNotFound(again.error()));
}

TEST_F(KubeClientTest, ForegroundDeletionIsCarriedOut) {
  auto c = NewClient();
  EnsureNamespace(*c, "fg");
  const auto cms = ResourceRef::Core("configmaps", "fg");
  ASSERT_TRUE(Sync(c->Create(cms, ConfigMap("owner", "fg"))).ok());
  DeleteOptions fg;
  fg.propagation_policy = "Foreground";
  auto deleted = Sync(c->Delete(cms, "owner", fg));
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  bool vanished = false;
  for (int i = 0; i < 100 && !vanished; ++i) {
    auto g = Sync(c->Get(cms, "owner"));
    vanished = !g.ok() && IsNotFound(g.error());
    if (!vanished) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(vanished);
}

TEST_F(KubeClientTest, ListPagesAndSelectors) {
  auto c = NewClient();
  EnsureNamespace(*c, "paging");
  WaitForRootCa(*c, "paging");
  const auto cms = ResourceRef::Core("configmaps", "paging");
  for (int i = 0; i < 25; ++i) {
    const std::string parity = i % 2 == 0 ? "even" : "odd";
    ASSERT_TRUE(
        Sync(c->Create(cms, ConfigMap("cm-" + std::to_string(i), "paging", json::object(), {{"parity", parity}})))
            .ok());
  }
  ListOptions lo;
  lo.limit = 10;
  std::set<std::string> names;
  int pages = 0;
  std::string first_rv;
  for (;;) {
    auto page = Sync(c->List(cms, lo));
    ASSERT_TRUE(page.ok()) << page.error().message;
    ++pages;
    if (first_rv.empty()) first_rv = page->resource_version;
    for (const auto& item : page->items) names.insert(item["metadata"]["name"].get<std::string>());
    if (page->continue_token.empty()) break;
    lo.continue_token = page->continue_token;
  }
  // Every namespace also holds kube-root-ca.crt (published by the server, as kube's
  // root-ca-cert-publisher does): 26 objects in three pages of at most 10.
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 26u);
  EXPECT_EQ(names.count("kube-root-ca.crt"), 1u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(names.count("cm-" + std::to_string(i)), 1u) << i;
  EXPECT_FALSE(first_rv.empty());
  ListOptions odd;
  odd.label_selector = "parity=odd";
  auto odds = Sync(c->List(cms, odd));
  ASSERT_TRUE(odds.ok());
  EXPECT_EQ(odds->items.size(), 12u);
  EXPECT_EQ(odds->kind, "ConfigMapList");
  ListOptions by_name;
  by_name.field_selector = "metadata.name=cm-7";
  auto one = Sync(c->List(cms, by_name));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->items.size(), 1u);
  // Every namespace at once.
  auto all = Sync(c->List(ResourceRef::Core("configmaps")));
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->items.size(), 25u);
}

asio::awaitable<Status> WatchOnce(KubeClient* c) {
  const ResourceRef cms = ResourceRef::Core("configmaps", "default");
  const ListOptions list_options;  // named: GCC 12 frees temporaries of a co_await expression twice
  auto listed = co_await c->List(cms, list_options);
  if (!listed) co_return listed.take_error();
  WatchOptions options;
  options.resource_version = listed->resource_version;  // from now: no initial events
  auto w = co_await c->StartWatch(cms, options);
  if (!w) co_return w.take_error();
  auto ev = co_await (*w)->Next();  // nothing happens in "default": only a cancel ends this
  if (ev) co_return Error::Make(ErrorCode::kInternal, "an event or the end");
  co_return ev.take_error();
}

asio::awaitable<void> WatchUntilCancelled(KubeClient* c, std::promise<Status>* ended) {
  Status s;
  try {
    s = co_await WatchOnce(c);
  } catch (const boost::system::system_error& e) {  // cancelled before a co_await began
    s = Error::Make(ErrorCode::kServiceUnavailable, e.what());
  }
  ended->set_value(std::move(s));
}

// A syncer stopping cancels its tasks on the shared pool; the cancel reaches the request on the
// transport's strand (not on the pool thread that emitted it) and ends it with an error value.
TEST_F(KubeClientTest, CancellingTheCallerEndsItsWatch) {
  auto c = NewClient();
  for (int round = 0; round < 20; ++round) {
    net::TaskGroup group;
    std::promise<Status> ended;
    auto result = ended.get_future();
    ASSERT_TRUE(group.Spawn(pool_.get_executor(), WatchUntilCancelled(c.get(), &ended)));
    std::this_thread::sleep_for(round % 2 ? 50ms : 1ms);  // cancelled while waiting, or while starting
    group.CancelAll();
    ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
    const Status s = result.get();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kServiceUnavailable) << s.error().message;
    EXPECT_TRUE(group.WaitEmptyBlocking(5s));
  }
}

TEST_F(KubeClientTest, WatchStreamsEventsInOrderAndInitialEventsEndWithABookmark) {
  auto c = NewClient();
  EnsureNamespace(*c, "watch");
  WaitForRootCa(*c, "watch");
  const auto cms = ResourceRef::Core("configmaps", "watch");
  ASSERT_TRUE(Sync(c->Create(cms, ConfigMap("before", "watch"))).ok());
  auto list = Sync(c->List(cms));
  ASSERT_TRUE(list.ok());
  WatchOptions wo;
  wo.resource_version = list->resource_version;
  auto w = Sync(c->StartWatch(cms, wo));
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE(Sync(c->Create(cms, ConfigMap("a", "watch", {{"k", "1"}}))).ok());
  ASSERT_TRUE(Sync(c->Patch(cms, "a", PatchType::kMerge, R"({"data":{"k":"2"}})")).ok());
  ASSERT_TRUE(Sync(c->Delete(cms, "a")).ok());
  std::vector<WatchEventType> types;
  std::string added_rv;
  while (types.size() < 3) {
    auto ev = Sync((*w)->Next());
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    ASSERT_TRUE(ev->has_value());
    if ((*ev)->type == WatchEventType::kBookmark) continue;
    EXPECT_EQ((*ev)->object["metadata"]["name"], "a");
    if ((*ev)->type == WatchEventType::kAdded) added_rv = Rv((*ev)->object);
    types.push_back((*ev)->type);
  }
  EXPECT_EQ(types,
            (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kModified, WatchEventType::kDeleted}));
  // Resuming from the version of the ADDED event replays exactly what came after it.
  WatchOptions resume;
  resume.resource_version = added_rv;
  resume.allow_bookmarks = false;
  auto wr = Sync(c->StartWatch(cms, resume));
  ASSERT_TRUE(wr.ok()) << wr.error().message;
  auto modified = Sync((*wr)->Next());
  ASSERT_TRUE(modified.ok() && modified->has_value());
  EXPECT_EQ((*modified)->type, WatchEventType::kModified);
  EXPECT_EQ((*modified)->object["data"]["k"], "2");
  auto deleted = Sync((*wr)->Next());
  ASSERT_TRUE(deleted.ok() && deleted->has_value());
  EXPECT_EQ((*deleted)->type, WatchEventType::kDeleted);
  // Watch-list: the current state as ADDED events, then a bookmark marking its end.
  WatchOptions initial;
  initial.send_initial_events = true;
  initial.resource_version_match = "NotOlderThan";
  // The namespace holds "before" and the kube-root-ca.crt the server publishes in every namespace.
  auto current = Sync(c->List(cms));
  ASSERT_TRUE(current.ok());
  std::set<std::string> want;
  for (const auto& item : current->items) want.insert(item["metadata"]["name"].get<std::string>());
  EXPECT_EQ(want, (std::set<std::string>{"before", "kube-root-ca.crt"}));
  auto wl = Sync(c->StartWatch(cms, initial));
  ASSERT_TRUE(wl.ok()) << wl.error().message;
  std::set<std::string> initial_names;
  for (std::size_t i = 0; i < want.size(); ++i) {
    auto ev = Sync((*wl)->Next());
    ASSERT_TRUE(ev.ok() && ev->has_value());
    EXPECT_EQ((*ev)->type, WatchEventType::kAdded);
    initial_names.insert((*ev)->object["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(initial_names, want);
  auto end = Sync((*wl)->Next());
  ASSERT_TRUE(end.ok() && end->has_value());
  EXPECT_EQ((*end)->type, WatchEventType::kBookmark);
  EXPECT_EQ((*end)->object["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  // A server-side timeout ends the watch normally.
  WatchOptions brief;
  brief.resource_version = list->resource_version;
  brief.timeout_seconds = 1;
  brief.allow_bookmarks = false;
  auto wt = Sync(c->StartWatch(ResourceRef::Core("configmaps", "nothing-here"), brief));
  ASSERT_TRUE(wt.ok());
  auto ended = Sync((*wt)->Next());
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_FALSE(ended->has_value());
}

// Many requests in flight at once share ONE TCP connection (HTTP/2 streams), also when our own
// stream limit makes them queue.
TEST_F(KubeClientTest, MultiplexesConcurrentRequestsOnOneConnection) {
  // 250 streams: the burst fits one connection. 4 streams and one connection allowed: requests
  // wait for a free stream instead of failing.
  for (std::uint32_t streams : {250u, 4u}) {
    ClientOptions o;
    o.max_concurrent_streams = streams;
    o.max_h2_connections = 1;
    auto c = NewClient(o);
    ASSERT_TRUE(Sync(c->GetRaw("/version")).ok());
    std::vector<std::future<std::optional<Result<json>>>> calls;
    for (int i = 0; i < 200; ++i) {
      calls.push_back(asio::co_spawn(pool_, testing::AsOptional(c->Get(ResourceRef::Core("namespaces"), "default")),
                                     asio::use_future));
    }
    EXPECT_EQ(testing::CountClientConnections(server_->port()), 1);
    int ok = 0;
    for (auto& f : calls) {
      auto r = testing::GetWithin(f);
      if (r && r->ok()) ++ok;
    }
    EXPECT_EQ(ok, 200) << "streams=" << streams;
    EXPECT_EQ(c->connections_opened(), 1u);
    EXPECT_EQ(testing::CountClientConnections(server_->port()), 1);
  }
}

// Watches hold their streams for minutes (a syncer per tenant holds several): when every stream of
// the connection is taken, another connection is opened, so later watches and writes still go
// through — up to max_h2_connections, after which requests wait for a free stream.
TEST_F(KubeClientTest, OpensAnotherConnectionWhenEveryStreamIsHeld) {
  ClientOptions o;
  o.max_concurrent_streams = 4;
  o.max_h2_connections = 3;
  auto c = NewClient(o);
  EnsureNamespace(*c, "held");
  const auto cms = ResourceRef::Core("configmaps", "held");
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 10; ++i) {  // 4 + 4 + 2 streams
    auto w = Sync(c->StartWatch(cms));
    ASSERT_TRUE(w.ok()) << "watch " << i << ": " << w.error().message;
    watches.push_back(std::move(*w));
  }
  EXPECT_EQ(c->connections_opened(), 3u);
  EXPECT_EQ(testing::CountClientConnections(server_->port()), 3);
  // The third connection has two free streams: a write and every watch see it.
  ASSERT_TRUE(Sync(c->Create(cms, ConfigMap("seen", "held"))).ok());
  for (auto& w : watches) {
    for (;;) {
      auto ev = Sync(w->Next());
      ASSERT_TRUE(ev.ok() && ev->has_value()) << (ev.ok() ? "watch ended" : ev.error().message);
      if ((*ev)->type == WatchEventType::kAdded && (*ev)->object["metadata"]["name"] == "seen") break;
    }
  }
  // At the cap, a request waits for a stream rather than dialing a fourth connection.
  for (int i = 0; i < 2; ++i) {
    auto w = Sync(c->StartWatch(cms));
    ASSERT_TRUE(w.ok()) << w.error().message;
    watches.push_back(std::move(*w));
  }
  auto waiting = asio::co_spawn(pool_, testing::AsOptional(c->Get(cms, "seen")), asio::use_future);
  EXPECT_EQ(waiting.wait_for(300ms), std::future_status::timeout);
  watches.pop_back();  // frees a stream
  auto got = testing::GetWithin(waiting);
  ASSERT_TRUE(got && got->ok()) << (got ? got->error().message : "no result");
  EXPECT_EQ(c->connections_opened(), 3u);
}

// A kubeconfig as an operator writes it: certificate authority and client certificate as files
// relative to the kubeconfig's directory (here the server's data dir, whose pki/ holds them).
TEST_F(KubeClientTest, KubeconfigWithCertificateFilesAuthenticatesByClientCertificate) {
  const std::string path = dir_->path() + "/files.kubeconfig";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                      << server_->url()
                      << "\n    certificate-authority: pki/ca.crt\nusers:\n- name: u\n  user:\n"
                         "    client-certificate: pki/admin.crt\n    client-key: pki/admin.key\n"
                         "contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: kube-system}\n"
                         "current-context: x\n";
  auto cfg = LoadKubeconfigFile(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->token.empty());
  EXPECT_EQ(cfg->default_namespace, "kube-system");
  auto c = NewClient(*cfg);
  auto ns = Sync(c->List(ResourceRef::Core("namespaces")));
  ASSERT_TRUE(ns.ok()) << ns.error().message;
  EXPECT_FALSE(ns->items.empty());
  // The inline (base64 -data) form the binary writes for its certificate user.
  auto inline_cfg = LoadKubeconfigFile(dir_->path() + "/admin-cert.kubeconfig");
  ASSERT_TRUE(inline_cfg.ok()) << inline_cfg.error().message;
  EXPECT_FALSE(inline_cfg->client_key_pem.empty());
  EXPECT_TRUE(Sync(NewClient(*inline_cfg)->List(ResourceRef::Core("namespaces"))).ok());
}

TEST_F(KubeClientTest, BearerTokenStaticFromAFileOrNone) {
  KubeConfig anonymous = config_;
  anonymous.token.clear();
  auto anon = NewClient(anonymous);
  auto refused = Sync(anon->List(ResourceRef::Core("namespaces")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized);

  // tokenFile in a kubeconfig (relative to it), re-read as rotated tokens are.
  TempDir tmp;
  std::ofstream(tmp.path() + "/token") << config_.token << "\n";
  std::ofstream(tmp.path() + "/config")
      << "clusters:\n- name: c\n  cluster:\n    server: " << server_->url()
      << "\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n"
         "    tokenFile: token\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
         "current-context: x\n";
  auto file_cfg = LoadKubeconfigFile(tmp.path() + "/config");
  ASSERT_TRUE(file_cfg.ok()) << file_cfg.error().message;
  EXPECT_TRUE(file_cfg->insecure_skip_tls_verify);
  EXPECT_TRUE(file_cfg->ca_pem.empty());
  auto by_file = NewClient(*file_cfg);
  EXPECT_TRUE(Sync(by_file->List(ResourceRef::Core("namespaces"))).ok());
}

// rest.InClusterConfig: KUBERNETES_SERVICE_HOST/PORT from the environment, token, CA and
// namespace from the service account directory.
TEST_F(KubeClientTest, InClusterServiceAccountReachesTheServer) {
  TempDir sa;
  std::ofstream(sa.path() + "/token") << config_.token;
  std::ofstream(sa.path() + "/ca.crt") << config_.ca_pem;
  std::ofstream(sa.path() + "/namespace") << "kube-system";
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", std::to_string(server_->port()).c_str(), 1);
  InClusterOptions o;
  o.service_account_dir = sa.path();
  auto cfg = LoadInClusterConfig(o);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->server, server_->url());
  EXPECT_EQ(cfg->default_namespace, "kube-system");
  auto c = NewClient(*cfg);
  auto pods = Sync(c->List(ResourceRef::Core("pods", cfg->default_namespace)));
  ASSERT_TRUE(pods.ok()) << pods.error().message;
  EXPECT_EQ(pods->kind, "PodList");
}

// The same verbs over HTTP/1.1 (a client that offers only http/1.1 in ALPN), watch included.
TEST_F(KubeClientTest, Http1OnlyClientAgainstTheServer) {
  ClientOptions o;
  o.enable_http2 = false;
  auto c = NewClient(o);
  EnsureNamespace(*c, "h1");
  WaitForRootCa(*c, "h1");
  const auto cms = ResourceRef::Core("configmaps", "h1");
  auto list = Sync(c->List(cms));
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(c->protocol(), "http/1.1");
  WatchOptions wo;
  wo.resource_version = list->resource_version;
  auto w = Sync(c->StartWatch(cms, wo));
  ASSERT_TRUE(w.ok()) << w.error().message;
  // The watch holds its connection; other calls use another one from the pool.
  ASSERT_TRUE(Sync(c->Create(cms, ConfigMap("x", "h1"))).ok());
  ASSERT_TRUE(Sync(c->Delete(cms, "x")).ok());
  std::vector<WatchEventType> types;
  while (types.size() < 2) {
    auto ev = Sync((*w)->Next());
    ASSERT_TRUE(ev.ok() && ev->has_value()) << (ev.ok() ? "ended" : ev.error().message);
    if ((*ev)->type != WatchEventType::kBookmark) types.push_back((*ev)->type);
  }
  EXPECT_EQ(types, (std::vector<WatchEventType>{WatchEventType::kAdded, WatchEventType::kDeleted}));
  EXPECT_GE(c->connections_opened(), 2u);
  EXPECT_LE(c->connections_opened(), 3u);
}

TEST_F(KubeClientTest, BadServerCertificateIsRefused) {
  KubeConfig other_ca = config_;
  other_ca.ca_pem = http::testing::MakeSelfSignedServerCert("someone-else").cert_pem;
  auto c = NewClient(other_ca);
  auto r = Sync(c->GetRaw("/version"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().message;

  KubeConfig wrong_name = config_;
  wrong_name.tls_server_name = "not-the-apiserver.example";
  auto named = NewClient(wrong_name);
  auto rn = Sync(named->GetRaw("/version"));
  ASSERT_FALSE(rn.ok());
  EXPECT_NE(rn.error().message.find("certificate verify failed"), std::string::npos) << rn.error().message;

  KubeConfig insecure = other_ca;
  insecure.insecure_skip_tls_verify = true;
  auto ic = NewClient(insecure);
  EXPECT_TRUE(Sync(ic->GetRaw("/version")).ok());
}

TEST_F(KubeClientTest, TokenBucketBoundsTheRequestRate) {
  ClientOptions o;
  o.qps = 20;
  o.burst = 5;
  auto c = NewClient(o);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<std::optional<Result<std::string>>>> calls;
  for (int i = 0; i < 25; ++i) {
    calls.push_back(asio::co_spawn(pool_, testing::AsOptional(c->GetRaw("/version")), asio::use_future));
  }
  for (auto& f : calls) EXPECT_TRUE(testing::GetWithin(f)->ok());
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(elapsed, 0.95);  // 20 requests beyond the burst at 20/s
  EXPECT_LT(elapsed, 5.0);
}

TEST_F(KubeClientTest, HandshakeTimeoutAgainstASilentServer) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::ip::tcp::socket held(io);
  acceptor.async_accept(held, [](boost::system::error_code) {});  // accepts and never answers
  std::thread t([&] { io.run(); });
  KubeConfig silent = config_;
  silent.server = "https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  ClientOptions o;
  o.connect_timeout = 300ms;
  auto c = NewClient(silent, o);
  const auto start = std::chrono::steady_clock::now();
  auto r = Sync(c->GetRaw("/version"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
  EXPECT_LT(elapsed, 3s);  // one retry for a GET at most
  c.reset();
  io.stop();
  t.join();
}

TEST_F(KubeClientTest, ReconnectsAfterTheServerRestarts) {
  auto c = NewClient();
  ASSERT_TRUE(Sync(c->GetRaw("/version")).ok());
  ASSERT_TRUE(server_->Restart().ok());
  auto r = Sync(c->GetRaw("/version"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(c->connections_opened(), 2u);
}

// A second server: tenant "a" served under the path /tenants/a, every tenant limited to 10
// requests per second (429 with Retry-After beyond).
TEST(KubeClientTenantTest, PathPrefixedTenantAndItsRateLimit) {
  TempDir dir;
  std::ofstream(dir.path() + "/tenant-list") << "a\n";
  VkubeProcess::Options po;
  po.data_dir = dir.path();
  po.extra_args = {"--tenants", dir.path() + "/tenant-list", "--tenant-qps", "10", "--tenant-burst", "10"};
  auto server = VkubeProcess::Start(po);
  ASSERT_TRUE(server.ok()) << server.error().message;
  const std::string path = dir.path() + "/a.kubeconfig";
  ASSERT_TRUE(testing::RunVkube({"connect", "a", "--data-dir", dir.path(), "--route", "path", "--out", path},
                                dir.path() + "/connect.log")
                  .ok());
  auto cfg = LoadKubeconfigFile(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->server, (*server)->url() + "/tenants/a");
  auto root_cfg = LoadKubeconfigFile((*server)->kubeconfig_path());
  ASSERT_TRUE(root_cfg.ok());
  asio::thread_pool pool(2);
  const auto ex = pool.get_executor();
  ClientOptions no_retry;
  no_retry.max_retries = 0;
  auto a = Http2KubeClient::Create(ex, *cfg, no_retry);
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto root = Http2KubeClient::Create(ex, *root_cfg);
  ASSERT_TRUE(root.ok());

  // Every call keeps the URL's path: what tenant a creates is not in the default tenant.
  const auto cms = ResourceRef::Core("configmaps", "default");
  auto made = RunSync(ex, (*a)->Create(cms, ConfigMap("only-in-a", "default")));
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(RunSync(ex, (*a)->Get(cms, "only-in-a")).ok());
  auto elsewhere = RunSync(ex, (*root)->Get(cms, "only-in-a"));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_TRUE(IsNotFound(elsewhere.error()));
  auto version = RunSync(ex, (*a)->GetRaw("/version"));
  EXPECT_TRUE(version.ok()) << version.error().message;

  // Beyond the tenant's rate: 429 with Retry-After: 1 when the client does not retry ...
  std::vector<std::future<std::optional<Result<json>>>> calls;
  for (int i = 0; i < 30; ++i) {
    calls.push_back(asio::co_spawn(pool, testing::AsOptional((*a)->Get(cms, "only-in-a")), asio::use_future));
  }
  int throttled = 0;
  for (auto& f : calls) {
    auto r = testing::GetWithin(f);
    ASSERT_TRUE(r.has_value());
    if (r->ok()) continue;
    EXPECT_TRUE(IsTooManyRequests(r->error())) << r->error().message;
    EXPECT_EQ(r->error().details.retry_after_seconds, 1);
    ++throttled;
  }
  EXPECT_GE(throttled, 10);
  // ... and every call succeeds when it does (after Retry-After, within max_retries).
  auto patient = Http2KubeClient::Create(ex, *cfg);
  ASSERT_TRUE(patient.ok());
  std::this_thread::sleep_for(1s);  // the bucket refills
  const auto start = std::chrono::steady_clock::now();
  calls.clear();
  for (int i = 0; i < 20; ++i) {
    calls.push_back(asio::co_spawn(pool, testing::AsOptional((*patient)->Get(cms, "only-in-a")), asio::use_future));
  }
  for (auto& f : calls) {
    auto r = testing::GetWithin(f);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->ok()) << r->error().message;
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);  // some waited for Retry-After
  a->reset();
  root->reset();
  patient->reset();
}

// ---- in-process server: limits the binary does not expose ----

TEST(KubeClientInProcessTest, Http1FallbackWhenTheServerOffersNoH2) {
  testing::InProcessOptions so;
  so.http2 = false;
  testing::InProcessServer server(so);
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  ClientOptions o;
  o.max_http1_connections = 4;
  auto c = Http2KubeClient::Create(pool.get_executor(), server.config(), o);
  ASSERT_TRUE(c.ok());
  auto& client = **c;
  std::vector<std::future<std::optional<Result<json>>>> calls;
  for (int i = 0; i < 40; ++i) {
    calls.push_back(asio::co_spawn(pool, testing::AsOptional(client.Get(ResourceRef::Core("namespaces"), "default")),
                                   asio::use_future));
  }
  for (auto& f : calls) EXPECT_TRUE(testing::GetWithin(f)->ok());
  EXPECT_EQ(client.protocol(), "http/1.1");
  EXPECT_LE(client.connections_opened(), 5u);  // the negotiating one + at most the pool
  // A watch holds its own connection and streams.
  const auto cms = ResourceRef::Core("configmaps", "default");
  auto w = RunSync(pool.get_executor(), client.StartWatch(cms));
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE(RunSync(pool.get_executor(), client.Create(cms, ConfigMap("h1", "default"))).ok());
  auto ev = RunSync(pool.get_executor(), (*w)->Next());
  ASSERT_TRUE(ev.ok() && ev->has_value()) << (ev.ok() ? "" : ev.error().message);
  EXPECT_EQ((*ev)->object["metadata"]["name"], "h1");
  w->reset();
  c->reset();
}

TEST(KubeClientInProcessTest, TooManyRequestsIsRetriedAfterRetryAfter) {
  testing::InProcessOptions so;
  so.max_requests_inflight = 0;  // every read answers 429 Retry-After: 1
  testing::InProcessServer server(so);
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  ClientOptions o;
  o.max_retries = 2;
  auto c = Http2KubeClient::Create(pool.get_executor(), server.config(), o);
  ASSERT_TRUE(c.ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = RunSync(pool.get_executor(), (*c)->List(ResourceRef::Core("namespaces")));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTooManyRequests(r.error())) << r.error().message;
  EXPECT_EQ(r.error().details.retry_after_seconds, 1);
  EXPECT_GE(elapsed, 1900ms);  // two retries, each after Retry-After: 1
  c->reset();
}

TEST(KubeClientInProcessTest, WatchFromACompactedVersionIsGone) {
  testing::InProcessOptions so;
  so.history_size = 20;
  testing::InProcessServer server(so);
  ASSERT_TRUE(server.Start().ok());
  asio::thread_pool pool(2);
  auto c = Http2KubeClient::Create(pool.get_executor(), server.config());
  ASSERT_TRUE(c.ok());
  const auto cms = ResourceRef::Core("configmaps", "default");
  auto list = RunSync(pool.get_executor(), (*c)->List(cms));
  ASSERT_TRUE(list.ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(RunSync(pool.get_executor(), (*c)->Create(cms, ConfigMap("c" + std::to_string(i), "default"))).ok());
  }
  WatchOptions wo;
  wo.resource_version = list->resource_version;
  auto w = RunSync(pool.get_executor(), (*c)->StartWatch(cms, wo));
  ASSERT_TRUE(w.ok()) << w.error().message;  // kube: 200, then an ERROR event with a 410 Status
  auto ev = RunSync(pool.get_executor(), (*w)->Next());
  ASSERT_FALSE(ev.ok());
  EXPECT_TRUE(IsGone(ev.error())) << ev.error().message;
  w->reset();
  c->reset();
}

}  // namespace
}  // namespace vkube::kube
