#pragma once
// Coroutines waiting for "something changed" on one strand (a condition variable for a strand):
// each waiter has its own timer, so waiters with different deadlines never cancel one another.
// Strand-only; the usual check-then-Wait() is race-free because nothing runs in between.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <list>

namespace vkube::kube {

class WaitList {
 public:
  enum class Woken { kNotified, kTimeout, kCancelled };

  boost::asio::awaitable<Woken> Wait(std::chrono::steady_clock::time_point deadline) {
    namespace asio = boost::asio;
    asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
    Registration registration(waiters_, waiters_.insert(waiters_.end(), &timer));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return Woken::kCancelled;
    if (!ec) co_return Woken::kTimeout;
    co_return Woken::kNotified;
  }

  void NotifyAll() {
    for (auto* t : waiters_) t->cancel();
  }

 private:
  using List = std::list<boost::asio::steady_timer*>;
  // Unlists a waiter's timer however its coroutine ends (a constructor, not an aggregate: GCC 12
  // mishandles brace-initialized aggregates in coroutine frames).
  class Registration {
   public:
    Registration(List& list, List::iterator it) : list_(list), it_(it) {}
    ~Registration() { list_.erase(it_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    List& list_;
    List::iterator it_;
  };

  List waiters_;
};

}  // namespace vkube::kube
