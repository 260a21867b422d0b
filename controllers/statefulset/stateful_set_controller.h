#pragma once
// kube's StatefulSet controller: pods `<set>-<ordinal>` with stable hostnames under the governing
// service, one PVC per volumeClaimTemplate and ordinal (`<claim>-<set>-<ordinal>`, kept on scale
// down), OrderedReady (one at a time, each Running and Ready before the next; scale down from the
// highest ordinal) or Parallel management, and RollingUpdate from the highest ordinal down to
// `partition` (or OnDelete). Revisions are template hashes in the `controller-revision-hash` label.
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class StatefulSetController final : public QueueController {
 public:
  explicit StatefulSetController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "statefulset"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  Status EnsureClaims(const Json& set, int ordinal);
  Json NewPod(const Json& set, int ordinal, const std::string& revision);
};

}  // namespace vkube::controllers
