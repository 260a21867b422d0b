#include "libs/net/task_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/net/await_uncancelled.h"
#include "libs/net/io_pool.h"

namespace vkube::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> Sleep(std::chrono::milliseconds d, std::atomic<int>* done) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!ec) ++*done;
}

TEST(TaskGroupTest, TracksTasksUntilTheyFinish) {
  asio::io_context io;
  TaskGroup group;
  std::atomic<int> done{0};
  ASSERT_TRUE(group.Spawn(io.get_executor(), Sleep(5ms, &done)));
  ASSERT_TRUE(group.Spawn(io.get_executor(), Sleep(10ms, &done)));
  EXPECT_EQ(group.size(), 2u);
  io.run();
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(group.size(), 0u);
}

TEST(TaskGroupTest, ClosedGroupRefusesNewTasks) {
  asio::io_context io;
  TaskGroup group;
  std::atomic<int> done{0};
  group.Close();
  EXPECT_TRUE(group.closed());
  EXPECT_FALSE(group.Spawn(io.get_executor(), Sleep(1ms, &done)));
  io.run();
  EXPECT_EQ(done.load(), 0);
}

TEST(TaskGroupTest, CancelAllEndsWaitingTasksOnEveryExecutor) {
  IoPool pool(2);
  pool.Start();
  TaskGroup group;
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(group.Spawn(pool.Next().get_executor(), Sleep(60s, &done)));
  // Give the tasks time to reach their wait, then cancel: they finish without completing the sleep.
  std::this_thread::sleep_for(20ms);
  group.CancelAll();
  EXPECT_TRUE(group.WaitEmptyBlocking(5s));
  EXPECT_EQ(done.load(), 0);
  pool.Stop();
}

// Busy (no suspension) for `d`, then a wait: a task that CancelAll reaches before it first yields.
asio::awaitable<void> BusyThenSleep(std::chrono::microseconds d, std::atomic<int>* done) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
  co_await Sleep(1ms, done);
}

// Boost 1.81's co_spawn co_awaits once more after a task that never yielded; with its state
// cancelled that co_await threw out of the thread (std::terminate). Tasks on a thread pool are
// cancelled while they run (syncer queues: a tenant deleted while its workers start).
TEST(TaskGroupTest, TasksCancelledBeforeTheyFirstYieldEndCleanlyOnAPool) {
  asio::thread_pool pool(4);
  std::atomic<int> done{0};
  for (int round = 0; round < 50; ++round) {
    TaskGroup group;
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(group.Spawn(pool.get_executor(), BusyThenSleep(200us, &done)));
    group.CancelAll();
    EXPECT_TRUE(group.WaitEmptyBlocking(5s));
  }
  pool.join();
}

asio::awaitable<int> Busy(std::chrono::microseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
  co_return 7;
}

asio::awaitable<void> AwaitBlockingWork(asio::thread_pool& pool, std::atomic<int>* got) {
  *got += co_await asio::co_spawn(pool, Busy(2ms), AwaitUncancelled());
}

// A connection cancelled (drain, stream reset) while its store write runs on the blocking pool: the
// write finishes and the connection gets its result; the pool thread does not terminate.
TEST(TaskGroupTest, CancellingACoroutineThatAwaitsBlockingWorkIsSafe) {
  asio::thread_pool blocking(2);
  IoPool io(1);
  io.Start();
  std::atomic<int> got{0};
  for (int round = 0; round < 50; ++round) {
    TaskGroup group;
    ASSERT_TRUE(group.Spawn(io.Next().get_executor(), AwaitBlockingWork(blocking, &got)));
    std::this_thread::sleep_for(500us);  // the work is running
    group.CancelAll();
    EXPECT_TRUE(group.WaitEmptyBlocking(5s));
  }
  EXPECT_EQ(got.load(), 50 * 7);
  io.Stop();
  blocking.join();
}

TEST(TaskGroupTest, WaitEmptyReportsEmptyOrTimeout) {
  IoPool pool(2);
  pool.Start();
  TaskGroup group;
  std::atomic<int> done{0};
  ASSERT_TRUE(group.Spawn(pool.At(1).get_executor(), Sleep(30ms, &done)));
  ASSERT_TRUE(group.Spawn(pool.At(1).get_executor(), Sleep(2s, &done)));

  // Waiter on another thread: first times out (the 2 s task is still there) ...
  std::promise<bool> first;
  asio::co_spawn(pool.At(0), group.WaitEmpty(100ms), [&](std::exception_ptr, bool r) { first.set_value(r); });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(first.get_future().get());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 90ms);
  EXPECT_EQ(done.load(), 1);

  // ... then is woken as soon as the last task ends (cancelled here), long before its timeout.
  std::promise<bool> second;
  asio::co_spawn(pool.At(0), group.WaitEmpty(30s), [&](std::exception_ptr, bool r) { second.set_value(r); });
  std::this_thread::sleep_for(10ms);
  t0 = std::chrono::steady_clock::now();
  group.CancelAll();
  auto f = second.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f.get());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  pool.Stop();
}

TEST(TaskGroupTest, WaitEmptyOnEmptyGroupIsImmediate) {
  asio::io_context io;
  TaskGroup group;
  bool result = false;
  asio::co_spawn(io, group.WaitEmpty(10s), [&](std::exception_ptr, bool r) { result = r; });
  auto t0 = std::chrono::steady_clock::now();
  io.run();
  EXPECT_TRUE(result);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace vkube::net
