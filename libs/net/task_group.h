#pragma once
// A set of coroutines that may run on different executors, tracked so that shutdown can wait for
// all of them (Beast server-flex-awaitable's task_group): nothing is `detached`, every task is
// counted until its frame is gone, and a terminal cancellation can be sent to all of them.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vkube::net {

class TaskGroup {
 public:
  TaskGroup() = default;
  // Destroying a group that still has tasks is a bug (their completions would touch freed memory).
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts `task` on `ex` and tracks it until it completes (normally, by exception or by
  // cancellation). Returns false, without starting it, once Close() was called. CancelAll()
  // emits on `ex`, so `ex` must run the task's handlers one at a time: an io_context's thread, a
  // strand, or a thread_pool's executor (the task then runs on a strand of its own).
  bool Spawn(boost::asio::any_io_executor ex, boost::asio::awaitable<void> task);

  // Refuses further Spawn() calls (drain: no new work after this point).
  void Close();
  bool closed() const;

  // Emits a terminal cancellation to every tracked task, each on its own executor.
  void CancelAll();

  std::size_t size() const;

  // Completes with true once no task is left, or false when `timeout` passes first. Runs on the
  // calling coroutine's executor, which must not run handlers concurrently (an io_context with one
  // thread, or a strand).
  boost::asio::awaitable<bool> WaitEmpty(std::chrono::steady_clock::duration timeout);

  // Blocking variant for destructors and tests; must not be called from a thread that runs any
  // tracked task's executor.
  bool WaitEmptyBlocking(std::chrono::steady_clock::duration timeout);

 private:
  struct Task {
    boost::asio::any_io_executor executor;
    std::shared_ptr<boost::asio::cancellation_signal> signal;
  };
  using Waiter = std::shared_ptr<boost::asio::steady_timer>;

  void Finished(std::list<Task>::iterator it);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Task> tasks_;
  std::list<Waiter> waiters_;
  bool closed_ = false;
};

}  // namespace vkube::net
