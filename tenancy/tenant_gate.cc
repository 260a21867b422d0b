#include "tenancy/tenant_gate.h"

#include <algorithm>

namespace vkube::tenancy {

TenantGate::TenantGate(const TenantLimits& l)
    : rate_(l.requests_per_second),
      burst_(l.burst > 0 ? l.burst : std::max(1.0, l.requests_per_second)),
      max_watches_(l.max_watches),
      max_connections_(l.max_connections),
      tokens_(burst_),
      last_(Clock::now()) {}

bool TenantGate::AdmitRequest(Clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

TenantGate::WatchSlot TenantGate::AdmitWatch() {
  if (max_watches_ == 0) {
    watches_.fetch_add(1);
    return WatchSlot(&watches_);
  }
  std::size_t n = watches_.load();
  do {
    if (n >= max_watches_) return WatchSlot();
  } while (!watches_.compare_exchange_weak(n, n + 1));
  return WatchSlot(&watches_);
}

std::shared_ptr<void> TenantGate::AdmitConnection() {
  std::size_t n = connections_->load();
  do {
    if (max_connections_ != 0 && n >= max_connections_) return nullptr;
  } while (!connections_->compare_exchange_weak(n, n + 1));
  std::shared_ptr<std::atomic<std::size_t>> counter = connections_;
  return {counter.get(), [counter](void*) { counter->fetch_sub(1); }};
}

}  // namespace vkube::tenancy
