#pragma once
// What every tenant of one vkube process shares: the store backend, the kind registry and OpenAPI
// documents, the worker pools and the instance's serving identity. Passed explicitly (no globals).
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <vector>

#include "apiserver-proxy/api_server.h"
#include "apiserver-proxy/api_surface.h"
#include "apiserver-proxy/pod_streams.h"
#include "controllers/controller_manager.h"
#include "apiserver-proxy/openapi/openapi_service.h"
#include "libs/pki/credentials.h"
#include "libs/store/backend.h"
#include "tenancy/platform_metrics.h"
#include "tenancy/tenant_gate.h"
#include "tenancy/tenant_info.h"

namespace vkube::tenancy {

// Per-tenant add-ons started with a tenant (the local host simulator; later the syncer): extra
// controllers on the tenant's informer and pool, a pods/log source, and how to stop them.
struct TenantAddons {
  std::vector<controllers::ControllerFactory> controllers;
  std::shared_ptr<apiserver::PodStreams> pod_streams;
  std::function<void()> stop;
};
using AddonFactory =
    std::function<Result<TenantAddons>(const TenantInfo& tenant, const std::shared_ptr<registry::GenericRegistry>& objects)>;

struct Platform {
  std::string data_dir;     // tenants live in DATA_DIR/tenants/NAME
  std::string base_domain;  // SNI routing: TENANT.BASE_DOMAIN ("" = off)
  // Serving CA and certificate of the shared listener (DATA_DIR/pki). The default tenant uses
  // these as its own credentials: single-tenant installs (and the Helm chart) keep one pki.
  pki::Credentials instance;
  std::string default_tenant;
  std::shared_ptr<store::Backend> database;  // SQLite file or etcd (every tenant's partition)
  std::shared_ptr<const resource::Registry> registry;
  std::shared_ptr<const apiserver::OpenApiService> openapi;
  // registry + openapi with their discovery documents, shared by every tenant without custom
  // resources (built from the two when null).
  std::shared_ptr<const apiserver::ApiSurface> surface;
  apiserver::ApiServerLimits limits;
  TenantLimits tenant_limits;  // the same for every tenant (per-tenant overrides: later)
  boost::asio::thread_pool* blocking = nullptr;    // store writes (fsync waits)
  boost::asio::any_io_executor controller_executor;  // every tenant's controllers
  bool offer_http2 = true;
  std::shared_ptr<PlatformMetrics> metrics;  // null = not measured (tests)
  AddonFactory addons;                       // null = none
  // Called once a tenant's data is gone, to remove what it left outside vkube (its host objects).
  // null = nothing outside. A failure is logged; the tenant stays deleted.
  std::function<Status(const TenantInfo& tenant)> on_tenant_deleted;
};

}  // namespace vkube::tenancy
