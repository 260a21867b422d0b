#pragma once
// kube's garbage collector: an ownership graph of every object of the tenant (uid → owners and
// dependents) kept from the shared informer. Dependents whose owners are all gone are deleted
// (background propagation); owners deleted with propagationPolicy=Orphan have their dependents'
// ownerReferences removed before their "orphan" finalizer goes; owners deleted in the foreground
// wait (finalizer "foregroundDeletion") until their dependents are gone.
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "controllers/framework/controller.h"

namespace vkube::controllers {

class GarbageCollector final : public QueueController {
 public:
  explicit GarbageCollector(ControllerContext ctx) : QueueController(std::move(ctx)) {}
  std::string_view name() const override { return "garbage-collector"; }
  void Register(SharedInformer& informer) override;

 protected:
  Outcome Reconcile(const std::string& key) override;

 private:
  struct Node {
    store::Key key;
    std::vector<std::string> owner_uids;
    bool deleting = false;
    bool foreground = false;  // deleting with the foregroundDeletion finalizer
  };
  enum class OwnerState { kSolid, kDangling, kWaiting };

  void Observe(const store::ObjectPtr& obj);
  void Forget(const store::ObjectPtr& obj);
  static std::string KeyOf(char verb, const store::Key& k);
  OwnerState StateOf(const Json& ref, const std::string& dependent_ns);
  static const resource::Kind* KindOfResource(const resource::Registry& kinds, const std::string& storage_resource);
  Outcome AttemptToDelete(const store::Key& key);
  Outcome ProcessDeletingOwner(const store::Key& key);

  std::mutex mu_;
  std::unordered_map<std::string, Node> nodes_;                                 // by uid
  std::unordered_map<std::string, std::unordered_set<std::string>> dependents_;  // owner uid → dependent uids
};

}  // namespace vkube::controllers
