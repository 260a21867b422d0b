#pragma once
// kube's disruption controller: keeps each PodDisruptionBudget's status (expected pods, healthy
// and desired healthy counts, disruptions allowed, the DisruptionAllowed condition) up to date
// from the pods it selects and the scale of their controllers, so `kubectl get pdb` shows
// ALLOWED DISRUPTIONS and evictions can be judged against it.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class DisruptionController final : public QueueController {
 public:
  explicit DisruptionController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "disruption"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  // Every budget of the namespace: budgets are few, and a pod or a controller's scale may
  // matter to any of them.
  void EnqueueNamespace(const std::string& ns);
  // Sum of the scale of the distinct controllers of `pods` (kube's getExpectedScale); an error
  // when a pod has no controller or its controller is unknown.
  Result<std::int64_t> ExpectedScale(const std::vector<store::JsonPtr>& pods) const;
};

}  // namespace vkube::controllers
