// The etcd backend against a real etcd (Debian's etcd-server 3.4), started on free ports with a
// temporary data dir: the store conformance suite, plus what only a remote store can get wrong
// (restarts on either side, compaction, partitions sharing one cluster, limits and errors).
#include "libs/store/etcd_store.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "libs/store/etcd_backend.h"
#include "libs/store/store_conformance.h"

namespace vkube::store {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool HaveEtcd() { return ::access("/usr/bin/etcd", X_OK) == 0 || std::system("command -v etcd >/dev/null 2>&1") == 0; }

// One etcd member on 127.0.0.1: free client and peer ports, its own data dir, killed at teardown.
class EtcdProcess {
 public:
  explicit EtcdProcess(std::vector<std::string> extra_flags = {}, std::string scheme = "http")
      : extra_(std::move(extra_flags)), scheme_(std::move(scheme)) {
    char tmpl[] = "/tmp/vkube-etcd-XXXXXX";
    dir_ = mkdtemp(tmpl);
    client_port_ = FreePort();
    peer_port_ = FreePort();
  }
  ~EtcdProcess() {
    Kill();
    std::filesystem::remove_all(dir_);
  }
  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(client_port_); }
  // How Start() reaches the member to see it is up (TLS files for an https member).
  EtcdClientOptions probe;
  const std::string& dir() const { return dir_; }

  // Starts the member and waits until it answers. A member that exits at once (a port taken
  // between FreePort and its bind) is retried on fresh ports; a slow start (a loaded CI machine
  // running e2e tests beside this one) gets up to 30 s.
  bool Start() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (attempt > 0) {
        client_port_ = FreePort();
        peer_port_ = FreePort();
        std::filesystem::remove_all(dir_ + "/data");
      }
      if (StartOnce()) return started_ = true;
      Kill();
    }
    return false;
  }
  bool started() const { return started_; }

 private:
  bool StartOnce() {
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    std::vector<std::string> args = {"etcd",
                                     "--name=vkube-test",
                                     "--data-dir=" + dir_ + "/data",
                                     "--listen-client-urls=" + url(),
                                     "--advertise-client-urls=" + url(),
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=vkube-test=" + peer,
                                     "--heartbeat-interval=20",
                                     "--election-timeout=100",
                                     "--logger=zap",
                                     "--log-level=error"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      int log = ::open((dir_ + "/etcd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("etcd", argv.data());
      ::_exit(127);
    }
    EtcdClientOptions o = probe;
    o.endpoints = {url()};
    o.dial_timeout = 200ms;
    o.request_timeout = 1000ms;
    auto client = EtcdClient::Create(o);
    if (!client) return false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if ((*client)->Call("/v3/maintenance/status", json::object(), true).ok()) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited: nothing to wait for
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 public:
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::vector<std::string> extra_;
  std::string scheme_;
  std::string dir_;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false;
};

// The etcd the conformance suite and most tests share (each test uses its own key prefix), started
// by the first test that needs it and killed after the last.
EtcdProcess* g_shared_etcd = nullptr;

EtcdProcess* SharedEtcd() {
  if (g_shared_etcd == nullptr) {
    g_shared_etcd = new EtcdProcess();
    if (!g_shared_etcd->Start()) ADD_FAILURE() << "etcd did not start (log in " << g_shared_etcd->dir() << ")";
  }
  return g_shared_etcd;
}

class KillSharedEtcd : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_shared_etcd;
    g_shared_etcd = nullptr;
  }
};
[[maybe_unused]] const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new KillSharedEtcd);

EtcdBackendOptions BackendOptions(const std::string& url, const std::string& prefix) {
  EtcdBackendOptions o;
  o.client.endpoints = {url};
  o.client.dial_timeout = 500ms;
  o.client.request_timeout = 3000ms;
  o.prefix = prefix;
  return o;
}

std::shared_ptr<EtcdBackend> OpenBackend(const std::string& url, const std::string& prefix) {
  auto b = EtcdBackend::Open(BackendOptions(url, prefix));
  EXPECT_TRUE(b.ok()) << (b ? "" : b.error().message);
  return b ? *b : nullptr;
}

std::string PrefixFor(const std::string& dir) { return "/t/" + std::filesystem::path(dir).filename().string(); }

std::unique_ptr<Store> OpenEtcd(const std::string& dir, std::size_t history) {
  if (!HaveEtcd()) return nullptr;
  auto backend = OpenBackend(SharedEtcd()->url(), PrefixFor(dir));
  if (!backend) return nullptr;
  auto s = backend->OpenPartition("tenant", history);
  EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// A partition of a backend whose sibling partition holds data of its own (revisions advance with
// the sibling's writes: etcd's revision is global).
std::unique_ptr<Store> OpenEtcdPartition(const std::string& dir, std::size_t history) {
  if (!HaveEtcd()) return nullptr;
  auto backend = OpenBackend(SharedEtcd()->url(), PrefixFor(dir));
  if (!backend) return nullptr;
  {
    auto sibling = backend->OpenPartition("sibling", 100);
    EXPECT_TRUE(sibling.ok());
    for (int i = 0; i < 3; ++i) {
      json o = {{"metadata", {{"name", "noise" + std::to_string(i)}}}};
      (void)(*sibling)->Create(Key{"configmaps", "default", "noise" + std::to_string(i)}, o, {});
    }
  }
  auto s = backend->OpenPartition("tenant", history);
  EXPECT_TRUE(s.ok());
  return s ? std::move(*s) : nullptr;
}

// Without etcd installed the suite is not instantiated here (scripts/install-deps.sh installs it).
std::vector<StoreFactory> EtcdFactories() {
  if (!HaveEtcd()) return {};
  auto ready = [] { return SharedEtcd()->started(); };
  return {StoreFactory{"etcd", OpenEtcd, ready}, StoreFactory{"partition", OpenEtcdPartition, ready}};
}
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformance);
INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformance, ::testing::ValuesIn(EtcdFactories()),
                         [](const auto& p) { return p.param.name; });

json Named(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", value}}}};
}
Key K(const std::string& name, const std::string& ns = "default") { return Key{"configmaps", ns, name}; }

std::vector<Event> Drain(Watcher& w, std::size_t want, std::chrono::milliseconds timeout = 10s) {
  std::vector<Event> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    if (w.Poll(out, want - out.size()) == 0) std::this_thread::sleep_for(2ms);
  }
  return out;
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveEtcd()) GTEST_SKIP() << "etcd is not installed (apt-get install etcd-server)";
    static int n = 0;
    prefix_ = "/unit/" + std::to_string(::getpid()) + "-" + std::to_string(++n);
  }
  std::string prefix_;
};

TEST_F(EtcdStoreTest, ReopenedPartitionSeesDataAndKeepsRevisionsIncreasing) {
  Revision last = 0;
  std::string json_a;
  {
    auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
    auto s = backend->OpenPartition("team-a", 100);
    ASSERT_TRUE(s.ok());
    auto a = (*s)->Create(K("a"), Named("a"), Attrs{{{"app", "web"}}, {{"spec.x", "1"}}});
    ASSERT_TRUE(a.ok());
    json_a = (*a)->json;
    last = (*(*s)->Create(Key{"apps/deployments", "ns", "d"}, Named("d"), {}))->revision;
    // The same partition cannot be open twice in one backend.
    EXPECT_EQ(backend->OpenPartition("team-a", 100).error().code, ErrorCode::kAlreadyExists);
  }  // "vkube restarts": a new backend, nothing cached
  auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
  auto s = backend->OpenPartition("team-a", 100);
  ASSERT_TRUE(s.ok());
  EXPECT_GE((*s)->CurrentRevision(), last);
  auto a = (*s)->Get(K("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->json, json_a);
  EXPECT_EQ((*a)->attrs.labels, (std::vector<std::pair<std::string, std::string>>{{"app", "web"}}));
  EXPECT_EQ((*a)->attrs.fields, (std::vector<std::pair<std::string, std::string>>{{"spec.x", "1"}}));
  auto d = (*s)->List(ListOptions{.resource = "apps/deployments"});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0]->key, (Key{"apps/deployments", "ns", "d"}));
  EXPECT_TRUE((*s)->List(ListOptions{.resource = "apps"})->items.empty());  // no prefix bleed
  EXPECT_EQ((*s)->ObjectCount(), 2u);
  EXPECT_GT((*(*s)->Create(K("b"), Named("b"), {}))->revision, last);
  // A watch from before this store opened cannot be served from its history: the client re-lists.
  EXPECT_EQ((*s)->Watch(WatchOptions{.resource = "configmaps", .from_revision = 1}).error().code, ErrorCode::kGone);
}

TEST_F(EtcdStoreTest, PartitionsAreIsolatedAndDropRemovesOnlyOne) {
  auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
  {
    auto a = backend->OpenPartition("a", 100);
    auto ab = backend->OpenPartition("a-b", 100);  // "a" is a prefix of "a-b": no bleed either way
    ASSERT_TRUE(a.ok() && ab.ok());
    auto w = (*ab)->Watch(WatchOptions{});
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*a)->Create(K("x" + std::to_string(i)), Named("x"), {}).ok());
    ASSERT_TRUE((*ab)->Create(K("only-ab"), Named("only-ab"), {}).ok());
    EXPECT_EQ((*a)->List(ListOptions{.resource = "configmaps"})->items.size(), 3u);
    EXPECT_EQ((*ab)->List(ListOptions{.resource = "configmaps"})->items.size(), 1u);
    EXPECT_EQ((*ab)->Get(K("x0")).error().code, ErrorCode::kNotFound);
    auto ev = Drain(**w, 2, 1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].object->key.name, "only-ab");
    EXPECT_EQ(backend->DropPartition("a").error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(*backend->Partitions(), (std::vector<std::string>{"a", "a-b"}));
  ASSERT_TRUE(backend->DropPartition("a").ok());
  EXPECT_EQ(*backend->Partitions(), (std::vector<std::string>{"a-b"}));
  auto a = backend->OpenPartition("a", 100);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->List(ListOptions{.resource = "configmaps"})->items.empty());
  EXPECT_EQ((*a)->ObjectCount(), 0u);
  auto ab = backend->OpenPartition("a-b", 100);
  EXPECT_TRUE((*ab)->Get(K("only-ab")).ok());
  EXPECT_EQ(backend->OpenPartition("../x", 100).error().code, ErrorCode::kBadRequest);
}

TEST_F(EtcdStoreTest, OversizedObjectsAndEtcdErrorsAreCleanErrors) {
  auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
  auto s = backend->OpenPartition("t", 100);
  ASSERT_TRUE(s.ok());
  auto big = (*s)->Create(K("big"), Named("big", std::string(2 << 20, 'x')), {});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kRequestEntityTooLarge);
  EXPECT_EQ(big.error().details.name, "big");
  ASSERT_TRUE((*s)->Create(K("small"), Named("small"), {}).ok());                     // the store goes on
  auto fine = (*s)->Create(K("fine"), Named("fine", std::string(1 << 20, 'y')), {});  // 1 MiB fits
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_EQ((*(*s)->Get(K("fine")))->json, (*fine)->json);
  EXPECT_EQ((*s)->Create(K("bad"), json::array(), {}).error().code, ErrorCode::kBadRequest);
  // A revision from the future is etcd's error, mapped (not a crash, not a hang).
  auto future = (*s)->List(ListOptions{.resource = "configmaps", .at_revision = (*s)->CurrentRevision() + 1000});
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().code, ErrorCode::kTimeout);
  // A value in the prefix that is not an envelope: Get reports it, List skips it.
  auto client = backend->client();
  const std::string raw = EtcdStore::EtcdKey(backend->PartitionPrefix("t"), K("raw"));
  ASSERT_TRUE(client
                  ->Call("/v3/kv/put",
                         json{{"key", EtcdClient::Base64Encode(raw)}, {"value", EtcdClient::Base64Encode("{}")}}, false)
                  .ok());
  EXPECT_EQ((*s)->Get(K("raw")).error().code, ErrorCode::kInternal);
  EXPECT_EQ((*s)->List(ListOptions{.resource = "configmaps"})->items.size(), 2u);
}

TEST_F(EtcdStoreTest, UnreachableEtcdIsServiceUnavailable) {
  auto b = EtcdBackend::Open(BackendOptions("http://127.0.0.1:" + std::to_string(FreePort()), prefix_));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ErrorCode::kServiceUnavailable);
}

TEST_F(EtcdStoreTest, CompactedRevisionsAreGoneAndWatchersRelist) {
  auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
  auto s = backend->OpenPartition("t", 1000);
  ASSERT_TRUE(s.ok());
  auto first = (*s)->Create(K("a"), Named("a"), {});
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->Update(K("a"), 0, Named("a", std::to_string(i)), {}).ok());
  auto old = (*s)->List(ListOptions{.resource = "configmaps", .at_revision = (*first)->revision});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(json::parse(old->items.at(0)->json)["data"]["k"], "v");  // served at that revision
  auto client = backend->client();
  ASSERT_TRUE(
      client->Call("/v3/kv/compaction", json{{"revision", (*s)->CurrentRevision()}, {"physical", true}}, false).ok());
  auto gone = (*s)->List(ListOptions{.resource = "configmaps", .at_revision = (*first)->revision});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);
  auto expired = (*s)->List(
      ListOptions{.resource = "configmaps", .continue_after = "default!a", .at_revision = (*first)->revision});
  EXPECT_EQ(expired.error().code, ErrorCode::kExpired);
}

// Another store of the same prefix writes while this store's watch is down, and etcd compacts
// past what this store delivered: its watchers end like slow ones (re-list) and old resource
// versions are Gone; new watches work.
TEST_F(EtcdStoreTest, WatchGapAfterCompactionEndsWatchersAndRestartsHistory) {
  auto backend = OpenBackend(SharedEtcd()->url(), prefix_);
  auto s = backend->OpenPartition("t", 1000);
  ASSERT_TRUE(s.ok());
  auto a = (*s)->Create(K("a"), Named("a"), {});
  ASSERT_TRUE(a.ok());
  auto w = (*s)->Watch(WatchOptions{.resource = "configmaps"});
  ASSERT_TRUE(w.ok());
  (*s)->PauseWatchForTest(true);
  // While this store's watch is down, a second vkube (another backend) writes and etcd compacts.
  auto other = OpenBackend(SharedEtcd()->url(), prefix_);
  auto o = other->OpenPartition("t", 10);
  ASSERT_TRUE(o.ok());
  Revision last = 0;
  for (int i = 0; i < 5; ++i) last = (*(*o)->Update(K("a"), 0, Named("a", std::to_string(i)), {}))->revision;
  ASSERT_TRUE(other->client()->Call("/v3/kv/compaction", json{{"revision", last}}, false).ok());
  (*s)->PauseWatchForTest(false);
  // The first store finds out when it resumes: its watcher is closed (kTooSlow → the client re-lists).
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((*w)->close_reason() == WatchCloseReason::kNone && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ((*w)->close_reason(), WatchCloseReason::kTooSlow);
  std::vector<Event> none;
  EXPECT_EQ((*w)->Poll(none, 100), 0u);  // nothing half-delivered
  EXPECT_EQ((*s)->Watch(WatchOptions{.resource = "configmaps", .from_revision = (*a)->revision}).error().code,
            ErrorCode::kGone);
  EXPECT_GE((*s)->CompactedRevision(), last);
  auto fresh = (*s)->Watch(WatchOptions{.resource = "configmaps", .send_initial = true});
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*s)->Update(K("a"), 0, Named("a", "after"), {}).ok());
  auto ev = Drain(**fresh, 2);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(json::parse(ev[0].object->json)["data"]["k"], "4");  // the re-list sees the other store's write
  EXPECT_EQ(ev[1].type, EventType::kModified);
  EXPECT_EQ(json::parse(ev[1].object->json)["data"]["k"], "after");
}

// etcd is killed and restarted while a watch is open: the store's watch resumes from the last
// revision it delivered, so the watcher sees every write exactly once, in order; while etcd is
// down calls fail cleanly.
TEST_F(EtcdStoreTest, EtcdRestartMidWatchLosesAndDuplicatesNothing) {
  EtcdProcess etcd;
  ASSERT_TRUE(etcd.Start());
  auto backend = OpenBackend(etcd.url(), prefix_);
  auto s = backend->OpenPartition("t", 10000);
  ASSERT_TRUE(s.ok());
  auto w = (*s)->Watch(WatchOptions{.resource = "configmaps"});
  ASSERT_TRUE(w.ok());
  std::vector<Revision> written;
  for (int i = 0; i < 20; ++i) written.push_back((*(*s)->Create(K("c" + std::to_string(i)), Named("c"), {}))->revision);
  const std::size_t connects = (*s)->watch_connects();
  etcd.Kill();
  auto down = (*s)->Get(K("c0"));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kServiceUnavailable);
  EXPECT_EQ((*s)->Create(K("x"), Named("x"), {}).error().code, ErrorCode::kServiceUnavailable);
  ASSERT_TRUE(etcd.Start());
  for (int i = 20; i < 40; ++i) {
    Result<ObjectPtr> r = Error::Make(ErrorCode::kInternal, "");
    for (int attempt = 0; attempt < 50; ++attempt) {  // the first calls may meet a starting member
      r = (*s)->Create(K("c" + std::to_string(i)), Named("c"), {});
      if (r.ok() || r.error().code == ErrorCode::kAlreadyExists) break;
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(r.ok()) << r.error().message;
    written.push_back((*r)->revision);
  }
  auto ev = Drain(**w, written.size(), 10s);
  std::this_thread::sleep_for(200ms);
  std::vector<Event> extra;
  EXPECT_EQ((*w)->Poll(extra, 100), 0u) << "duplicate events";
  ASSERT_EQ(ev.size(), written.size());
  for (std::size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(ev[i].type, EventType::kAdded);
    EXPECT_EQ(ev[i].object->revision, written[i]);
    EXPECT_EQ(ev[i].object->key.name, "c" + std::to_string(i));
  }
  EXPECT_EQ((*w)->close_reason(), WatchCloseReason::kNone);
  EXPECT_GT((*s)->watch_connects(), connects);
}

// etcd's own size limit (here lowered to 256 KiB) is mapped as well, not only vkube's check.
TEST_F(EtcdStoreTest, EtcdRequestTooLargeIsRequestEntityTooLarge) {
  EtcdProcess etcd({"--max-request-bytes=262144"});
  ASSERT_TRUE(etcd.Start());
  auto backend = OpenBackend(etcd.url(), prefix_);
  auto s = backend->OpenPartition("t", 100);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Create(K("big"), Named("big", std::string(400 << 10, 'z')), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRequestEntityTooLarge) << r.error().message;
  EXPECT_TRUE((*s)->Create(K("ok"), Named("ok"), {}).ok());
}

// https endpoints with client-certificate auth: the CA verifies the member (IP SAN), the member
// verifies vkube's certificate; without a client certificate etcd refuses the connection.
TEST_F(EtcdStoreTest, TlsWithClientCertificates) {
  char tmpl[] = "/tmp/vkube-etcd-pki-XXXXXX";
  const std::string pki = mkdtemp(tmpl);
  const std::string script =
      "set -e; cd " + pki +
      "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca"
      " -keyout ca.key -out ca.crt 2>/dev/null"
      "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=etcd -keyout server.key"
      " -out server.csr 2>/dev/null"
      "; printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > server.ext"
      "; openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext"
      " -out server.crt 2>/dev/null"
      "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=vkube -keyout client.key"
      " -out client.csr 2>/dev/null"
      "; printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
      "; openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext"
      " -out client.crt 2>/dev/null";
  ASSERT_EQ(std::system(script.c_str()), 0);
  EtcdProcess etcd({"--cert-file=" + pki + "/server.crt", "--key-file=" + pki + "/server.key", "--client-cert-auth",
                    "--trusted-ca-file=" + pki + "/ca.crt"},
                   "https");
  etcd.probe.ca_file = pki + "/ca.crt";
  etcd.probe.cert_file = pki + "/client.crt";
  etcd.probe.key_file = pki + "/client.key";
  ASSERT_TRUE(etcd.Start());
  auto options = BackendOptions(etcd.url(), prefix_);
  options.client.ca_file = pki + "/ca.crt";
  options.client.cert_file = pki + "/client.crt";
  options.client.key_file = pki + "/client.key";
  auto backend = EtcdBackend::Open(options);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  auto s = (*backend)->OpenPartition("t", 100);
  ASSERT_TRUE(s.ok());
  auto w = (*s)->Watch(WatchOptions{.resource = "configmaps"});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*s)->Create(K("a"), Named("a"), {}).ok());
  EXPECT_EQ(Drain(**w, 1).size(), 1u);  // the watch stream runs over TLS too
  EXPECT_TRUE((*s)->Get(K("a")).ok());
  options.client.cert_file.clear();
  options.client.key_file.clear();
  auto anonymous = EtcdBackend::Open(options);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, ErrorCode::kServiceUnavailable);
  options.client.cert_file = pki + "/client.crt";
  options.client.key_file = pki + "/client.key";
  options.client.ca_file = pki + "/client.crt";  // trusting the wrong CA: the member is not verified
  EXPECT_FALSE(EtcdBackend::Open(options).ok());
  std::filesystem::remove_all(pki);
}

TEST(EtcdClientTest, Base64AndPrefixEnd) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(*EtcdClient::Base64Decode(EtcdClient::Base64Encode(s)), s);
  }
  EXPECT_EQ(EtcdClient::Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(EtcdClient::PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(EtcdClient::PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_FALSE(EtcdClient::Base64Decode("a*b=").ok());
}

}  // namespace
}  // namespace vkube::store
