#pragma once
// Pod IPs of the simulated nodes (the CNI's host-local IPAM): node i hands out 10.244.i.2 ..
// 10.244.i.254 from its /24, one address per pod uid, the next free one after the last handed out
// so that a freed address is not reused at once. Thread-safe.
#include <array>
#include <bitset>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hostsim/sim_config.h"

namespace vkube::hostsim {

class IpAllocator {
 public:
  explicit IpAllocator(int nodes);

  // The pod's address on `node` (the same one again for the same uid); nullopt when the range is full.
  std::optional<std::string> Allocate(int node, const std::string& uid);
  // Records an address found on an existing pod (after a restart). False if not in the node's range.
  bool Reserve(int node, const std::string& uid, const std::string& ip);
  void Release(const std::string& uid);
  std::size_t InUse(int node) const;

 private:
  struct Range {
    std::bitset<256> used;
    int next = 2;
  };
  static constexpr int kFirst = 2;   // .0 network, .1 the node's bridge
  static constexpr int kLast = 254;  // .255 broadcast

  mutable std::mutex mu_;
  std::vector<Range> ranges_;
  std::unordered_map<std::string, std::pair<int, int>> by_uid_;  // uid → (node, host part)
};

}  // namespace vkube::hostsim
