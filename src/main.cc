// vkube entry point: parses the command line and wires the modules together; no logic of its own.
#include <malloc.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include "apiserver-proxy/api_server.h"
#include "apiserver-proxy/bootstrap.h"
#include "apiserver-proxy/openapi/openapi_service.h"
#include "controllers/controller_manager.h"
#include "libs/core/log.h"
#include "libs/http/server.h"
#include "libs/net/io_pool.h"
#include "libs/pki/credentials.h"
#include "libs/pki/kubeconfig.h"
#include "libs/registry/admission/service_allocator.h"
#include "libs/store/sqlite_store.h"
#include "src/options.h"

namespace vkube {
namespace {

int Fail(const std::string& what, const Error& e) {
  VKUBE_LOG(kError) << what << ": " << e.message;
  return 1;
}

int Serve(const ServeOptions& o) {
  // Few malloc arenas: per-thread arenas multiply idle RSS for a server whose data is shared.
  mallopt(M_ARENA_MAX, 2);
  log::SetLevel(o.log_level == "debug" ? log::Level::kDebug
                : o.log_level == "warn" ? log::Level::kWarn
                : o.log_level == "error" ? log::Level::kError
                                         : log::Level::kInfo);
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return Fail("data dir", Error::Make(ErrorCode::kInternal, ec.message()));
  auto creds = pki::LoadOrCreate(o.data_dir, o.tls_sans);
  if (!creds) return Fail("credentials", creds.error());
  auto store = store::SqliteStore::Open(store::SqliteStoreOptions{o.data_dir + "/store.db"});
  if (!store) return Fail("store", store.error());
  std::shared_ptr<store::Store> st = std::move(*store);
  auto registry = resource::Registry::BuiltIn();
  if (auto s = apiserver::EnsureSystemNamespaces(*st, *registry); !s) return Fail("bootstrap", s.error());
  auto openapi = apiserver::OpenApiService::Create(*registry, o.openapi_schema);
  if (!openapi) return Fail("openapi", openapi.error());

  auto objects = std::make_shared<registry::GenericRegistry>(st, registry);
  auto services = registry::ServiceAllocator::Create(st);
  if (!services) return Fail("service allocator", services.error());
  objects->AddAdmission(*services);
  if (auto s = apiserver::EnsureApiServerService(*st, *registry, (*services)->ApiServerServiceIp()); !s) {
    return Fail("bootstrap", s.error());
  }

  apiserver::TenantContext tenant;
  tenant.store = st;
  tenant.registry = registry;
  tenant.objects = objects;
  tenant.openapi = *openapi;
  tenant.tokens.push_back({creds->admin_token, {"kubernetes-admin", {"system:masters", "system:authenticated"}}});

  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  net::IoPool pool(threads);
  boost::asio::thread_pool blocking(8);  // store writes wait for fsync here; group commit batches them
  apiserver::ApiServer api(std::move(tenant), apiserver::ApiServerLimits{}, blocking);
  // The tenant's controllers share one small pool: their writes wait on fsync, not on CPU.
  boost::asio::thread_pool controller_pool(2);
  auto controllers = controllers::ControllerManager::Start(controllers::ControllerContext{
      .tenant = "default", .objects = objects, .executor = controller_pool.get_executor(), .root_ca_pem = creds->ca.cert_pem});
  if (!controllers) return Fail("controllers", controllers.error());
  http::ServerConfig cfg;
  cfg.listen_host = o.listen_host;
  cfg.port = o.listen_port;
  cfg.tls = {creds->server.cert_pem + creds->ca.cert_pem, creds->server.key_pem, creds->ca.cert_pem};
  cfg.enable_http2 = o.http2;
  cfg.limits.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds);
  http::Server server(pool, cfg, api);
  if (auto s = server.Start(); !s) return Fail("listen", s.error());

  std::string host = o.listen_host == "0.0.0.0" || o.listen_host == "::" ? "127.0.0.1" : o.listen_host;
  std::string url = "https://" + host + ":" + std::to_string(server.port());
  pki::KubeconfigSpec kc;
  kc.server = url;
  kc.ca_pem = creds->ca.cert_pem;
  kc.token = creds->admin_token;
  const std::string kubeconfig = o.data_dir + "/admin.kubeconfig";
  if (auto s = pki::WriteFileAtomic(kubeconfig, pki::RenderKubeconfig(kc), 0600); !s) return Fail("kubeconfig", s.error());
  kc.token.clear();
  kc.client_cert_pem = creds->admin.cert_pem;
  kc.client_key_pem = creds->admin.key_pem;
  if (auto s = pki::WriteFileAtomic(o.data_dir + "/admin-cert.kubeconfig", pki::RenderKubeconfig(kc), 0600); !s) {
    return Fail("kubeconfig", s.error());
  }

  // Signals are handled on their own io_context so a busy pool never delays shutdown.
  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  std::promise<void> stop;
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    VKUBE_LOG(kInfo) << "signal " << sig << ": draining";
    stop.set_value();
  });
  pool.Start();
  VKUBE_LOG(kInfo) << "vkube ready listen=" << url << " kubeconfig=" << kubeconfig;
  std::cout << "export KUBECONFIG=" << kubeconfig << "; kubectl get ns" << std::endl;
  signals_ctx.run();  // returns once the signal handler ran (no other work on this context)
  stop.get_future().wait();

  std::promise<void> drained;
  server.Drain([&] { drained.set_value(); });
  drained.get_future().wait();
  pool.Stop();
  (*controllers)->Stop();
  controller_pool.join();
  blocking.join();
  st->Close();  // every acknowledged write is already durable; this flushes nothing new
  VKUBE_LOG(kInfo) << "vkube stopped";
  return 0;
}

}  // namespace
}  // namespace vkube

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = vkube::ParseCommandLine(args);
  if (!cmd) {
    std::fprintf(stderr, "vkube: %s\n%s", cmd.error().message.c_str(), vkube::Usage().c_str());
    return 2;
  }
  switch (cmd->kind) {
    case vkube::Command::Kind::kVersion:
      std::printf("vkube %s (Kubernetes API v1.32)\n", "0.1.0");
      return 0;
    case vkube::Command::Kind::kHelp:
      std::printf("%s", vkube::Usage().c_str());
      return args.empty() ? 2 : 0;
    case vkube::Command::Kind::kServe:
      return vkube::Serve(cmd->serve);
  }
  return 2;
}
