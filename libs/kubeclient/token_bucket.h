#pragma once
// Client-side rate limit (client-go's flowcontrol token bucket): `qps` tokens per second, at most
// `burst` saved up. A request takes one token; when none is left it waits for its reservation, so
// waiters are served in arrival order and none spins. Thread-safe; waiting happens on the calling
// coroutine's executor (no thread per client).
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <mutex>

namespace vkube::kube {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // qps <= 0 disables the limit. burst < 1 is treated as 1.
  TokenBucket(double qps, int burst);

  // Takes a token if one is available now.
  bool TryAcquire(Clock::time_point now = Clock::now());
  // Takes a token, possibly from the future: returns how long to wait before using it.
  Clock::duration Reserve(Clock::time_point now = Clock::now());
  // Reserve() and sleep it off. A cancelled wait forfeits its token.
  boost::asio::awaitable<void> Acquire();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  void Refill(Clock::time_point now);

  const double qps_;
  const int burst_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace vkube::kube
