#pragma once
// Resource arithmetic for the scheduler: quantities as integer milli-units (1 cpu = 1000,
// 1Ki memory = 1024000), a pod's effective requests as kube-scheduler computes them, a node's
// allocatable.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace vkube::hostsim {

using ResourceList = std::map<std::string, std::int64_t>;  // resource name → milli-units

// "500m" → 500, "2" → 2000, "1Gi" → 1073741824000; rounded up, saturating; nullopt if malformed.
std::optional<std::int64_t> MilliValue(const nlohmann::json& quantity);

// Effective requests (kube's computePodResourceRequest): the sum over containers (and sidecar
// init containers), or the largest regular init container if that is more, plus spec.overhead.
// Limits stand in for absent requests (API defaulting already copies them).
ResourceList PodRequests(const nlohmann::json& pod);

// status.allocatable (status.capacity when absent).
ResourceList Allocatable(const nlohmann::json& node);

}  // namespace vkube::hostsim
