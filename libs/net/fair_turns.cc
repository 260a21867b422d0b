#include "libs/net/fair_turns.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace vkube::net {

namespace asio = boost::asio;

FairTurns::FairTurns(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

FairTurns& FairTurns::For(const asio::any_io_executor& ex) {
  return asio::use_service<FairTurns>(asio::query(ex, asio::execution::context));
}

asio::awaitable<void> FairTurns::Take(const std::string& flow) {
  asio::any_io_executor ex = co_await asio::this_coro::executor;
  if (TryGrant()) {
    asio::post(ex, [this] { Release(); });
    co_return;
  }
  co_await AsyncWait(flow, ex, asio::use_awaitable);
}

std::size_t FairTurns::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

bool FairTurns::TryGrant() {
  std::lock_guard lock(mu_);
  if (granted_ || !ring_.empty()) return false;
  granted_ = true;
  return true;
}

void FairTurns::Enqueue(const std::string& flow, Waiter waiter) {
  std::unique_lock lock(mu_);
  auto [it, fresh] = flows_.try_emplace(flow);
  if (fresh) ring_.push_back(flow);
  it->second.waiters.push_back(std::move(waiter));
  ++waiting_;
  if (granted_) return;  // the turn in progress hands over when it ends
  // The turn ended between TryGrant and here: nobody else will start the queue.
  Waiter next = GrantNextLocked();
  lock.unlock();
  Start(std::move(next));
}

void FairTurns::Release() {
  std::unique_lock lock(mu_);
  granted_ = false;
  if (ring_.empty()) return;
  Waiter next = GrantNextLocked();
  lock.unlock();
  Start(std::move(next));
}

FairTurns::Waiter FairTurns::GrantNextLocked() {
  auto it = flows_.find(ring_.front());
  ring_.pop_front();
  Waiter w = std::move(it->second.waiters.front());
  it->second.waiters.pop_front();
  if (it->second.waiters.empty()) {
    flows_.erase(it);
  } else {
    ring_.push_back(it->first);  // to the back of the ring: the other flows go first
  }
  --waiting_;
  granted_ = true;
  return w;
}

void FairTurns::Start(Waiter w) {
  // Both on the waiter's executor, in this order: the release runs once the resumed coroutine
  // has suspended again (or finished), after I/O completions already queued.
  const asio::any_io_executor ex = w.ex;
  asio::post(w.ex, std::move(w.resume));
  asio::post(ex, [this] { Release(); });
}

void FairTurns::shutdown() {
  std::unordered_map<std::string, Flow> flows;
  {
    std::lock_guard lock(mu_);
    flows.swap(flows_);
    ring_.clear();
    waiting_ = 0;
  }
  // (destroying the waiters destroys their suspended coroutines)
}

}  // namespace vkube::net
