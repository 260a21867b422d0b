#pragma once
// What DATA_DIR/tenants/NAME/tenant.json records about a tenant: identity and the settings it was
// created with. Its presence is what makes the tenant exist after a restart.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace vkube::tenancy {

struct TenantSpec {
  // The host namespace its pods are synced to; "" = the process's --host-namespace. (A shared
  // instance gives each tenant the namespace its tenant request came from.)
  std::string host_namespace;
  // The host tenant request (a labelled ConfigMap, the chart's `mode: shared`) that made it:
  // "NAMESPACE/NAME" and that object's uid. "" = made by the admin API, --tenants or as default.
  // Only the request that made a tenant may delete it; a re-made request (new uid) is a new tenant.
  std::string request;
  std::string request_uid;
};

struct TenantInfo {
  std::string name;
  std::string uid;
  std::string created;  // RFC 3339
  TenantSpec spec;
  bool running = false;
};

nlohmann::json TenantRecord(const TenantInfo& info);
// nullopt when `text` is not a tenant record.
std::optional<TenantInfo> ParseTenantRecord(const std::string& name, const std::string& text);

}  // namespace vkube::tenancy
