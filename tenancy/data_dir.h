#pragma once
// What a vkube data directory records for clients that run beside it without talking to the
// server (`vkube connect`, `vkube tenants`), like vcluster reading its kubeconfig Secret.
#include <string>
#include <vector>

#include "libs/core/result.h"
#include "tenancy/tenant_kubeconfig.h"
#include "tenancy/tenant_manager.h"

namespace vkube::tenancy {

// DATA_DIR/endpoint.json, written by `serve` once it listens.
struct EndpointRecord {
  std::string server;        // tenant listener URL
  std::string admin_server;  // admin API URL
  std::string base_domain;
  std::string default_tenant;
};

Status WriteEndpointRecord(const std::string& data_dir, const EndpointRecord& record);
Result<EndpointRecord> ReadEndpointRecord(const std::string& data_dir);

// Tenants recorded in DATA_DIR (running or not).
Result<std::vector<TenantInfo>> ListRecordedTenants(const std::string& data_dir);

// The kubeconfig of TENANT from DATA_DIR's records (kNotFound for an unknown tenant).
Result<std::string> ConnectKubeconfig(const std::string& data_dir, const std::string& tenant, RouteKind route,
                                      const std::string& server_override);

}  // namespace vkube::tenancy
