#pragma once
// Command line of the vkube binary.
#include <cstdint>
#include <string>
#include <vector>

#include "libs/core/result.h"

namespace vkube {

struct ServeOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 6443;
  std::vector<std::string> tls_sans;
  unsigned threads = 0;  // 0 = one per core
  std::string openapi_schema = "/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json";
  std::string log_level = "info";
  bool http2 = true;
  bool fair_turns = true;              // tenants take turns per I/O thread (net/fair_turns.h); off: FIFO
  unsigned idle_timeout_seconds = 90;  // keep-alive connections with no request are closed after this
  // Tenancy: the admin API's own listener; SNI routing domain; the tenant served at the root path
  // ("" = none); a file of tenant names (one per line, # comments) that must exist.
  std::string admin_host = "127.0.0.1";
  std::uint16_t admin_port = 0;
  std::string base_domain;
  std::string default_tenant = "default";
  std::string tenants_file;
  // Per-tenant limits (0 = unlimited / default): requests per second and burst (429 beyond),
  // open watches, in-flight requests, stored objects (403 quota beyond).
  double tenant_qps = 0;
  double tenant_burst = 0;
  std::size_t tenant_max_watches = 0;
  std::size_t tenant_max_connections = 0;
  std::size_t tenant_max_inflight = 0;
  std::size_t tenant_max_objects = 0;
  // `vkube host`: the default tenant is a local host cluster with this many simulated nodes.
  int host_nodes = -1;  // -1 = not a host
  // The syncer: the host cluster's API (a kubeconfig file, or "in-cluster" for the pod's service
  // account) and the host namespace tenants' pods run in ("" with a kubeconfig = off).
  std::string host_kubeconfig;
  std::string host_namespace;
  std::string host_dns;      // tenant DNS server for ClusterFirst pods ("" = the host's DNS)
  std::string pod_api_host;  // how host pods reach their tenant's API ("{tenant}" substituted)
  std::string pod_api_port = "443";
  bool host_nodes_read = true;  // copy real host Nodes (needs cluster-scoped read on nodes)
  // Client-side limit on host API requests (all tenants of this process together); 0 = none.
  // Sized for bursts of pod creates: the host's own priority and fairness protects it.
  std::size_t host_qps = 1000;
  std::size_t host_burst = 2000;
  // The default tenant's kubeconfig as a Secret on the host (the chart's kubeconfigSecret.source:
  // vkube): written at start-up through the host API (--host-kubeconfig, else in-cluster), with
  // --kubeconfig-server as the server URL in its `config` ("" = this listener's URL).
  std::string kubeconfig_secret;
  std::string kubeconfig_secret_namespace;
  std::string kubeconfig_server;
  // --tenant-requests: serve the tenants host namespaces ask for with labelled ConfigMaps (the
  // chart's mode: shared; syncer/tenant_requests). Their kubeconfigs point at --kubeconfig-server
  // (or this listener) + /tenants/NAME unless a request names its own server URL.
  bool tenant_requests = false;
  // Where tenants' objects live: "sqlite" (DATA_DIR/store.db) or "etcd" (--etcd-endpoints, comma
  // separated http(s)://HOST:PORT, under --etcd-prefix; TLS files for https / client auth).
  std::string store = "sqlite";
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "/vkube";
  std::string etcd_ca_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;
};

// `vkube connect TENANT` and `vkube tenants`: read DATA_DIR (no running server needed).
struct ConnectOptions {
  std::string data_dir;
  std::string tenant;
  std::string server;          // override the recorded listener URL
  std::string route = "auto";  // auto | path | sni
  std::string out;             // "" = stdout
};

struct Command {
  enum class Kind { kServe, kHost, kConnect, kTenants, kVersion, kHelp } kind = Kind::kHelp;
  ServeOptions serve;
  ConnectOptions connect;
};

Result<Command> ParseCommandLine(const std::vector<std::string>& args);
std::string Usage();

}  // namespace vkube
