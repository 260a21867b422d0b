#pragma once
// kube's Deployment controller: one ReplicaSet per pod template (named by a hash of the template),
// rolling updates bounded by maxSurge/maxUnavailable or Recreate, revisions on the ReplicaSets
// (`deployment.kubernetes.io/revision`, so `kubectl rollout history|undo` work), pause/resume,
// old revisions pruned to revisionHistoryLimit, and the Available/Progressing conditions that
// `kubectl rollout status` reads.
#include <vector>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

class DeploymentController final : public QueueController {
 public:
  explicit DeploymentController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "deployment"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  struct Rs {
    Json obj;
    std::int64_t replicas = 0;  // spec.replicas as we have (maybe just) set it
  };
  void EnqueueOwnerOfRs(const store::ObjectPtr& rs);
  Result<Json> CreateNewRs(const Json& d, const std::vector<Rs>& olds, std::int64_t replicas);
  Status ScaleRs(Rs& rs, std::int64_t replicas, const Json& d);
  Status SetRevision(Rs& rs, std::int64_t revision);
};

// The pod-template-hash of a template: FNV-32a over its canonical JSON (+ collisionCount),
// printed with kube's safe alphabet (no vowels, no confusable digits).
std::string PodTemplateHash(const Json& pod_template, std::int64_t collision_count);

}  // namespace vkube::controllers
