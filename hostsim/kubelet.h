#pragma once
// The kubelets of the simulated nodes, in one controller: a pod bound to a simulated node starts
// at once (phase Running, Ready conditions, pod IP from the node's 10.244.i.0/24, hostIP,
// containerStatuses with IDs, events Pulled/Created/Started); containers that are scripted to exit
// (restartPolicy Never/OnFailure, or the hostsim.vkube.io/run-seconds annotation) terminate after
// their run time with exit code hostsim.vkube.io/exit-code (default 0) — the pod Succeeded/Failed,
// or the container restarted with crash-loop back-off as restartPolicy says; a pod being deleted
// has its containers stopped and is removed with grace period 0 (the kubelet's final delete).
// Everything runs as work-queue keys with timers on the shared pool; no thread per node or pod.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "controllers/framework/controller.h"
#include "hostsim/event_recorder.h"
#include "hostsim/ip_allocator.h"
#include "hostsim/sim_config.h"

namespace vkube::hostsim {

// How a pod's simulated containers behave.
struct RunPlan {
  std::optional<std::chrono::milliseconds> run_time;  // none: run until deleted
  int exit_code = 0;
};
RunPlan PlanFor(const nlohmann::json& pod, const SimConfig& cfg);

class Kubelet final : public controllers::QueueController {
 public:
  Kubelet(controllers::ControllerContext ctx, std::shared_ptr<const SimConfig> cfg,
          std::shared_ptr<EventRecorder> events, std::shared_ptr<IpAllocator> ips);
  std::string_view name() const override { return "hostsim-kubelet"; }
  void Register(controllers::SharedInformer& informer) override;

 protected:
  controllers::Outcome Reconcile(const std::string& key) override;

 private:
  controllers::Outcome StartPod(const std::string& key, const nlohmann::json& pod, int node);
  controllers::Outcome Advance(const std::string& key, const nlohmann::json& pod, int node);
  controllers::Outcome StopAndRemove(const nlohmann::json& pod);
  // Writes `status`; kDone when written or the pod is gone.
  controllers::Outcome Write(const nlohmann::json& pod, const nlohmann::json& status);
  void EmitStartEvents(const nlohmann::json& pod, int node);
  bool OnSimulatedNode(const store::ObjectPtr& obj) const;

  std::shared_ptr<const SimConfig> cfg_;
  std::shared_ptr<EventRecorder> events_;
  std::shared_ptr<IpAllocator> ips_;
  std::mutex mu_;
  // Exact start of each pod's current container run (status times have second precision).
  std::unordered_map<std::string, SystemTime> started_;
};

}  // namespace vkube::hostsim
