#pragma once
// Services go to the host as they are created in the tenant (translate/service_translator.h):
// the selector narrowed to the tenant namespace's host pods, allocations left to the host. The
// host's cluster IP comes back up: the tenant's Service is re-created with it (clusterIP is
// immutable), so the address a tenant pod is given is one the host routes. A LoadBalancer's
// status (ingress addresses) comes back too. The tenant's `kubernetes` Service stays virtual.
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "syncer/sync_context.h"

namespace vkube::syncer {

class ServiceSyncer final : public KindSyncer {
 public:
  explicit ServiceSyncer(SyncContext& ctx);

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer& informer) override;
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

 private:
  boost::asio::awaitable<SyncOutcome> Converge(const std::string& ns, const std::string& name,
                                               const nlohmann::json* virtual_service);
  // Re-creates the tenant's Service with the host's cluster IP (delete + create, as vcluster).
  SyncOutcome AdoptClusterIp(const nlohmann::json& virtual_service, const std::string& ip);
  SyncOutcome UpStatus(const nlohmann::json& virtual_service, const nlohmann::json& host_service);

  SyncContext& ctx_;
  const std::string resource_ = "services";
  // (namespace, name) → the host IP the tenant's Service could not take (outside the tenant's
  // range): tried once per IP, so a refusal never turns into a delete/create loop.
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> refused_;
};

}  // namespace vkube::syncer
