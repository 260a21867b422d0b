#include "libs/net/task_group.h"

#include <cassert>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::net {

namespace asio = boost::asio;

namespace {

// co_spawn's own frame (Boost 1.81) co_awaits a post after a task that finished without ever
// yielding; if the task was cancelled meanwhile and co_await still throws on cancellation, that
// exception leaves the thread and std::terminate()s the process. Tasks therefore end here with
// throw-on-cancel off (and their exceptions, which the group ignores anyway, caught).
asio::awaitable<void> Contained(asio::awaitable<void> task) {
  try {
    co_await std::move(task);
  } catch (...) {
  }
  co_await asio::this_coro::throw_if_cancelled(false);
}

}  // namespace

TaskGroup::~TaskGroup() {
  std::lock_guard lock(mu_);
  assert(tasks_.empty() && "TaskGroup destroyed with running tasks");
}

bool TaskGroup::Spawn(asio::any_io_executor ex, asio::awaitable<void> task) {
  // A pool's threads would run the task and CancelAll's emit at the same time (a data race on its
  // cancellation state, and a cancel landing before co_spawn's first step throws out of the
  // thread): such a task gets its own strand.
  if (ex.target<asio::thread_pool::executor_type>() != nullptr) ex = asio::make_strand(ex);
  std::list<Task>::iterator it;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    it = tasks_.insert(tasks_.end(), Task{ex, std::make_shared<asio::cancellation_signal>()});
  }
  // The signal is only emitted on `ex` (CancelAll posts there), so the slot is never raced.
  auto slot = it->signal->slot();
  asio::co_spawn(std::move(ex), Contained(std::move(task)),
                 asio::bind_cancellation_slot(slot, [this, it](std::exception_ptr) { Finished(it); }));
  return true;
}

void TaskGroup::Finished(std::list<Task>::iterator it) {
  std::vector<Waiter> wake;
  {
    std::lock_guard lock(mu_);
    // co_spawn's cancellation handler lives inside the signal and the finishing coroutine may
    // still clear it after this handler returns: release the signal only after that.
    asio::post(it->executor, [sig = std::move(it->signal)] {});
    tasks_.erase(it);
    if (tasks_.empty()) {
      wake.assign(waiters_.begin(), waiters_.end());
      cv_.notify_all();
    }
  }
  // Moving the expiry into the past both cancels a pending wait and makes a wait that has not
  // started yet complete at once, so no wake-up is lost.
  for (auto& w : wake) {
    asio::post(w->get_executor(), [w] { w->expires_at(asio::steady_timer::time_point::min()); });
  }
}

void TaskGroup::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

bool TaskGroup::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void TaskGroup::CancelAll() {
  std::lock_guard lock(mu_);
  for (auto& t : tasks_) {
    asio::post(t.executor, [sig = t.signal] { sig->emit(asio::cancellation_type::terminal); });
  }
}

std::size_t TaskGroup::size() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

asio::awaitable<bool> TaskGroup::WaitEmpty(std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
  std::list<Waiter>::iterator self;
  {
    std::lock_guard lock(mu_);
    if (tasks_.empty()) co_return true;
    self = waiters_.insert(waiters_.end(), timer);
  }
  bool empty = false;
  for (;;) {
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (size() == 0) {
      empty = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    timer->expires_at(deadline);  // woken by a task that finished while another one started
  }
  std::lock_guard lock(mu_);
  waiters_.erase(self);
  co_return empty;
}

bool TaskGroup::WaitEmptyBlocking(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return tasks_.empty(); });
}

}  // namespace vkube::net
