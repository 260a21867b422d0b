#include "tenancy/tenant_kubeconfig.h"

#include "libs/pki/kubeconfig.h"

namespace vkube::tenancy {

std::string TenantCaBundle(const pki::Credentials& creds, const std::string& instance_ca_pem) {
  return creds.ca.cert_pem == instance_ca_pem ? instance_ca_pem : instance_ca_pem + creds.ca.cert_pem;
}

std::string RenderTenantKubeconfig(const std::string& tenant, const pki::Credentials& creds,
                                   const std::string& instance_ca_pem, const TenantEndpoint& endpoint,
                                   RouteKind route, const std::string& server_override) {
  pki::KubeconfigSpec kc;
  kc.cluster_name = "vkube-" + tenant;
  const std::string base = server_override.empty() ? endpoint.listener_url : server_override;
  if (route == RouteKind::kSni && !endpoint.base_domain.empty()) {
    kc.server = base;
    kc.tls_server_name = tenant + "." + endpoint.base_domain;
  } else if (route == RouteKind::kAsGiven || (route == RouteKind::kAuto && endpoint.is_default)) {
    kc.server = base;
  } else {
    kc.server = base + "/tenants/" + tenant;
  }
  kc.ca_pem = TenantCaBundle(creds, instance_ca_pem);
  kc.token = creds.admin_token;
  return pki::RenderKubeconfig(kc);
}

}  // namespace vkube::tenancy
