// vkube entry point: parses the command line and wires the modules together; no logic of its own.
#include <malloc.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "apiserver-proxy/openapi/openapi_service.h"
#include "hostsim/host_simulator.h"
#include "libs/core/crash_report.h"
#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/http/server.h"
#include "libs/kubeclient/http2_kube_client.h"
#include "libs/kubeclient/kube_config.h"
#include "libs/kubeclient/tls_client_context.h"
#include "libs/kubeclient/token_source.h"
#include "libs/net/io_pool.h"
#include "libs/net/task_group.h"
#include "libs/pki/credentials.h"
#include "libs/pki/kubeconfig.h"
#include "libs/store/etcd_backend.h"
#include "libs/store/sqlite_database.h"
#include "src/options.h"
#include "syncer/kubeconfig_secret.h"
#include "syncer/pods/host_pod_streams.h"
#include "syncer/syncer.h"
#include "syncer/tenant_cleanup.h"
#include "syncer/tenant_requests/tenant_request_controller.h"
#include "tenancy/admin_api.h"
#include "tenancy/data_dir.h"
#include "tenancy/tenant_manager.h"
#include "tenancy/tenant_router.h"

namespace vkube {
namespace {

int Fail(const std::string& what, const Error& e) {
  VKUBE_LOG(kError) << what << ": " << e.message;
  return 1;
}

// A tenant's host namespace: its own when created with one, else --host-namespace.
const std::string& HostNamespaceOf(const tenancy::TenantInfo& info, const ServeOptions& o) {
  return info.spec.host_namespace.empty() ? o.host_namespace : info.spec.host_namespace;
}

// --pod-api-address for one tenant: "{tenant}" becomes its name (SNI routing: TENANT.DOMAIN).
std::string PodApiHost(std::string pattern, const std::string& tenant) {
  constexpr std::string_view kPlaceholder = "{tenant}";
  for (auto at = pattern.find(kPlaceholder); at != std::string::npos;
       at = pattern.find(kPlaceholder, at + tenant.size())) {
    pattern.replace(at, kPlaceholder.size(), tenant);
  }
  return pattern;
}

std::string ListenerUrl(const std::string& listen_host, std::uint16_t port) {
  const std::string host = listen_host == "0.0.0.0" || listen_host == "::" ? "127.0.0.1" : listen_host;
  return "https://" + host + ":" + std::to_string(port);
}

// Names listed in `path` (one per line, # comments) that must exist as tenants.
Status EnsureTenantsFromFile(tenancy::TenantManager& tenants, const std::string& path) {
  auto text = pki::ReadFile(path);
  if (!text) return Error::Make(ErrorCode::kNotFound, "cannot read --tenants file " + path);
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty() || tenants.Find(line)) continue;
    if (auto made = tenants.Create(line); !made) return made.take_error();
  }
  return {};
}

// The host cluster's API; `source` is "in-cluster" or a kubeconfig file.
struct HostConnection {
  kube::KubeConfig config;
  std::shared_ptr<kube::Http2KubeClient> client;
};

Result<HostConnection> ConnectHost(const std::string& source, const boost::asio::any_io_executor& executor,
                                   const kube::ClientOptions& options) {
  auto kc = source == "in-cluster" ? kube::LoadInClusterConfig() : kube::LoadKubeconfigFile(source);
  if (!kc) return Error::Make(kc.error().code, "kubeconfig: " + kc.error().message);
  auto client = kube::Http2KubeClient::Create(executor, *kc, options);
  if (!client) return Error::Make(client.error().code, "client: " + client.error().message);
  return HostConnection{std::move(*kc), std::move(*client)};
}

// --store: the embedded SQLite file (default) or an etcd cluster.
Result<std::shared_ptr<store::Backend>> OpenBackend(const ServeOptions& o) {
  if (o.store == "etcd") {
    store::EtcdBackendOptions eo;
    eo.client.endpoints = o.etcd_endpoints;
    eo.client.ca_file = o.etcd_ca_file;
    eo.client.cert_file = o.etcd_cert_file;
    eo.client.key_file = o.etcd_key_file;
    eo.prefix = o.etcd_prefix;
    auto etcd = store::EtcdBackend::Open(std::move(eo));
    if (!etcd) return etcd.take_error();
    return std::shared_ptr<store::Backend>(std::move(*etcd));
  }
  auto sqlite = store::SqliteDatabase::Open({o.data_dir + "/store.db"});
  if (!sqlite) return sqlite.take_error();
  return std::shared_ptr<store::Backend>(std::move(*sqlite));
}

int Serve(const ServeOptions& o) {
  // Few malloc arenas: per-thread arenas multiply idle RSS for a server whose data is shared.
  mallopt(M_ARENA_MAX, 2);
  log::SetLevel(o.log_level == "debug"   ? log::Level::kDebug
                : o.log_level == "warn"  ? log::Level::kWarn
                : o.log_level == "error" ? log::Level::kError
                                         : log::Level::kInfo);
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return Fail("data dir", Error::Make(ErrorCode::kInternal, ec.message()));
  std::vector<std::string> sans = o.tls_sans;
  if (!o.base_domain.empty() && !o.default_tenant.empty()) sans.push_back(o.default_tenant + "." + o.base_domain);
  auto creds = pki::LoadOrCreate(o.data_dir, sans);
  if (!creds) return Fail("credentials", creds.error());
  // The platform admin's token: distinct from every tenant's (the default tenant's included);
  // beside pki/, which may be a read-only mount of chart-issued credentials.
  auto admin_token = pki::LoadOrCreateToken(o.data_dir + "/platform-admin.token");
  if (!admin_token) return Fail("credentials", admin_token.error());
  auto database = OpenBackend(o);
  if (!database) return Fail("store", database.error());
  auto registry = resource::Registry::BuiltIn();
  auto openapi = apiserver::OpenApiService::Create(*registry, o.openapi_schema);
  if (!openapi) return Fail("openapi", openapi.error());

  const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  net::IoPool pool(threads);
  boost::asio::thread_pool blocking(8);  // store writes wait for fsync here; group commit batches them
  // Every tenant's controllers share one small pool: their writes wait on fsync, not on CPU.
  boost::asio::thread_pool controller_pool(2);

  tenancy::Platform platform;
  platform.data_dir = o.data_dir;
  platform.base_domain = o.base_domain;
  platform.instance = *creds;
  platform.default_tenant = o.default_tenant;
  platform.database = *database;
  platform.registry = registry;
  platform.openapi = *openapi;
  platform.surface = apiserver::ApiSurface::Make(registry, *openapi);
  platform.blocking = &blocking;
  platform.controller_executor = controller_pool.get_executor();
  platform.offer_http2 = o.http2 && http::Http2Available();
  platform.metrics = std::make_shared<tenancy::PlatformMetrics>();
  if (o.host_nodes >= 0) {
    // `vkube host`: the default tenant is the host cluster, its nodes simulated.
    platform.addons = [&o, executor = controller_pool.get_executor()](
                          const tenancy::TenantInfo& tenant,
                          const std::shared_ptr<registry::GenericRegistry>& objects) -> Result<tenancy::TenantAddons> {
      if (tenant.name != o.default_tenant) return tenancy::TenantAddons{};
      auto sim = hostsim::HostSimulator::Start({.objects = objects, .executor = executor, .nodes = o.host_nodes});
      if (!sim) return sim.take_error();
      std::shared_ptr<hostsim::HostSimulator> shared = std::move(*sim);
      return tenancy::TenantAddons{shared->controllers(), shared->pod_streams(), [shared] { shared->Stop(); }};
    };
  }
  // The syncer: every tenant's pods go to the host namespace through one shared host client whose
  // connection and watches run on their own thread (never blocked by tenants' controllers).
  boost::asio::thread_pool host_io(1);
  // Reconciles of every tenant's syncer: their tenant-store writes (bindings, status, events) wait
  // for fsync, so enough threads for those waits to share group commits without holding up the
  // tenants' controllers or the syncer's own down path (host writes never block a thread).
  std::optional<boost::asio::thread_pool> syncer_pool;
  std::shared_ptr<kube::Http2KubeClient> host_client;
  std::shared_ptr<const syncer::HostEndpoint> host_endpoint;
  if (!o.host_kubeconfig.empty()) {
    kube::ClientOptions client_options;
    client_options.qps = static_cast<double>(o.host_qps);
    client_options.burst = static_cast<int>(o.host_burst);
    auto host = ConnectHost(o.host_kubeconfig, host_io.get_executor(), client_options);
    if (!host) return Fail("host", host.error());  // "host: kubeconfig: …"
    host_client = host->client;
    const kube::KubeConfig& kc = host->config;
    // Upgrades (exec, attach, portforward) are relayed on their own connections to the host.
    auto tls = kube::MakeClientTlsContext(kc);
    if (!tls) return Fail("host TLS", tls.error());
    auto tokens = std::make_shared<kube::TokenSource>(kc.token, kc.token_file, std::chrono::minutes(1));
    host_endpoint = std::make_shared<syncer::HostEndpoint>(
        syncer::HostEndpoint{kc.server, *tls, kc.tls_server_name, [tokens] { return tokens->Token(); }});
    syncer_pool.emplace(8);
    platform.addons = [&o, host_client, host_endpoint, executor = host_io.get_executor(),
                       reconciles = syncer_pool->get_executor()](
                          const tenancy::TenantInfo& info,
                          const std::shared_ptr<registry::GenericRegistry>&) -> Result<tenancy::TenantAddons> {
      const std::string& tenant = info.name;
      const std::string& host_namespace = HostNamespaceOf(info, o);
      auto s = std::make_shared<syncer::Syncer>(syncer::SyncerOptions{.tenant = tenant,
                                                                      .host_namespace = host_namespace,
                                                                      .dns_server = o.host_dns,
                                                                      .api_host = PodApiHost(o.pod_api_host, tenant),
                                                                      .api_port = o.pod_api_port,
                                                                      .follow_host_nodes = o.host_nodes_read,
                                                                      .host_owner = syncer::RequestOwnerReference(info),
                                                                      .host = host_client,
                                                                      .host_executor = executor,
                                                                      .executor = reconciles});
      tenancy::TenantAddons addons;
      addons.controllers.push_back([s](const controllers::ControllerContext& ctx) { return s->MakeController(ctx); });
      addons.stop = [s] { s->Stop(); };
      addons.pod_streams =
          std::make_shared<syncer::HostPodStreams>(tenant, host_namespace, *host_client, host_endpoint);
      return addons;
    };
    platform.on_tenant_deleted = [&o, host_client, executor = host_io.get_executor()](const tenancy::TenantInfo& info) {
      return syncer::RemoveTenantFromHostBlocking(*host_client, executor, HostNamespaceOf(info, o), info.name,
                                                  std::chrono::seconds(60));
    };
  }
  platform.tenant_limits = tenancy::TenantLimits{.requests_per_second = o.tenant_qps,
                                                 .burst = o.tenant_burst,
                                                 .max_watches = o.tenant_max_watches,
                                                 .max_connections = o.tenant_max_connections,
                                                 .max_inflight = o.tenant_max_inflight,
                                                 .max_objects = o.tenant_max_objects};
  auto tenants = tenancy::TenantManager::Open(platform);
  if (!tenants) return Fail("tenants", tenants.error());
  if (!o.default_tenant.empty() && !(*tenants)->Find(o.default_tenant)) {
    if (auto made = (*tenants)->Create(o.default_tenant); !made) return Fail("default tenant", made.error());
  }
  if (!o.tenants_file.empty()) {
    if (auto s = EnsureTenantsFromFile(**tenants, o.tenants_file); !s) return Fail("tenants", s.error());
  }
  if (host_client) {
    // A syncer works without tenant requests (pods to run, host status to bring up): with a host,
    // every tenant runs from the start instead of loading on its first request.
    for (const auto& t : (*tenants)->List()) {
      if (auto started = (*tenants)->Acquire(t.name); !started) return Fail("tenant " + t.name, started.error());
    }
  }

  tenancy::TenantRouter router(**tenants, tenancy::RouterOptions{o.base_domain, o.default_tenant, o.fair_turns},
                               blocking);
  http::ServerConfig cfg;
  cfg.listen_host = o.listen_host;
  cfg.port = o.listen_port;
  cfg.tls = {creds->server.cert_pem + creds->ca.cert_pem, creds->server.key_pem, "", true, nullptr};
  if (!o.base_domain.empty()) {
    // TENANT.BASE_DOMAIN presents the tenant's own certificate (its CA is in its kubeconfig).
    cfg.tls.select_by_sni = [&tenants = **tenants,
                             &o](std::string_view sni) -> std::shared_ptr<boost::asio::ssl::context> {
      auto route = tenancy::ResolveRoute(tenancy::RouterOptions{o.base_domain, ""}, sni, "/", "");
      if (!route || route->tenant.empty() || route->tenant == o.default_tenant) return nullptr;
      auto t = tenants.Running(route->tenant);
      if (!t && tenants.Find(route->tenant)) {
        if (auto started = tenants.Acquire(route->tenant)) t = *started;
      }
      return t ? t->tls() : nullptr;
    };
  }
  cfg.enable_http2 = o.http2;
  cfg.limits.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds);
  http::Server server(pool, cfg, router);
  if (auto s = server.Start(); !s) return Fail("listen", s.error());
  const std::string url = ListenerUrl(o.listen_host, server.port());

  tenancy::AdminApi admin(**tenants, *admin_token, tenancy::TenantEndpoint{url, o.base_domain, false}, o.default_tenant,
                          blocking);
  http::ServerConfig admin_cfg;
  admin_cfg.listen_host = o.admin_host;
  admin_cfg.port = o.admin_port;
  admin_cfg.tls = {creds->server.cert_pem + creds->ca.cert_pem, creds->server.key_pem, "", false, nullptr};
  admin_cfg.enable_http2 = o.http2;
  http::Server admin_server(pool, admin_cfg, admin);
  if (auto s = admin_server.Start(); !s) return Fail("admin listen", s.error());
  const std::string admin_url = ListenerUrl(o.admin_host, admin_server.port());
  if (auto s = tenancy::WriteEndpointRecord(o.data_dir, {url, admin_url, o.base_domain, o.default_tenant}); !s) {
    return Fail("endpoint record", s.error());
  }

  std::string kubeconfig;
  if (!o.default_tenant.empty()) {
    kubeconfig = o.data_dir + "/admin.kubeconfig";
    auto text = tenancy::ConnectKubeconfig(o.data_dir, o.default_tenant, tenancy::RouteKind::kAuto, "");
    if (!text) return Fail("kubeconfig", text.error());
    if (auto s = pki::WriteFileAtomic(kubeconfig, *text, 0600); !s) return Fail("kubeconfig", s.error());
    pki::KubeconfigSpec kc;
    kc.server = url;
    kc.ca_pem = creds->ca.cert_pem;
    kc.client_cert_pem = creds->admin.cert_pem;
    kc.client_key_pem = creds->admin.key_pem;
    if (auto s = pki::WriteFileAtomic(o.data_dir + "/admin-cert.kubeconfig", pki::RenderKubeconfig(kc), 0600); !s) {
      return Fail("kubeconfig", s.error());
    }
  }

  // The default tenant's kubeconfig Secret on the host, written in the background (retried until
  // the host takes it; serving never waits on it).
  net::TaskGroup host_tasks;
  if (!o.kubeconfig_secret.empty()) {
    std::shared_ptr<kube::KubeClient> writer = host_client;
    if (!writer) {
      auto host = ConnectHost("in-cluster", host_io.get_executor(), kube::ClientOptions{});
      if (!host) return Fail("kubeconfig secret: host", host.error());
      host_client = host->client;
      writer = host_client;
    }
    auto text =
        tenancy::ConnectKubeconfig(o.data_dir, o.default_tenant, tenancy::RouteKind::kAuto, o.kubeconfig_server);
    if (!text) return Fail("kubeconfig secret", text.error());
    host_tasks.Spawn(
        host_io.get_executor(),
        syncer::PublishKubeconfigSecret(writer, syncer::KubeconfigSecret{.name = o.kubeconfig_secret,
                                                                         .ns = o.kubeconfig_secret_namespace,
                                                                         .kubeconfig = *text,
                                                                         .ca_pem = creds->ca.cert_pem,
                                                                         .client_cert_pem = creds->admin.cert_pem,
                                                                         .client_key_pem = creds->admin.key_pem,
                                                                         .token = creds->admin_token}));
  }

  // A shared instance: tenants asked for by host namespaces (after the listener, whose URL their
  // kubeconfigs carry).
  std::unique_ptr<syncer::TenantRequestController> tenant_requests;
  if (o.tenant_requests) {
    tenant_requests = std::make_unique<syncer::TenantRequestController>(syncer::TenantRequestOptions{
        .tenants = tenants->get(),
        .host = host_client,
        .host_executor = host_io.get_executor(),
        .executor = syncer_pool->get_executor(),
        .endpoint =
            tenancy::TenantEndpoint{o.kubeconfig_server.empty() ? url : o.kubeconfig_server, o.base_domain, false}});
    tenant_requests->Start();
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
  VKUBE_LOG(kInfo) << "vkube ready listen=" << url << " kubeconfig=" << kubeconfig << " admin=" << admin_url
                   << " tenants=" << (*tenants)->List().size();
  if (!kubeconfig.empty()) std::cout << "export KUBECONFIG=" << kubeconfig << "; kubectl get ns" << std::endl;
  signals_ctx.run();  // returns once the signal handler ran (no other work on this context)
  stop.get_future().wait();

  std::promise<void> drained, admin_drained;
  server.Drain([&] { drained.set_value(); });
  admin_server.Drain([&] { admin_drained.set_value(); });
  drained.get_future().wait();
  admin_drained.get_future().wait();
  pool.Stop();
  if (tenant_requests) tenant_requests->Stop();
  (*tenants)->StopAll();  // controllers, then stores: every acknowledged write is already durable
  host_tasks.Close();
  host_tasks.CancelAll();
  host_tasks.WaitEmptyBlocking(std::chrono::seconds(5));
  if (host_client) host_client->Shutdown();
  host_io.join();
  if (syncer_pool) syncer_pool->join();
  controller_pool.join();
  blocking.join();
  tenants->reset();
  (*database)->Close();
  VKUBE_LOG(kInfo) << "vkube stopped";
  return 0;
}

int Connect(const ConnectOptions& o) {
  const auto route = o.route == "sni"    ? tenancy::RouteKind::kSni
                     : o.route == "path" ? tenancy::RouteKind::kPath
                                         : tenancy::RouteKind::kAuto;
  auto text = tenancy::ConnectKubeconfig(o.data_dir, o.tenant, route, o.server);
  if (!text) return Fail("connect", text.error());
  if (o.out.empty()) {
    std::cout << *text;
    return 0;
  }
  if (auto s = pki::WriteFileAtomic(o.out, *text, 0600); !s) return Fail("connect", s.error());
  std::cerr << "kubeconfig for tenant " << o.tenant << " written to " << o.out << "\n";
  return 0;
}

int ListTenants(const ConnectOptions& o) {
  auto tenants = tenancy::ListRecordedTenants(o.data_dir);
  if (!tenants) return Fail("tenants", tenants.error());
  auto endpoint = tenancy::ReadEndpointRecord(o.data_dir);
  std::printf("%-40s %-22s %s\n", "NAME", "CREATED", "ENDPOINT");
  for (const auto& t : *tenants) {
    std::string ep = "-";
    if (endpoint) {
      ep = t.name == endpoint->default_tenant ? endpoint->server : endpoint->server + "/tenants/" + t.name;
      if (!endpoint->base_domain.empty()) ep += " (sni " + t.name + "." + endpoint->base_domain + ")";
    }
    std::printf("%-40s %-22s %s\n", t.name.c_str(), t.created.c_str(), ep.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace vkube

int main(int argc, char** argv) {
  vkube::InstallCrashReport();
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
    case vkube::Command::Kind::kHost:
      return vkube::Serve(cmd->serve);
    case vkube::Command::Kind::kConnect:
      return vkube::Connect(cmd->connect);
    case vkube::Command::Kind::kTenants:
      return vkube::ListTenants(cmd->connect);
  }
  return 2;
}
