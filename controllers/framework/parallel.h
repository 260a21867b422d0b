#pragma once
// Runs fn(0..n-1) on up to `width` threads and waits. Used by workload controllers to issue a
// slow-start batch of pod writes at once, so that the store's group commit covers them with one
// fsync instead of one each.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace vkube::controllers {

template <typename F>
void ParallelFor(std::size_t n, std::size_t width, F&& fn) {
  if (n == 0) return;
  width = std::max<std::size_t>(1, std::min(width, n));
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> threads;
  threads.reserve(width - 1);
  for (std::size_t t = 1; t < width; ++t) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
}

}  // namespace vkube::controllers
