#pragma once
// kube's CronJob controller (batch/v1): at each scheduled time (UTC) creates a Job from
// jobTemplate named `<cronjob>-<minutes since epoch>`, honouring concurrencyPolicy
// (Allow/Forbid/Replace), startingDeadlineSeconds and suspend; tracks status.active,
// lastScheduleTime, lastSuccessfulTime, and prunes finished Jobs to the history limits. It sleeps
// on a timer until the next scheduled time: no polling.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class CronJobController final : public QueueController {
 public:
  explicit CronJobController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "cronjob"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;
};

}  // namespace vkube::controllers
