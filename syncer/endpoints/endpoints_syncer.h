#pragma once
// Endpoints that a tenant writes for its Services without a selector go down to the host, so the
// host Service routes to them (translate/endpoints_translator.h); Services with a selector get
// their host Endpoints from the host's own controller. A host copy whose Service gained a
// selector, or whose tenant Endpoints are gone, is removed.
#include <string>

#include "syncer/sync_context.h"

namespace vkube::syncer {

class EndpointsSyncer final : public KindSyncer {
 public:
  explicit EndpointsSyncer(SyncContext& ctx) : ctx_(ctx) {}

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer& informer) override;
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

 private:
  SyncContext& ctx_;
  const std::string resource_ = "endpoints";
};

}  // namespace vkube::syncer
