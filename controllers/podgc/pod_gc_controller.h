#pragma once
// kube's pod garbage collector: keeps at most `terminated_pod_gc_threshold` finished (Succeeded or
// Failed) pods per tenant, oldest deleted first, and removes pods bound to a node that no longer
// exists once that has lasted a quarantine period (a node may be synced in just after its pods).
// Event-driven: finished pods are counted as they finish, orphans checked when their node goes.
#include <chrono>
#include <mutex>
#include <unordered_set>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

class PodGcController final : public QueueController {
 public:
  // kube-controller-manager's orphan quarantine (40 s).
  static constexpr std::chrono::milliseconds kOrphanQuarantine{40000};

  explicit PodGcController(ControllerContext ctx, std::chrono::milliseconds orphan_quarantine = kOrphanQuarantine)
      : QueueController(std::move(ctx)), quarantine_(orphan_quarantine) {}
  std::string_view name() const override { return "pod-garbage-collector"; }
  void Register(SharedInformer& informer) override;
  void Start() override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  void OnPod(const store::ObjectPtr& pod);
  void OnPodGone(const store::ObjectPtr& pod);
  Outcome CollectTerminated();
  Outcome CollectOrphan(const std::string& ns, const std::string& name);

  const std::chrono::milliseconds quarantine_;
  std::mutex mu_;
  std::unordered_set<std::string> terminated_;  // "ns/name" of finished pods
};

}  // namespace vkube::controllers
