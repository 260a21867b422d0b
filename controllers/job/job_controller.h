#pragma once
// kube's Job controller (batch/v1): keeps up to `parallelism` pods running until `completions`
// pods succeeded (NonIndexed or Indexed completion mode), fails the Job after `backoffLimit` pod
// failures or `activeDeadlineSeconds`, honours `suspend`, and deletes finished Jobs after
// `ttlSecondsAfterFinished` (the TTL-after-finished controller). Conditions and counters are
// kube's (Complete/Failed/Suspended, SuccessCriteriaMet/FailureTarget, active/ready/succeeded/failed).
#include "controllers/framework/controller.h"
#include "controllers/framework/expectations.h"

namespace vkube::controllers {

class JobController final : public QueueController {
 public:
  explicit JobController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "job"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  Expectations expectations_;
};

}  // namespace vkube::controllers
