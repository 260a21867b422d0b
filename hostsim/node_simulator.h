#pragma once
// The simulated nodes' kubelets as far as the Node objects go: registers `vkube-node-0..N-1`
// (labels, capacity = allocatable, the four kubelet conditions, InternalIP, nodeInfo, podCIDR)
// and keeps them Ready — the Lease in kube-node-lease renewed every SimConfig::lease_renew, the
// Node's conditions re-posted every status_report, a deleted Node or Lease registered again.
// One work-queue key per node with a timer for its next heartbeat: nothing else runs while idle.
#include <memory>
#include <mutex>
#include <unordered_map>

#include "controllers/framework/controller.h"
#include "hostsim/sim_config.h"

namespace vkube::hostsim {

class NodeSimulator final : public controllers::QueueController {
 public:
  NodeSimulator(controllers::ControllerContext ctx, std::shared_ptr<const SimConfig> cfg);
  std::string_view name() const override { return "hostsim-nodes"; }
  void Register(controllers::SharedInformer& informer) override;
  void Start() override;

  // Creates (or repairs) every simulated Node, its Lease and the kube-node-lease namespace now.
  // Simulated nodes of an earlier run with more nodes are removed, and their pods deleted (the
  // cloud node controller's and PodGC's job in kube) so that their owners replace them.
  static Status RegisterAll(registry::GenericRegistry& objects, const SimConfig& cfg);
  // The Node object the kubelet of node `i` registers.
  static nlohmann::json NodeObject(const SimConfig& cfg, int i, SystemTime now);

 protected:
  controllers::Outcome Reconcile(const std::string& key) override;

 private:
  // Heartbeat of node `i`: Node present and Ready, Lease fresh. Returns when to come back.
  static Result<std::chrono::milliseconds> Heartbeat(registry::GenericRegistry& objects, const SimConfig& cfg, int i);

  // Comes back to `key` after `delay` unless a timer for it is already due no later: one timer
  // chain per node however many events also enqueue it.
  void ScheduleHeartbeat(const std::string& key, std::chrono::milliseconds delay);

  std::shared_ptr<const SimConfig> cfg_;
  std::mutex timers_mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> due_;
};

}  // namespace vkube::hostsim
