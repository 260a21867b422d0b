#pragma once
// kube-scheduler's role for the host cluster: binds each Pending pod of schedulerName
// default-scheduler that has no node to a fitting node through pods/binding (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodeResourcesFit; LeastAllocated scoring), with kube's events
// (Scheduled, FailedScheduling) and PodScheduled=False/Unschedulable status. Decisions are
// serialized and "assume" the pod on its node at once (so a burst never overcommits a node while
// the informer catches up); the binding writes run in parallel. Unschedulable pods are retried
// when a node changes or a bound pod finishes or goes away.
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "controllers/framework/controller.h"
#include "hostsim/event_recorder.h"
#include "hostsim/scheduling_filters.h"
#include "hostsim/sim_config.h"

namespace vkube::hostsim {

class Scheduler final : public controllers::QueueController {
 public:
  Scheduler(controllers::ControllerContext ctx, std::shared_ptr<EventRecorder> events);
  std::string_view name() const override { return "default-scheduler"; }
  void Register(controllers::SharedInformer& informer) override;

 protected:
  controllers::Outcome Reconcile(const std::string& key) override;

 private:
  struct PodUse {
    std::string node;
    ResourceList requests;
    ResourceList nonzero;
  };
  struct NodeUse {
    ResourceList requested;
    ResourceList nonzero;
    std::int64_t pods = 0;
  };
  struct CachedNode {
    store::Revision revision = 0;
    NodeState state;
  };

  void OnPod(const store::ObjectPtr& obj, bool deleted);
  void RequeueUnschedulable();
  // mu_ held.
  void AddUse(const std::string& uid, PodUse use);
  bool RemoveUse(const std::string& uid);
  std::vector<NodeState> Nodes();

  std::shared_ptr<EventRecorder> events_;
  std::mutex mu_;
  std::unordered_map<std::string, PodUse> uses_;            // pod uid → what it holds on its node
  std::unordered_map<std::string, NodeUse> node_use_;       // node → sums of uses_
  std::unordered_set<std::string> assumed_;                 // bound by us, not yet seen bound by the informer
  std::set<std::string> unschedulable_;                     // pod keys waiting for a change
  std::unordered_map<std::string, CachedNode> node_cache_;  // parsed nodes by name
};

}  // namespace vkube::hostsim
