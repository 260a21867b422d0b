#pragma once
// Awaiting blocking work (fsync, key generation) that a coroutine hands to a thread pool.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::net {

// The completion token for `co_await co_spawn(pool, work, AwaitUncancelled())`: like use_awaitable,
// but the caller's cancellation is not forwarded to the work. Blocking work cannot stop early, and a
// cancel forwarded while it runs on the pool made co_spawn's own epilogue (Boost 1.81) throw out of
// the pool thread: std::terminate. The caller still sees its own cancellation at its next co_await.
inline auto AwaitUncancelled() {
  return boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(), boost::asio::use_awaitable);
}

}  // namespace vkube::net
