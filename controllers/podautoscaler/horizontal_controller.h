#pragma once
// kube's horizontal pod autoscaler controller, for a cluster without a metrics API (vkube serves
// none): it reads each HPA's target through its scale, keeps the replica count within
// [minReplicas, maxReplicas], and reports what kube reports when metrics cannot be had
// (AbleToScale, ScalingActive=False FailedGetResourceMetric). Event-driven: with no metrics there
// is nothing to poll, so an idle tenant's HPAs cost no CPU.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class HorizontalController final : public QueueController {
 public:
  explicit HorizontalController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "horizontal-pod-autoscaler"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  // HPAs of the namespace whose scaleTargetRef names `obj` (a change of the target's replicas).
  void EnqueueTargeting(const store::ObjectPtr& obj);
};

}  // namespace vkube::controllers
