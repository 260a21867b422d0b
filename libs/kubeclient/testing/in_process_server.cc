#include "libs/kubeclient/testing/in_process_server.h"

#include <future>

#include "apiserver-proxy/api_server.h"
#include "apiserver-proxy/bootstrap.h"
#include "libs/http/server.h"
#include "libs/net/io_pool.h"
#include "libs/resource/registry.h"
#include "libs/store/sqlite_store.h"

namespace vkube::kube::testing {

InProcessServer::InProcessServer(InProcessOptions options)
    : options_(options), cert_(http::testing::MakeSelfSignedServerCert()), pool_(std::make_unique<net::IoPool>(1)) {}

InProcessServer::~InProcessServer() {
  if (server_) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    server_->Drain([done] { done->set_value(); });
    f.wait_for(std::chrono::seconds(10));
  }
  pool_->Stop();
  server_.reset();
  api_.reset();
  if (store_) store_->Close();
  blocking_.join();
}

Status InProcessServer::Start() {
  store::SqliteStoreOptions so;
  so.path = dir_.path() + "/store.db";
  so.history_size = options_.history_size;
  auto s = store::SqliteStore::Open(so);
  if (!s) return s.take_error();
  store_ = std::move(*s);
  auto registry = resource::Registry::BuiltIn();
  if (auto b = apiserver::EnsureSystemNamespaces(*store_, *registry); !b) return b;
  apiserver::TenantContext t;
  t.store = store_;
  t.registry = registry;
  t.tokens.push_back({"test-token", {"admin", {"system:masters"}}});
  apiserver::ApiServerLimits limits;
  limits.watch_queue_limit = options_.watch_queue_limit;
  limits.max_requests_inflight = options_.max_requests_inflight;
  limits.bookmark_interval = options_.bookmark_interval;
  api_ = std::make_unique<apiserver::ApiServer>(std::move(t), limits, blocking_);
  http::ServerConfig cfg;
  cfg.tls.cert_chain_pem = cert_.cert_pem;
  cfg.tls.private_key_pem = cert_.key_pem;
  cfg.enable_http2 = options_.http2;
  server_ = std::make_unique<http::Server>(*pool_, cfg, *api_);
  if (auto st = server_->Start(); !st) return st;
  pool_->Start();
  return {};
}

std::string InProcessServer::url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

KubeConfig InProcessServer::config() const {
  KubeConfig c;
  c.server = url();
  c.ca_pem = cert_.cert_pem;
  c.token = "test-token";
  return c;
}

}  // namespace vkube::kube::testing
