#include "hostsim/host_simulator.h"

#include "hostsim/event_recorder.h"
#include "hostsim/ip_allocator.h"
#include "hostsim/kubelet.h"
#include "hostsim/node_simulator.h"
#include "hostsim/scheduler.h"
#include "hostsim/synthetic_logs.h"

namespace vkube::hostsim {

Result<std::unique_ptr<HostSimulator>> HostSimulator::Start(const HostSimOptions& options) {
  if (!options.objects) return Error::Make(ErrorCode::kInternal, "hostsim: no registry");
  if (options.nodes < 0 || options.nodes > kMaxNodes) {
    return Error::Make(ErrorCode::kBadRequest, "hostsim: --nodes must be between 0 and " + std::to_string(kMaxNodes));
  }
  if (options.config.log_interval.count() <= 0 || options.config.max_log_lines < 0) {
    return Error::Make(ErrorCode::kBadRequest, "hostsim: log_interval must be positive, max_log_lines not negative");
  }
  auto cfg = std::make_shared<SimConfig>(options.config);
  cfg->nodes = options.nodes;
  if (auto s = NodeSimulator::RegisterAll(*options.objects, *cfg); !s) return s.take_error();
  std::unique_ptr<HostSimulator> sim(new HostSimulator());
  sim->objects_ = options.objects;
  sim->cfg_ = cfg;
  if (cfg->events) sim->events_ = std::make_shared<EventRecorder>(options.objects, options.executor);
  sim->ips_ = std::make_shared<IpAllocator>(cfg->nodes);
  sim->pod_streams_ = std::make_shared<SyntheticPodStreams>(options.objects, cfg);
  return sim;
}

HostSimulator::~HostSimulator() { Stop(); }

void HostSimulator::Stop() {
  if (events_) events_->Stop();
}

std::vector<controllers::ControllerFactory> HostSimulator::controllers() const {
  auto cfg = cfg_;
  auto events = events_;
  auto ips = ips_;
  return {
      [cfg](const controllers::ControllerContext& ctx) { return std::make_unique<NodeSimulator>(ctx, cfg); },
      [events](const controllers::ControllerContext& ctx) { return std::make_unique<Scheduler>(ctx, events); },
      [cfg, events, ips](const controllers::ControllerContext& ctx) {
        return std::make_unique<Kubelet>(ctx, cfg, events, ips);
      },
  };
}

}  // namespace vkube::hostsim
