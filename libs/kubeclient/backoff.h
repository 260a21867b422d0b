#pragma once
// Exponential backoff with jitter (client-go's wait.Backoff): each step waits
// current * (1 + jitter * U[0,1)) and multiplies `current` by `factor`, up to `cap`. Not
// thread-safe: one per retry loop.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <random>

namespace vkube::kube {

struct BackoffOptions {
  std::chrono::milliseconds initial{800};  // client-go reflector: 800ms ...
  double factor = 2.0;
  double jitter = 1.0;                    // ... doubling, jitter 1.0 ...
  std::chrono::milliseconds cap{30'000};  // ... up to 30s
};

class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, std::uint64_t seed = std::random_device{}());
  std::chrono::milliseconds Next();
  void Reset();
  // Sleeps Next() on the calling coroutine's executor. False if the wait was cancelled.
  boost::asio::awaitable<bool> Sleep();

 private:
  BackoffOptions options_;
  std::chrono::milliseconds current_;
  std::mt19937_64 rng_;
};

}  // namespace vkube::kube
