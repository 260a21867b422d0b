#include "libs/net/task_group.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

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
