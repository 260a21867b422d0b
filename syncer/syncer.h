#pragma once
// One tenant's syncer (vcluster's syncer, in-process): pods and what they reference go down to
// the tenant's host namespace, their life (node, status) and the nodes running them come back up.
//
// It plugs into the tenant's controller manager as one more controller: it reads the tenant from
// the shared informer and writes through the tenant's registry; it reads the host from its own
// list+watch cache (HostCache) and writes with the host client. Keys ("pods/NS/NAME", ...) from
// both sides go through one SyncQueue, whose reconciles are level-triggered: after a restart, a
// host outage or conflicting edits, reconciling every key on either side converges the host
// namespace to exactly what the tenant implies.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "controllers/framework/controller.h"
#include "libs/kubeclient/kube_client.h"
#include "syncer/host_cache.h"
#include "syncer/sync_context.h"
#include "syncer/sync_queue.h"

namespace vkube::syncer {

struct SyncerOptions {
  std::string tenant;
  std::string host_namespace;
  std::string dns_server;                      // tenant DNS for ClusterFirst pods ("" = the host's)
  std::string api_host;                        // the tenant API as host pods reach it ("" = unset)
  std::string api_port = "443";
  bool follow_host_nodes = true;               // copy real host Nodes (needs cluster-scoped read)
  nlohmann::json host_owner;                   // ownerReference on every host object (PodTranslateOptions)
  std::shared_ptr<kube::KubeClient> host;      // may be shared by every tenant
  boost::asio::any_io_executor host_executor;  // where host watches run (not the controller pool)
  // Where reconciles run (empty: the tenant's controller executor). Their tenant-store writes
  // (bindings, status, events) wait for fsync on these threads, so a pool of its own keeps the
  // tenant's controllers and the down path moving while writes share a group commit.
  boost::asio::any_io_executor executor;
  SyncQueueOptions queue;
  // Host events written up into the tenant per second (and burst): kube's kubelet --event-qps.
  double event_qps = 100;
  int event_burst = 200;
};

struct SyncerStats {
  std::size_t queued = 0;
  std::size_t host_pods = 0;
  bool synced = false;
};

class Syncer : public std::enable_shared_from_this<Syncer> {
 public:
  explicit Syncer(SyncerOptions options);
  ~Syncer();

  // The controller to add to the tenant's controller manager (ControllerFactory's product).
  std::unique_ptr<controllers::Controller> MakeController(const controllers::ControllerContext& ctx);
  // Stops host watches and reconciles (waits for those running). Idempotent.
  void Stop();
  SyncerStats stats() const;

 private:
  friend class SyncerController;
  void Register(const controllers::ControllerContext& ctx, controllers::SharedInformer& informer);
  void Start();
  boost::asio::awaitable<void> WaitForCachesThenRun();
  boost::asio::awaitable<SyncOutcome> Process(std::string key);
  void OnHostChange(const std::string& resource, const nlohmann::json* old_obj, const nlohmann::json* obj);

  SyncerOptions options_;
  SyncContext ctx_;
  std::unique_ptr<HostCache> cache_;
  std::shared_ptr<SyncQueue> queue_;
  // Host events coming up: a few workers of their own, so thousands of them (a burst of pods
  // makes four each) never hold up the pods themselves.
  std::shared_ptr<SyncQueue> background_;
  std::vector<std::unique_ptr<KindSyncer>> kinds_;
  net::TaskGroup tasks_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> synced_{false};
};

}  // namespace vkube::syncer
