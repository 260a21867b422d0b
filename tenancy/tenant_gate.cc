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

namespace {

// One more of `n` unless `max` (0 = unlimited) is reached.
bool TakeOne(std::atomic<std::size_t>& n, std::size_t max) {
  std::size_t cur = n.load();
  do {
    if (max != 0 && cur >= max) return false;
  } while (!n.compare_exchange_weak(cur, cur + 1));
  return true;
}

}  // namespace

TenantGate::WatchSlot TenantGate::AdmitWatch() {
  return TakeOne(watches_, max_watches_) ? WatchSlot(&watches_) : WatchSlot();
}

std::shared_ptr<void> TenantGate::AdmitConnection() {
  if (!TakeOne(*connections_, max_connections_)) return nullptr;
  std::shared_ptr<std::atomic<std::size_t>> counter = connections_;
  return {counter.get(), [counter](void*) { counter->fetch_sub(1); }};
}

}  // namespace vkube::tenancy
