#pragma once
// The platform admin's API, on its own listener (never reachable through a tenant route):
//   GET  /healthz
//   GET  /v1/tenants                      TenantList
//   POST /v1/tenants                      {"metadata":{"name":"t"}} → 201 Tenant
//   GET  /v1/tenants/NAME                 Tenant
//   DELETE /v1/tenants/NAME               Status Success (data and credentials removed)
//   GET  /v1/tenants/NAME/kubeconfig      ?route=path|sni&server=URL → kubeconfig YAML
//   GET  /metrics                         Prometheus text format
// Authenticated by the instance's admin bearer token; errors are metav1.Status.
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "libs/http/handler.h"
#include "tenancy/tenant_kubeconfig.h"
#include "tenancy/tenant_manager.h"

namespace vkube::tenancy {

class AdminApi final : public http::Handler {
 public:
  AdminApi(TenantManager& tenants, std::string admin_token, TenantEndpoint endpoint, std::string default_tenant,
           boost::asio::thread_pool& blocking)
      : tenants_(tenants),
        token_(std::move(admin_token)),
        endpoint_(std::move(endpoint)),
        default_tenant_(std::move(default_tenant)),
        blocking_(blocking) {}

  // The tenant listener's URL is known only once it listens.
  void set_listener_url(std::string url) { endpoint_.listener_url = std::move(url); }

  boost::asio::awaitable<void> Handle(http::Request& request, http::ResponseWriter& writer) override;

 private:
  http::Response Serve(const http::Request& request);  // blocking: runs on `blocking`
  void RefreshGauges(PlatformMetrics& metrics);
  boost::asio::awaitable<http::Response> ServeOn(const http::Request& request);

  TenantManager& tenants_;
  const std::string token_;
  TenantEndpoint endpoint_;
  const std::string default_tenant_;
  boost::asio::thread_pool& blocking_;
};

// The Tenant object the admin API returns.
nlohmann::json TenantObject(const TenantInfo& info, const TenantEndpoint& endpoint, bool is_default);

}  // namespace vkube::tenancy
