#include "src/options.h"

namespace vkube {

std::string Usage() {
  return "usage:\n"
         "  vkube serve --data-dir DIR [--listen HOST:PORT] [--tls-san NAME]... [--threads N]\n"
         "              [--openapi-schema PATH] [--log-level debug|info|warn|error] [--no-http2] [--no-fair-turns]\n"
         "              [--idle-timeout SECONDS] [--admin-listen HOST:PORT] [--base-domain DOMAIN]\n"
         "              [--default-tenant NAME] [--tenants FILE] [--tenant-qps N] [--tenant-burst N]\n"
         "              [--tenant-max-watches N] [--tenant-max-connections N] [--tenant-max-inflight N]\n"
         "              [--tenant-max-objects N]\n"
         "              [--host-kubeconfig FILE|in-cluster --host-namespace NS [--host-dns IP]\n"
         "               [--no-host-nodes] [--host-qps N] [--host-burst N] [--pod-api-address HOST:PORT]]\n"
         "              sync tenants' pods to that host namespace; host pods reach their tenant's API\n"
         "              at --pod-api-address (\"{tenant}\" is replaced by the tenant's name)\n"
         "              [--store sqlite|etcd --etcd-endpoints URL[,URL] [--etcd-prefix /vkube]\n"
         "               [--etcd-cafile F] [--etcd-certfile F --etcd-keyfile F]]\n"
         "              keep every tenant's objects in etcd instead of DATA_DIR/store.db\n"
         "              [--kubeconfig-secret NAME --kubeconfig-secret-namespace NS [--kubeconfig-server URL]]\n"
         "              write the default tenant's kubeconfig into that host Secret (vcluster's keys)\n"
         "              [--tenant-requests] serve the tenants asked for by host ConfigMaps labelled\n"
         "              vkube.dev/tenant-request=true (the chart's mode: shared; needs --host-kubeconfig)\n"
         "  vkube host --data-dir DIR [--listen HOST:PORT] [--nodes N] [serve flags]\n"
         "              a local host cluster: one tenant with N simulated nodes (scheduler, kubelets, logs)\n"
         "  vkube connect TENANT --data-dir DIR [--server URL] [--route auto|path|sni] [--out FILE]\n"
         "  vkube tenants --data-dir DIR\n"
         "  vkube version\n";
}

namespace {

Status ParseHostPort(const std::string& flag, const std::string& value, std::string* host, std::uint16_t* port) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos) return Error::Make(ErrorCode::kBadRequest, flag + " wants HOST:PORT");
  std::string p = value.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoul(p) > 65535) {
    return Error::Make(ErrorCode::kBadRequest, "invalid port in " + flag + ": " + p);
  }
  *host = value.substr(0, colon);
  *port = static_cast<std::uint16_t>(std::stoul(p));
  return {};
}

Status ParseCount(const std::string& flag, const std::string& value, std::size_t* out) {
  if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) {
    return Error::Make(ErrorCode::kBadRequest, "invalid " + flag + ": " + value);
  }
  *out = std::stoul(value);
  return {};
}

// `connect` and `tenants`: flags with values only.
Result<Command> ParseClientCommand(const std::vector<std::string>& args, Command cmd) {
  ConnectOptions& o = cmd.connect;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i], value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag.starts_with("--")) {
      if (i + 1 >= args.size()) return Error::Make(ErrorCode::kBadRequest, "flag needs a value: " + flag);
      value = args[++i];
    } else if (cmd.kind == Command::Kind::kConnect && o.tenant.empty()) {
      o.tenant = flag;
      continue;
    } else {
      return Error::Make(ErrorCode::kBadRequest, "unexpected argument: " + flag);
    }
    if (flag == "--data-dir") {
      o.data_dir = value;
    } else if (flag == "--server" && cmd.kind == Command::Kind::kConnect) {
      o.server = value;
    } else if (flag == "--out" && cmd.kind == Command::Kind::kConnect) {
      o.out = value;
    } else if (flag == "--route" && cmd.kind == Command::Kind::kConnect) {
      if (value != "auto" && value != "path" && value != "sni") {
        return Error::Make(ErrorCode::kBadRequest, "invalid --route: " + value);
      }
      o.route = value;
    } else {
      return Error::Make(ErrorCode::kBadRequest, "unknown flag: " + flag);
    }
  }
  if (o.data_dir.empty()) return Error::Make(ErrorCode::kBadRequest, "--data-dir is required");
  if (cmd.kind == Command::Kind::kConnect && o.tenant.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "connect needs a TENANT");
  }
  return cmd;
}

}  // namespace

Result<Command> ParseCommandLine(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") return cmd;
  if (args[0] == "version" || args[0] == "--version") {
    cmd.kind = Command::Kind::kVersion;
    return cmd;
  }
  if (args[0] == "connect" || args[0] == "tenants") {
    cmd.kind = args[0] == "connect" ? Command::Kind::kConnect : Command::Kind::kTenants;
    return ParseClientCommand(args, std::move(cmd));
  }
  if (args[0] != "serve" && args[0] != "host")
    return Error::Make(ErrorCode::kBadRequest, "unknown command: " + args[0]);
  cmd.kind = args[0] == "host" ? Command::Kind::kHost : Command::Kind::kServe;
  ServeOptions& o = cmd.serve;
  if (cmd.kind == Command::Kind::kHost) o.host_nodes = 3;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i], value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "--help") {
      cmd.kind = Command::Kind::kHelp;
      return cmd;
    } else if (flag != "--no-http2" && flag != "--no-host-nodes" && flag != "--no-fair-turns" &&
               flag != "--tenant-requests") {
      if (i + 1 >= args.size()) return Error::Make(ErrorCode::kBadRequest, "flag needs a value: " + flag);
      value = args[++i];
    }
    if (flag == "--data-dir") {
      o.data_dir = value;
    } else if (flag == "--listen") {
      if (auto st = ParseHostPort(flag, value, &o.listen_host, &o.listen_port); !st) return st.take_error();
    } else if (flag == "--admin-listen") {
      if (auto st = ParseHostPort(flag, value, &o.admin_host, &o.admin_port); !st) return st.take_error();
    } else if (flag == "--base-domain") {
      o.base_domain = value;
    } else if (flag == "--default-tenant") {
      o.default_tenant = value;
    } else if (flag == "--tenants") {
      o.tenants_file = value;
    } else if (flag == "--tenant-qps" || flag == "--tenant-burst") {
      std::size_t n = 0;
      if (auto st = ParseCount(flag, value, &n); !st) return st.take_error();
      (flag == "--tenant-qps" ? o.tenant_qps : o.tenant_burst) = static_cast<double>(n);
    } else if (flag == "--nodes" && cmd.kind == Command::Kind::kHost) {
      std::size_t n = 0;
      if (auto st = ParseCount(flag, value, &n); !st || n > 250) {
        return Error::Make(ErrorCode::kBadRequest, "invalid --nodes (0-250): " + value);
      }
      o.host_nodes = static_cast<int>(n);
    } else if (flag == "--tenant-max-watches") {
      if (auto st = ParseCount(flag, value, &o.tenant_max_watches); !st) return st.take_error();
    } else if (flag == "--tenant-max-connections") {
      if (auto st = ParseCount(flag, value, &o.tenant_max_connections); !st) return st.take_error();
    } else if (flag == "--tenant-max-inflight") {
      if (auto st = ParseCount(flag, value, &o.tenant_max_inflight); !st) return st.take_error();
    } else if (flag == "--no-host-nodes") {
      o.host_nodes_read = false;
    } else if (flag == "--host-kubeconfig") {
      o.host_kubeconfig = value;
    } else if (flag == "--host-namespace") {
      o.host_namespace = value;
    } else if (flag == "--kubeconfig-secret") {
      o.kubeconfig_secret = value;
    } else if (flag == "--kubeconfig-secret-namespace") {
      o.kubeconfig_secret_namespace = value;
    } else if (flag == "--kubeconfig-server") {
      o.kubeconfig_server = value;
    } else if (flag == "--host-dns") {
      o.host_dns = value;
    } else if (flag == "--pod-api-address") {
      std::uint16_t port = 0;
      if (auto st = ParseHostPort(flag, value, &o.pod_api_host, &port); !st) return st.take_error();
      if (o.pod_api_host.empty()) return Error::Make(ErrorCode::kBadRequest, flag + " wants HOST:PORT");
      o.pod_api_port = std::to_string(port);
    } else if (flag == "--host-qps" || flag == "--host-burst") {
      std::size_t n = 0;
      if (auto st = ParseCount(flag, value, &n); !st) return st.take_error();
      (flag == "--host-qps" ? o.host_qps : o.host_burst) = n;
    } else if (flag == "--tenant-max-objects") {
      if (auto st = ParseCount(flag, value, &o.tenant_max_objects); !st) return st.take_error();
    } else if (flag == "--store") {
      if (value != "sqlite" && value != "etcd") return Error::Make(ErrorCode::kBadRequest, "invalid --store: " + value);
      o.store = value;
    } else if (flag == "--etcd-endpoints") {
      o.etcd_endpoints.clear();
      for (std::size_t at = 0; at <= value.size();) {
        auto comma = value.find(',', at);
        if (comma == std::string::npos) comma = value.size();
        if (comma > at) o.etcd_endpoints.push_back(value.substr(at, comma - at));
        at = comma + 1;
      }
    } else if (flag == "--etcd-prefix") {
      o.etcd_prefix = value;
    } else if (flag == "--etcd-cafile") {
      o.etcd_ca_file = value;
    } else if (flag == "--etcd-certfile") {
      o.etcd_cert_file = value;
    } else if (flag == "--etcd-keyfile") {
      o.etcd_key_file = value;
    } else if (flag == "--tls-san") {
      o.tls_sans.push_back(value);
    } else if (flag == "--threads") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 3) {
        return Error::Make(ErrorCode::kBadRequest, "invalid --threads: " + value);
      }
      o.threads = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--openapi-schema") {
      o.openapi_schema = value;
    } else if (flag == "--log-level") {
      if (value != "debug" && value != "info" && value != "warn" && value != "error") {
        return Error::Make(ErrorCode::kBadRequest, "invalid --log-level: " + value);
      }
      o.log_level = value;
    } else if (flag == "--idle-timeout") {
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(value) == 0) {
        return Error::Make(ErrorCode::kBadRequest, "invalid --idle-timeout: " + value);
      }
      o.idle_timeout_seconds = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--no-http2") {
      o.http2 = false;
    } else if (flag == "--no-fair-turns") {
      o.fair_turns = false;
    } else if (flag == "--tenant-requests") {
      o.tenant_requests = true;
    } else {
      return Error::Make(ErrorCode::kBadRequest, "unknown flag: " + flag);
    }
  }
  if (o.data_dir.empty()) return Error::Make(ErrorCode::kBadRequest, "--data-dir is required");
  if (!o.host_kubeconfig.empty() && o.host_namespace.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--host-kubeconfig needs --host-namespace");
  }
  if (o.host_kubeconfig.empty() && !o.host_namespace.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--host-namespace needs --host-kubeconfig (or in-cluster)");
  }
  if (o.tenant_requests && o.host_kubeconfig.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--tenant-requests needs --host-kubeconfig (or in-cluster)");
  }
  if (o.kubeconfig_secret.empty() != o.kubeconfig_secret_namespace.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--kubeconfig-secret and --kubeconfig-secret-namespace go together");
  }
  if (!o.kubeconfig_secret.empty() && o.default_tenant.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--kubeconfig-secret needs a default tenant");
  }
  if (!o.kubeconfig_server.empty() && !o.kubeconfig_server.starts_with("https://")) {
    return Error::Make(ErrorCode::kBadRequest, "--kubeconfig-server wants an https:// URL");
  }
  if (o.store == "etcd" && o.etcd_endpoints.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--store=etcd needs --etcd-endpoints");
  }
  if (o.store != "etcd" && !o.etcd_endpoints.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--etcd-endpoints needs --store=etcd");
  }
  if (o.etcd_cert_file.empty() != o.etcd_key_file.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--etcd-certfile and --etcd-keyfile go together");
  }
  return cmd;
}

}  // namespace vkube
