#pragma once
// The controllers of one tenant (kube-controller-manager's role, in-process): one shared
// informer, one work queue per controller, all running on the process-wide controller pool —
// no thread per tenant or per controller, and nothing scheduled while the tenant is idle.
#include <memory>
#include <vector>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

class ControllerManager {
 public:
  // `ctx.informer` is created here. Returns once the cache is synced and the controllers run.
  static Result<std::unique_ptr<ControllerManager>> Start(ControllerContext ctx);
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  void Stop();
  const SharedInformer& informer() const { return *ctx_.informer; }

 private:
  explicit ControllerManager(ControllerContext ctx) : ctx_(std::move(ctx)) {}

  ControllerContext ctx_;
  std::vector<std::unique_ptr<Controller>> controllers_;
};

}  // namespace vkube::controllers
