#pragma once
// `vkube host`: the simulated part of a local host cluster (like KWOK) on top of a tenant's API
// engine — N Ready nodes with leases, a scheduler binding pods through pods/binding, kubelets
// running pods (Running/Ready, IPs, Succeeded/Failed, graceful deletion) and pods/log with
// synthetic output. The scheduler and kubelets are controllers on the tenant's shared informer
// and pool (no thread of their own); an idle host cluster costs a lease write per node every
// SimConfig::lease_renew.
//
// Wiring for `vkube host --nodes N` (its one tenant, e.g. in tenancy::Tenant::Start):
//   auto sim = hostsim::HostSimulator::Start({.objects = objects, .executor = p.controller_executor, .nodes = N});
//   api->SetPodStreams((*sim)->pod_streams());   // (or TenantContext::pod_streams once it exists)
//   auto cm = controllers::ControllerManager::Start(ctx, (*sim)->controllers());   // same objects and pool
//   keep *sim beside cm; stop: cm->Stop(); (*sim)->Stop(); join the controller pool; close the store.
#include <memory>
#include <vector>

#include "apiserver-proxy/pod_streams.h"
#include "controllers/controller_manager.h"
#include "hostsim/sim_config.h"
#include "libs/registry/generic_registry.h"

namespace vkube::hostsim {

class EventRecorder;
class IpAllocator;

struct HostSimOptions {
  std::shared_ptr<registry::GenericRegistry> objects;  // the host tenant's registry
  boost::asio::any_io_executor executor;               // the controller pool (event writes)
  int nodes = 3;                                       // 0..kMaxNodes
  SimConfig config;                                    // `nodes` above wins over config.nodes
};

class HostSimulator {
 public:
  // Registers the nodes (and their leases) before returning, so they are listed at once.
  static Result<std::unique_ptr<HostSimulator>> Start(const HostSimOptions& options);
  ~HostSimulator();
  HostSimulator(const HostSimulator&) = delete;
  HostSimulator& operator=(const HostSimulator&) = delete;

  // The scheduler, kubelets and node heartbeats: pass to ControllerManager::Start of the tenant.
  std::vector<controllers::ControllerFactory> controllers() const;
  // pods/log of the simulated pods, for the tenant's ApiServer.
  std::shared_ptr<apiserver::PodStreams> pod_streams() const { return pod_streams_; }
  const SimConfig& config() const { return *cfg_; }
  // Stops writing events (the controllers stop with their ControllerManager).
  void Stop();

 private:
  HostSimulator() = default;

  std::shared_ptr<registry::GenericRegistry> objects_;
  std::shared_ptr<const SimConfig> cfg_;
  std::shared_ptr<EventRecorder> events_;
  std::shared_ptr<IpAllocator> ips_;
  std::shared_ptr<apiserver::PodStreams> pod_streams_;
};

}  // namespace vkube::hostsim
