#pragma once
// client-go's leaderelection with a coordination.k8s.io Lease, for tenants whose store is shared
// by several vkube replicas (etcd): exactly one replica runs a tenant's controllers. The lease
// lives in the tenant's own store (kube-system/kube-controller-manager, as in kube), written
// through the registry with resourceVersion preconditions, so two candidates never both win.
//
// Expiry is judged by the local clock from when this candidate last saw the record change
// (client-go's observedTime), never from the timestamps written by another machine, so clock
// skew between replicas cannot make a live leader look expired.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "libs/registry/generic_registry.h"

namespace vkube::controllers {

struct LeaderElectionOptions {
  std::string identity;  // unique per replica, e.g. hostname + "_" + random
  std::string ns = "kube-system";
  std::string name = "kube-controller-manager";
  std::chrono::milliseconds lease_duration{15000};  // kube-controller-manager's defaults
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
};

class LeaderElector : public std::enable_shared_from_this<LeaderElector> {
 public:
  using Callback = std::function<void()>;

  // Starts campaigning on `executor`. `on_started` runs when this replica becomes leader,
  // `on_stopped` when it stops being leader (renewal failed past the deadline, or Stop()).
  // Both run on the executor (on_stopped also from Stop), never concurrently with each other;
  // they must not call Stop().
  static std::shared_ptr<LeaderElector> Start(std::shared_ptr<registry::GenericRegistry> objects,
                                              boost::asio::any_io_executor executor, LeaderElectionOptions options,
                                              Callback on_started, Callback on_stopped);
  // Stops campaigning; a leader releases the lease (empty holder) so another replica takes over
  // at once instead of after the lease duration.
  void Stop();
  bool leading() const;

  LeaderElector(std::shared_ptr<registry::GenericRegistry> objects, boost::asio::any_io_executor executor,
                LeaderElectionOptions options, Callback on_started, Callback on_stopped);

 private:
  void Schedule(std::chrono::milliseconds delay);
  void Tick();
  // One attempt: true when this replica holds the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();

  std::shared_ptr<registry::GenericRegistry> objects_;
  const resource::Kind* lease_kind_ = nullptr;
  LeaderElectionOptions options_;
  Callback on_started_, on_stopped_;
  boost::asio::steady_timer timer_;

  // Held by a Tick and by Stop: callbacks never overlap, and the timer is touched by one at a time.
  std::mutex callback_mu_;
  mutable std::mutex mu_;
  bool stopped_ = false;
  bool leading_ = false;
  std::chrono::steady_clock::time_point last_renew_;  // our last successful renewal
  // The record as last observed (its resourceVersion) and when it last changed, by our clock.
  std::string observed_rv_;
  std::chrono::steady_clock::time_point observed_time_;
};

}  // namespace vkube::controllers
