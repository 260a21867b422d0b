#pragma once
// kube's endpoints and endpointslice controllers in one pass: for every Service with a selector,
// the Endpoints object of the same name and one EndpointSlice (label kubernetes.io/service-name)
// list the IPs of the selected pods, ready or not, with the service ports resolved against the
// pods' named container ports. Selector-less Services keep whatever the user wrote.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class EndpointsController final : public QueueController {
 public:
  explicit EndpointsController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "endpoints"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  void EnqueueServicesSelecting(const store::ObjectPtr& pod);
  Status SyncSlice(const Json& svc, const Json& endpoints_list, const Json& ports);
};

}  // namespace vkube::controllers
