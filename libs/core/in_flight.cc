#include "libs/core/in_flight.h"

#include <unordered_map>

namespace vkube {

std::size_t InFlight::OwnDepth(const InFlight* f, int delta) {
  thread_local std::unordered_map<const InFlight*, std::size_t> depth;
  auto it = depth.find(f);
  std::size_t n = (it == depth.end() ? 0 : it->second) + static_cast<std::size_t>(delta);
  if (n == 0) {
    if (it != depth.end()) depth.erase(it);
  } else if (it == depth.end()) {
    depth.emplace(f, n);
  } else {
    it->second = n;
  }
  return n;
}

}  // namespace vkube
