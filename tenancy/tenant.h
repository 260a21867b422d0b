#pragma once
// One running virtual cluster: its store partition, API server, controllers and credentials.
// Created by the TenantManager on first use; costs memory only while idle (no thread of its own).
#include <memory>
#include <mutex>
#include <string>

#include "apiserver-proxy/api_server.h"
#include "apiserver-proxy/crd_catalog.h"
#include "controllers/controller_manager.h"
#include "controllers/framework/leader_elector.h"
#include "libs/pki/credentials.h"
#include "libs/store/backend.h"
#include "tenancy/platform.h"

namespace boost::asio::ssl {
class context;
}

namespace vkube::tenancy {

class Tenant {
 public:
  // Loads (or creates, on first start) the tenant's credentials under DATA_DIR/tenants/NAME and
  // its store partition, then starts its API server and controllers.
  static Result<std::shared_ptr<Tenant>> Start(const Platform& platform, const TenantInfo& info);
  ~Tenant();
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  const std::string& name() const { return name_; }
  http::Handler& api() { return *api_; }
  const pki::Credentials& credentials() const { return creds_; }
  // CA bundle a client of this tenant trusts: the shared listener's CA and the tenant's own.
  std::string TrustBundle() const;
  // Serving context for SNI TENANT.BASE_DOMAIN (certificate issued by the tenant's CA).
  std::shared_ptr<boost::asio::ssl::context> tls();
  store::PartitionStore& store() { return *store_; }
  // The built-in kinds (what metrics label; custom resources are served but not labelled).
  const resource::Registry& registry() const { return *platform_.registry; }
  TenantGate& gate() { return gate_; }
  // This tenant's metric handles (null when the platform measures nothing).
  PlatformMetrics::TenantSeries* metrics() { return metrics_.get(); }

  // Stops controllers and closes the store (open watches end); requests still running finish
  // with errors. Idempotent.
  void Stop();

 private:
  Tenant(const Platform& platform, std::string name)
      : platform_(platform), name_(std::move(name)), gate_(platform.tenant_limits) {}

  const Platform& platform_;
  const std::string name_;
  pki::Credentials creds_;
  std::shared_ptr<store::PartitionStore> store_;
  std::unique_ptr<apiserver::ApiServer> api_;
  // Serves the tenant's custom resources: publishes to api_ and the generic registry.
  std::shared_ptr<apiserver::CrdCatalog> crds_;
  // With a remote (shared) store, controllers run only while this replica holds the tenant's
  // controller lease; the elector starts and stops them.
  std::shared_ptr<controllers::LeaderElector> elector_;
  std::mutex controllers_mu_;
  std::unique_ptr<controllers::ControllerManager> controllers_;
  std::mutex tls_mu_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::once_flag stopped_;
  std::function<void()> stop_addons_;
  TenantGate gate_;
  std::shared_ptr<PlatformMetrics::TenantSeries> metrics_;
};

}  // namespace vkube::tenancy
