#pragma once
// What the simulated nodes of a `vkube host` cluster look like and how fast they live. Shared
// (immutable, via shared_ptr<const SimConfig>) by the node simulator, the scheduler, the kubelet
// simulation and the log streams.
#include <chrono>
#include <map>
#include <string>

namespace vkube::hostsim {

// Annotations a pod may carry to script its simulated containers.
inline constexpr const char* kRunSecondsAnnotation = "hostsim.vkube.io/run-seconds";  // container exits after this
inline constexpr const char* kExitCodeAnnotation = "hostsim.vkube.io/exit-code";      // ... with this code (default 0)

inline constexpr int kMaxNodes = 250;  // one 10.0.0.x node address and one 10.244.x.0/24 pod range each

struct SimConfig {
  int nodes = 3;
  std::string node_prefix = "vkube-node-";
  // Capacity of every node (allocatable is the same: nothing is reserved for the system).
  std::map<std::string, std::string> capacity = {
      {"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}, {"ephemeral-storage", "100Gi"}, {"hugepages-2Mi", "0"}};
  std::string kubelet_version = "v1.32.0";
  std::string architecture = "amd64";

  // Node heartbeats, as the kubelet: the Lease in kube-node-lease is renewed every lease_renew
  // (valid for lease_duration); the Node's conditions are re-posted every status_report.
  std::chrono::seconds lease_duration{40};
  std::chrono::seconds lease_renew{20};
  std::chrono::seconds status_report{300};

  // Containers of restartPolicy Never/OnFailure pods exit after this unless the pod's
  // kRunSecondsAnnotation says otherwise; Always pods run until deleted unless annotated.
  std::chrono::milliseconds default_run_time{1000};
  // Simulated containers print one log line per interval; the kubelet keeps the last max_log_lines
  // (log rotation).
  std::chrono::milliseconds log_interval{1000};
  std::int64_t max_log_lines = 100000;
  // Kubelet's crash-loop back-off: base doubling per restart up to max.
  std::chrono::seconds restart_backoff{10};
  std::chrono::seconds max_restart_backoff{300};
  bool events = true;  // Scheduled / Pulled / Created / Started / FailedScheduling events

  std::string NodeName(int i) const { return node_prefix + std::to_string(i); }
  // Index of a simulated node by name, -1 for any other node.
  int NodeIndex(const std::string& name) const {
    if (name.size() <= node_prefix.size() || name.compare(0, node_prefix.size(), node_prefix) != 0) return -1;
    int i = 0;
    for (std::size_t k = node_prefix.size(); k < name.size(); ++k) {
      if (name[k] < '0' || name[k] > '9' || i > kMaxNodes) return -1;
      i = i * 10 + (name[k] - '0');
    }
    if (name.size() > node_prefix.size() + 1 && name[node_prefix.size()] == '0') return -1;  // no leading zeros
    return i < nodes ? i : -1;
  }
  std::string NodeIp(int i) const { return "10.0.0." + std::to_string(i + 2); }
  std::string PodCidr(int i) const { return "10.244." + std::to_string(i) + ".0/24"; }
};

}  // namespace vkube::hostsim
