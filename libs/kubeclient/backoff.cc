#include "libs/kubeclient/backoff.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::kube {

namespace asio = boost::asio;

Backoff::Backoff(BackoffOptions options, std::uint64_t seed)
    : options_(options), current_(options.initial), rng_(seed) {}

std::chrono::milliseconds Backoff::Next() {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double base = static_cast<double>(current_.count());
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(base * (1.0 + options_.jitter * u(rng_))));
  const double next = std::min(base * options_.factor, static_cast<double>(options_.cap.count()));
  current_ = std::chrono::milliseconds(static_cast<std::int64_t>(next));
  return wait;
}

void Backoff::Reset() { current_ = options_.initial; }

asio::awaitable<bool> Backoff::Sleep() {
  asio::steady_timer timer(co_await asio::this_coro::executor, Next());
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

}  // namespace vkube::kube
