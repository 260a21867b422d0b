#include "tenancy/data_dir.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "libs/pki/credentials.h"
#include "tenancy/tenant_name.h"

namespace vkube::tenancy {

Status WriteEndpointRecord(const std::string& data_dir, const EndpointRecord& r) {
  nlohmann::json j = {{"server", r.server},
                      {"adminServer", r.admin_server},
                      {"baseDomain", r.base_domain},
                      {"defaultTenant", r.default_tenant}};
  return pki::WriteFileAtomic(data_dir + "/endpoint.json", j.dump(2) + "\n", 0644);
}

Result<EndpointRecord> ReadEndpointRecord(const std::string& data_dir) {
  auto text = pki::ReadFile(data_dir + "/endpoint.json");
  if (!text) {
    return Error::Make(ErrorCode::kNotFound, data_dir + "/endpoint.json: not found (has `vkube serve` run there?)");
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return Error::Make(ErrorCode::kInternal, data_dir + "/endpoint.json is corrupt");
  return EndpointRecord{j.value("server", ""), j.value("adminServer", ""), j.value("baseDomain", ""),
                        j.value("defaultTenant", "")};
}

Result<std::vector<TenantInfo>> ListRecordedTenants(const std::string& data_dir) {
  std::vector<TenantInfo> out;
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator(data_dir + "/tenants", ec)) {
    const std::string name = d.path().filename().string();
    auto text = pki::ReadFile(d.path().string() + "/tenant.json");
    if (!text || !ValidateTenantName(name)) continue;
    if (auto info = ParseTenantRecord(name, *text)) out.push_back(std::move(*info));
  }
  if (ec) return Error::Make(ErrorCode::kNotFound, data_dir + "/tenants: " + ec.message());
  std::sort(out.begin(), out.end(), [](const TenantInfo& a, const TenantInfo& b) { return a.name < b.name; });
  return out;
}

Result<std::string> ConnectKubeconfig(const std::string& data_dir, const std::string& tenant, RouteKind route,
                                      const std::string& server_override) {
  if (auto s = ValidateTenantName(tenant); !s) return s.take_error();
  auto endpoint = ReadEndpointRecord(data_dir);
  if (!endpoint) return endpoint.take_error();
  if (!pki::ReadFile(data_dir + "/tenants/" + tenant + "/tenant.json")) {
    return Error::Make(ErrorCode::kNotFound, "tenant \"" + tenant + "\" not found in " + data_dir);
  }
  if (route == RouteKind::kSni && endpoint->base_domain.empty()) {
    return Error::Make(ErrorCode::kBadRequest, "--route sni needs a server started with --base-domain");
  }
  // Read-only: the files exist once the tenant was created (LoadOrCreate finds them all).
  const bool is_default = tenant == endpoint->default_tenant;
  auto instance = pki::LoadOrCreate(data_dir, {});
  if (!instance) return instance.take_error();
  pki::Credentials creds = *instance;
  if (!is_default) {
    auto own = pki::LoadOrCreate(data_dir + "/tenants/" + tenant, {});
    if (!own) return own.take_error();
    creds = std::move(*own);
  }
  return RenderTenantKubeconfig(tenant, creds, instance->ca.cert_pem,
                                TenantEndpoint{endpoint->server, endpoint->base_domain, is_default}, route,
                                server_override);
}

}  // namespace vkube::tenancy
