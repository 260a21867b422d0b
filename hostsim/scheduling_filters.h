#pragma once
// The scheduler's per-node decisions, as kube-scheduler's default filter plugins word them
// (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit) and its LeastAllocated
// score. Pure functions over JSON: unit-testable without a store.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hostsim/resources.h"

namespace vkube::hostsim {

// What the scheduler knows of one node: its object plus what is bound to it.
struct NodeState {
  std::string name;
  nlohmann::json labels = nlohmann::json::object();
  nlohmann::json taints = nlohmann::json::array();
  bool unschedulable = false;
  bool ready = false;
  ResourceList allocatable;
  ResourceList requested;          // sum of the requests of the pods bound to it
  ResourceList nonzero_requested;  // the same with kube's scoring defaults for unset cpu/memory
  std::int64_t pods = 0;
};

// Name, labels, taints, spec.unschedulable, Ready condition and allocatable of a Node.
NodeState NodeStateFrom(const nlohmann::json& node);

// Why `pod` (with effective `requests`) cannot run on `node`: the reasons of the first filter
// that fails, in kube-scheduler's plugin order and words; empty when it fits. A node that is not
// Ready counts as tainted node.kubernetes.io/not-ready:NoSchedule (the node lifecycle controller's
// taint).
std::vector<std::string> FilterReasons(const nlohmann::json& pod, const ResourceList& requests, const NodeState& node);

// Requests with kube's non-zero defaults for scoring (100m cpu, 200Mi memory when unset).
ResourceList NonZeroRequests(const ResourceList& requests);
// LeastAllocated: 0..100, higher = more free cpu and memory left after placing the pod.
std::int64_t Score(const ResourceList& nonzero_requests, const NodeState& node);

// kube's FitError text: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
// Pod's node affinity/selector." (reason histogram sorted as strings); with no nodes at all
// "no nodes available to schedule pods".
std::string FitErrorMessage(std::size_t nodes, const std::vector<std::vector<std::string>>& reasons_per_node);

// A toleration (core/v1) tolerates a taint (kube's Toleration.ToleratesTaint).
bool ToleratesTaint(const nlohmann::json& toleration, const nlohmann::json& taint);
// spec.nodeSelector and the required node affinity of `pod` match `node`.
bool MatchesNodeAffinity(const nlohmann::json& pod, const NodeState& node);

}  // namespace vkube::hostsim
