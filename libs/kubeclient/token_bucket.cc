#include "libs/kubeclient/token_bucket.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::kube {

namespace asio = boost::asio;

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(static_cast<double>(std::max(1, burst))), last_(Clock::now()) {}

void TokenBucket::Refill(Clock::time_point now) {
  if (now <= last_) return;
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_ = now;
}

bool TokenBucket::TryAcquire(Clock::time_point now) {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  Refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

TokenBucket::Clock::duration TokenBucket::Reserve(Clock::time_point now) {
  if (qps_ <= 0) return Clock::duration::zero();
  std::lock_guard lock(mu_);
  Refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= 0) return Clock::duration::zero();
  // The deficit is paid back at qps_ tokens per second.
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

asio::awaitable<void> TokenBucket::Acquire() {
  const auto wait = Reserve();
  if (wait <= Clock::duration::zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, wait);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace vkube::kube
