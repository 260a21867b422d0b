#pragma once
// Test-only: runs a client awaitable on an executor and blocks the calling (test) thread for it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>

#include "libs/core/result.h"

namespace vkube::kube::testing {

template <typename T>
boost::asio::awaitable<std::optional<Result<T>>> AsOptional(boost::asio::awaitable<Result<T>> a) {
  std::optional<Result<T>> out(co_await std::move(a));
  co_return out;
}

// A call that never completes (a watch without events, a lost wake-up) aborts the test binary
// after `timeout` instead of hanging it: the coroutine may still reference the caller's objects,
// so returning early is not an option.
template <typename T>
Result<T> RunSync(boost::asio::any_io_executor ex, boost::asio::awaitable<Result<T>> a,
                  std::chrono::seconds timeout = std::chrono::seconds(120)) {
  auto f = boost::asio::co_spawn(ex, AsOptional(std::move(a)), boost::asio::use_future);
  if (f.wait_for(timeout) != std::future_status::ready) {
    std::fprintf(stderr, "RunSync: no result within %llds; aborting the test binary\n",
                 static_cast<long long>(timeout.count()));
    std::fflush(stderr);
    std::abort();
  }
  return std::move(*f.get());
}

// future.get() with the same deadline (calls started with co_spawn(..., use_future)).
template <typename T>
T GetWithin(std::future<T>& f, std::chrono::seconds timeout = std::chrono::seconds(120)) {
  if (f.wait_for(timeout) != std::future_status::ready) {
    std::fprintf(stderr, "GetWithin: no result within %llds; aborting the test binary\n",
                 static_cast<long long>(timeout.count()));
    std::fflush(stderr);
    std::abort();
  }
  return f.get();
}

}  // namespace vkube::kube::testing
