#pragma once
// kube's ReplicaSet controller (also ReplicationController: same logic, map selector): keeps
// spec.replicas active pods owned by the set, adopting matching orphans, creating in slow-start
// batches and deleting the least useful pods first; publishes replicas/ready/available status.
#include "controllers/framework/controller.h"
#include "controllers/framework/expectations.h"

namespace vkube::controllers {

class ReplicaSetController final : public QueueController {
 public:
  // `group`/`resource`: "apps"/"replicasets" or ""/"replicationcontrollers".
  ReplicaSetController(ControllerContext ctx, std::string group, std::string resource);
  std::string_view name() const override { return resource_; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  std::string StorageResource() const { return group_.empty() ? resource_ : group_ + "/" + resource_; }
  void OnPod(const store::ObjectPtr& pod, bool deleted);
  Status ManageReplicas(const Json& rs, const std::string& key, std::vector<Json>& active, int replicas);

  std::string group_;
  std::string resource_;
  std::string kind_;
  Expectations expectations_;
};

}  // namespace vkube::controllers
