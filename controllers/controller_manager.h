#pragma once
// The controllers of one tenant (kube-controller-manager's role, in-process): one shared
// informer, one work queue per controller, all running on the process-wide controller pool —
// no thread per tenant or per controller, and nothing scheduled while the tenant is idle.
#include <functional>
#include <memory>
#include <vector>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

// Builds one more controller on the tenant's context (and so its shared informer), for components
// that are not kube-controller-manager's but run the same way, e.g. the host simulator's
// scheduler and kubelets (hostsim/).
using ControllerFactory = std::function<std::unique_ptr<Controller>(const ControllerContext& ctx)>;

class ControllerManager {
 public:
  // `ctx.informer` is created here. `extra` controllers are registered after the built-in ones.
  // Returns once the cache is synced and the controllers run.
  static Result<std::unique_ptr<ControllerManager>> Start(ControllerContext ctx,
                                                          std::vector<ControllerFactory> extra = {});
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
