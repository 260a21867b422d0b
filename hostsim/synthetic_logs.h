#pragma once
// pods/log of the simulated containers: every container run prints one deterministic line per
// SimConfig::log_interval from its start ("<time> pod NAME container C line K"), until it
// terminates; the kubelet keeps the last max_log_lines. Serves the kubelet's options (container,
// follow, tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, previous) and errors, in
// kube's words. Following waits on a timer of the caller's executor (one per open stream, ticking
// once per line) and ends when the container stops, the pod goes away or the client leaves.
#include <memory>
#include <optional>
#include <string>

#include "apiserver-proxy/pod_streams.h"
#include "hostsim/sim_config.h"
#include "libs/registry/generic_registry.h"

namespace vkube::hostsim {

// One container run as the log sees it.
struct LogSource {
  std::string ns, pod, uid, container;
  SystemTime start;               // time of line 0
  std::optional<SystemTime> end;  // the run terminated then (its last line is at or before)
  std::int64_t restart_count = 0;
  bool none = false;  // pod not on a node yet: kube answers 200 with no bytes
};

// Which run `options` asks for, or kube's error (NotFound, BadRequest).
Result<LogSource> ResolveLogSource(const registry::GenericRegistry& objects, const std::string& ns,
                                   const std::string& pod, const apiserver::PodLogOptions& options);

class SyntheticPodStreams final : public apiserver::PodStreams {
 public:
  SyntheticPodStreams(std::shared_ptr<registry::GenericRegistry> objects, std::shared_ptr<const SimConfig> cfg);

  boost::asio::awaitable<Result<std::shared_ptr<apiserver::ChunkStream>>> Logs(
      std::string ns, std::string pod, apiserver::PodLogOptions options) override;
  // exec, attach and portforward of the simulated containers (pod_connect.h).
  boost::asio::awaitable<void> Connect(std::string ns, std::string pod, apiserver::PodConnectOptions options,
                                       http::Request& request, http::ResponseWriter& writer) override;

  // Line `k` of a run (without the newline), as printed at `at`.
  static std::string Line(const std::string& pod, const std::string& container, std::int64_t k, SystemTime at);
  // Go's RFC3339Nano (trailing zeros of the fraction dropped), the kubelet's timestamps=true prefix.
  static std::string Rfc3339Nano(SystemTime t);

  // Opens a stream without an API request (tests, and the coroutine above).
  Result<std::shared_ptr<apiserver::ChunkStream>> Open(const std::string& ns, const std::string& pod,
                                                       const apiserver::PodLogOptions& options) const;

 private:
  std::shared_ptr<registry::GenericRegistry> objects_;
  std::shared_ptr<const SimConfig> cfg_;
};

}  // namespace vkube::hostsim
