#pragma once
// kube's resourcequota controller: status.hard mirrors spec.hard and status.used is recomputed
// from the namespace's objects whenever a quota or an object it charges changes. (Admission,
// which refuses over-quota creates, is libs/registry/admission/resource_quota.)
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class ResourceQuotaController final : public QueueController {
 public:
  explicit ResourceQuotaController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "resourcequota"; }
  void Register(SharedInformer& informer) override;
  void Start() override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  void EnqueueQuotasOf(const store::ObjectPtr& obj);
};

}  // namespace vkube::controllers
