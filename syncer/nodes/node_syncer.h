#pragma once
// Nodes, host → tenant: the tenant sees exactly the host nodes that run its pods (vcluster's
// default), each a copy of the host Node (labels, taints, capacity, conditions, addresses) when
// the syncer may read host nodes, else a synthesized Ready node named as the host node. A node no
// tenant pod uses any more leaves the tenant.
#include <map>
#include <mutex>
#include <string>

#include "syncer/sync_context.h"

namespace vkube::syncer {

class NodeSyncer final : public KindSyncer {
 public:
  // `host_nodes_followed`: the host cache follows host Nodes (cluster-scoped read granted).
  NodeSyncer(SyncContext& ctx, bool host_nodes_followed);

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer& informer) override;
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

  // The Node the tenant sees for host node `name` (from `host_node` when known).
  static nlohmann::json VirtualNode(const std::string& name, const nlohmann::json* host_node,
                                    const std::string& host_ip);

 private:
  // Host pods of this tenant per host node, kept from the host cache's changes: a reconcile must
  // not scan every pod (a burst would make node syncing quadratic).
  struct NodeUse {
    std::size_t pods = 0;
    std::string host_ip;
  };
  // Counts `pod` in or out; true when the node's use changed in a way its virtual Node shows.
  bool Account(const nlohmann::json& pod, int delta);

  SyncContext& ctx_;
  bool host_nodes_followed_;
  mutable std::mutex mu_;  // OnHostChange runs on the host cache's executor, reconciles on the tenant's
  std::map<std::string, NodeUse, std::less<>> use_;
  const std::string resource_ = "nodes";
};

}  // namespace vkube::syncer
