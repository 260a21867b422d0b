#pragma once
// kube's serviceaccounts-controller: every active namespace has a "default" ServiceAccount
// (re-created if deleted).
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class ServiceAccountController final : public QueueController {
 public:
  explicit ServiceAccountController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "serviceaccount"; }
  void Register(SharedInformer& informer) override;
  void Start() override;

 protected:
  Outcome Reconcile(const std::string& key) override;
};

}  // namespace vkube::controllers
