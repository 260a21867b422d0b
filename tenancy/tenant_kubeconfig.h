#pragma once
// The kubeconfig a tenant's users get (`vkube connect`, the admin API, DATA_DIR/admin.kubeconfig).
#include <string>

#include "libs/pki/credentials.h"

namespace vkube::tenancy {

struct TenantEndpoint {
  std::string listener_url;  // https://HOST:PORT of the shared listener
  std::string base_domain;   // "" = path routing only
  bool is_default = false;   // served at the listener's root
};

enum class RouteKind { kAuto, kPath, kSni, kAsGiven };

// The CAs a tenant's clients trust: the listener's (instance) CA, and the tenant's own when it has
// one (its SNI certificate).
std::string TenantCaBundle(const pki::Credentials& creds, const std::string& instance_ca_pem);

// kAuto: the root URL for the default tenant, else /tenants/NAME. kSni: the listener URL with
// tls-server-name NAME.BASE_DOMAIN (works without DNS). kAsGiven: `server_override` is the
// tenant's own URL (e.g. https://NAME.BASE_DOMAIN resolved by DNS, or an Ingress). The CA bundle
// trusts both the listener's certificate and the tenant's own (SNI) certificate.
std::string RenderTenantKubeconfig(const std::string& tenant, const pki::Credentials& creds,
                                   const std::string& instance_ca_pem, const TenantEndpoint& endpoint,
                                   RouteKind route, const std::string& server_override = "");

}  // namespace vkube::tenancy
