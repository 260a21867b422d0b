#include "hostsim/ip_allocator.h"

#include <algorithm>
#include <charconv>

namespace vkube::hostsim {

namespace {
std::string Format(int node, int host) { return "10.244." + std::to_string(node) + "." + std::to_string(host); }
}  // namespace

IpAllocator::IpAllocator(int nodes) : ranges_(static_cast<std::size_t>(std::max(nodes, 0))) {}

std::optional<std::string> IpAllocator::Allocate(int node, const std::string& uid) {
  std::lock_guard lock(mu_);
  if (node < 0 || node >= static_cast<int>(ranges_.size())) return std::nullopt;
  if (auto it = by_uid_.find(uid); it != by_uid_.end() && it->second.first == node) {
    return Format(node, it->second.second);
  }
  Range& r = ranges_[static_cast<std::size_t>(node)];
  for (int i = 0; i <= kLast - kFirst; ++i) {
    int host = kFirst + (r.next - kFirst + i) % (kLast - kFirst + 1);
    if (r.used.test(static_cast<std::size_t>(host))) continue;
    r.used.set(static_cast<std::size_t>(host));
    r.next = host + 1 > kLast ? kFirst : host + 1;
    by_uid_[uid] = {node, host};
    return Format(node, host);
  }
  return std::nullopt;
}

bool IpAllocator::Reserve(int node, const std::string& uid, const std::string& ip) {
  const std::string prefix = "10.244." + std::to_string(node) + ".";
  if (node < 0 || ip.rfind(prefix, 0) != 0) return false;
  int host = 0;
  const char* b = ip.data() + prefix.size();
  const char* e = ip.data() + ip.size();
  auto [ptr, ec] = std::from_chars(b, e, host);
  if (ec != std::errc() || ptr != e || host < kFirst || host > kLast) return false;
  std::lock_guard lock(mu_);
  if (node >= static_cast<int>(ranges_.size())) return false;
  if (auto it = by_uid_.find(uid); it != by_uid_.end()) {
    ranges_[static_cast<std::size_t>(it->second.first)].used.reset(static_cast<std::size_t>(it->second.second));
  }
  ranges_[static_cast<std::size_t>(node)].used.set(static_cast<std::size_t>(host));
  by_uid_[uid] = {node, host};
  return true;
}

void IpAllocator::Release(const std::string& uid) {
  std::lock_guard lock(mu_);
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return;
  ranges_[static_cast<std::size_t>(it->second.first)].used.reset(static_cast<std::size_t>(it->second.second));
  by_uid_.erase(it);
}

std::size_t IpAllocator::InUse(int node) const {
  std::lock_guard lock(mu_);
  if (node < 0 || node >= static_cast<int>(ranges_.size())) return 0;
  return ranges_[static_cast<std::size_t>(node)].used.count();
}

}  // namespace vkube::hostsim
