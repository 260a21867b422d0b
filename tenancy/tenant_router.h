#pragma once
// The shared listener's handler: picks exactly one tenant per request and hands the request to
// that tenant's API server, which authenticates it against that tenant's credentials only.
//   1. TLS SNI TENANT.BASE_DOMAIN (the path is then never interpreted as a tenant route);
//   2. else the path prefix /tenants/TENANT/ (stripped);
//   3. else the default tenant, if one is configured.
// An unknown tenant gets 401 like a bad credential: tenant names are not disclosed.
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <string>

#include "libs/http/handler.h"
#include "tenancy/tenant_manager.h"

namespace vkube::tenancy {

struct Route {
  std::string tenant;
  std::string path;         // request path inside the tenant (prefix stripped)
  std::string target;       // path + "?" + query when there is a query
  bool is_default = false;  // reached as the default tenant (no SNI, no prefix)
  bool by_sni = false;      // reached by TLS SNI: every request of the connection is this tenant's
};

struct RouterOptions {
  std::string base_domain;     // "" = no SNI routing
  std::string default_tenant;  // "" = none: requests without a tenant route get 401
  bool fair_turns = true;      // tenants take turns per I/O thread (libs/net/fair_turns.h)
};

// Pure routing decision (unit-tested, fuzzed): nullopt = no tenant addressed.
std::optional<Route> ResolveRoute(const RouterOptions& options, std::string_view sni, std::string_view path,
                                  std::string_view query);

class TenantRouter final : public http::Handler {
 public:
  // `tenants` and `blocking` (tenant start-up runs there, off the connection threads) must outlive it.
  TenantRouter(TenantManager& tenants, RouterOptions options, boost::asio::thread_pool& blocking)
      : tenants_(tenants), options_(std::move(options)), blocking_(blocking) {}

  boost::asio::awaitable<void> Handle(http::Request& request, http::ResponseWriter& writer) override;

 private:
  TenantManager& tenants_;
  const RouterOptions options_;
  boost::asio::thread_pool& blocking_;
};

}  // namespace vkube::tenancy
