#pragma once
// kube's clusterrole-aggregation controller: a ClusterRole with an aggregationRule holds the rules
// of every ClusterRole its selectors match (admin ← edit ← view ← system:aggregate-to-*, and any
// ClusterRole a user labels rbac.authorization.k8s.io/aggregate-to-view etc.).
#include "controllers/framework/controller.h"

namespace vkube::controllers {

class ClusterRoleAggregationController final : public QueueController {
 public:
  explicit ClusterRoleAggregationController(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "clusterrole-aggregation"; }
  void Register(SharedInformer& informer) override;
  void Start() override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  void EnqueueAggregated();
};

}  // namespace vkube::controllers
