#pragma once
// kube's DaemonSet controller: one pod per node the tenant sees (nodes matching the template's
// nodeSelector), bound by node affinity on metadata.name as kube does since 1.12; pods on nodes
// that left are removed; RollingUpdate replaces out-of-date pods maxUnavailable at a time.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class DaemonSetController final : public QueueController {
 public:
  explicit DaemonSetController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "daemonset"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  void EnqueueAll();
};

}  // namespace vkube::controllers
