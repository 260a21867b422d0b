#pragma once
// Round-robin turns between flows on one io_context (API Priority and Fairness in miniature;
// Envoy's max_requests_per_io_cycle has the same aim). Without it a thread runs ready handlers
// in FIFO order, so a flow (tenant) with 100 requests already parsed from its HTTP/2 connections
// delays every other flow's request on that thread by 100 handlers.
//
// A request's handler takes a turn before its CPU-bound work. One turn is granted at a time; a
// turn ends when the handler next returns control to the event loop (a release is posted
// behind it), and the next turn goes to the next flow with waiters. So a waiting request of a
// quiet flow runs after at most one request of each busy flow, plus whatever I/O completions were
// already queued. Waiting costs one queued completion handler, no thread and no timer.
//
// One instance per execution context (an asio service: use_service<FairTurns>(ctx)); flows are
// opaque keys, this layer knows nothing of tenants.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vkube::net {

class FairTurns final : public boost::asio::execution_context::service {
 public:
  using key_type = FairTurns;
  static inline boost::asio::execution_context::id id;

  explicit FairTurns(boost::asio::execution_context& ctx);

  // The instance serving the execution context of `ex`.
  static FairTurns& For(const boost::asio::any_io_executor& ex);

  // Waits for `flow`'s turn (at once when nobody else waits); the turn lasts until the caller next
  // suspends. `flow` must outlive the call.
  boost::asio::awaitable<void> Take(const std::string& flow);

  std::size_t waiting() const;  // for tests and metrics

 private:
  struct Waiter {
    boost::asio::any_completion_handler<void()> resume;
    boost::asio::any_io_executor ex;  // the waiting coroutine's; its release is posted there too
  };
  struct Flow {
    std::deque<Waiter> waiters;
  };

  void shutdown() override;
  bool TryGrant();  // a turn now, when none is in progress and nobody waits
  void Enqueue(const std::string& flow, Waiter waiter);
  // The turn in progress is over: grant the next flow's first waiter, if any.
  void Release();
  // With mu_ held and a waiter present: the next flow in turn gives up its first waiter. (Granting
  // a lone flow several at once was measured: it let a newly arriving flow wait like FIFO.)
  Waiter GrantNextLocked();
  // Resumes a granted waiter and queues its turn's release behind it.
  void Start(Waiter w);

  template <typename Token>
  auto AsyncWait(const std::string& flow, boost::asio::any_io_executor ex, Token&& token) {
    return boost::asio::async_initiate<Token, void()>(
        [this, &flow](auto handler, boost::asio::any_io_executor e) {
          Enqueue(flow, Waiter{.resume = std::move(handler), .ex = std::move(e)});
        },
        token, std::move(ex));
  }

  mutable std::mutex mu_;                        // an io_context may be run by several threads
  bool granted_ = false;                         // a turn is in progress (its release is queued)
  std::unordered_map<std::string, Flow> flows_;  // flows with waiters only
  std::deque<std::string> ring_;                 // those flows in turn order
  std::size_t waiting_ = 0;
};

}  // namespace vkube::net
