#pragma once
// kube's root-ca-cert-publisher: every active namespace has a ConfigMap "kube-root-ca.crt" whose
// ca.crt is the tenant's CA bundle (pods use it to verify the API server); edits are reverted.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class RootCaController final : public QueueController {
 public:
  explicit RootCaController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "root-ca-cert-publisher"; }
  void Register(SharedInformer& informer) override;
  void Start() override;

 protected:
  Outcome Reconcile(const std::string& key) override;
};

}  // namespace vkube::controllers
