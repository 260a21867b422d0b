#pragma once
// kube's namespace controller: a Terminating namespace has all its contents deleted, then its
// "kubernetes" finalizer removed through /finalize, which lets the registry remove it.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class NamespaceController final : public QueueController {
 public:
  explicit NamespaceController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "namespace"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;
};

}  // namespace vkube::controllers
