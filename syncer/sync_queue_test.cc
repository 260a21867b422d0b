#include "syncer/sync_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <map>
#include <thread>

namespace vkube::syncer {
namespace {

namespace asio = boost::asio;

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(SyncQueue, AddFromTheExecutorItselfNeverDeadlocks) {
  // co_spawn may run a new worker inline; workers are spawned under the queue's lock.
  asio::thread_pool pool(2);
  std::atomic<int> done{0};
  auto q = std::make_shared<SyncQueue>(
      pool.get_executor(),
      [&](std::string) -> asio::awaitable<SyncOutcome> {
        ++done;
        co_return SyncOutcome::kDone;
      },
      SyncQueueOptions{});
  q->Start();
  std::promise<void> added;
  asio::post(pool, [&] {
    for (int i = 0; i < 100; ++i) q->Add("k" + std::to_string(i));
    added.set_value();
  });
  ASSERT_EQ(added.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(WaitUntil([&] { return done == 100; }));
  q->ShutDown();
  pool.join();
}

TEST(SyncQueue, AKeyIsNeverProcessedTwiceAtOnceAndChangesDuringProcessingAreNotLost) {
  asio::thread_pool pool(4);
  std::mutex mu;
  std::map<std::string, int> running, runs;
  bool overlap = false;
  auto q = std::make_shared<SyncQueue>(
      pool.get_executor(),
      [&](std::string key) -> asio::awaitable<SyncOutcome> {
        {
          std::lock_guard lock(mu);
          if (++running[key] > 1) overlap = true;
          ++runs[key];
        }
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
        co_await t.async_wait(asio::use_awaitable);
        std::lock_guard lock(mu);
        --running[key];
        co_return SyncOutcome::kDone;
      },
      SyncQueueOptions{});
  q->Start();
  q->Add("a");
  ASSERT_TRUE(WaitUntil([&] {  // (a loaded machine may take a while to start it)
    std::lock_guard lock(mu);
    return running["a"] == 1;
  }));
  for (int i = 0; i < 20; ++i) q->Add("a");  // while "a" runs: one more run, not twenty
  EXPECT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return runs["a"] >= 2 && running["a"] == 0 && q->Len() == 0;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::lock_guard lock(mu);
  EXPECT_FALSE(overlap);
  EXPECT_LE(runs["a"], 3);
  q->ShutDown();
}

TEST(SyncQueue, FailuresAreRetriedWithBackoffUntilDone) {
  asio::thread_pool pool(2);
  std::atomic<int> attempts{0};
  auto q = std::make_shared<SyncQueue>(
      pool.get_executor(),
      [&](std::string) -> asio::awaitable<SyncOutcome> {
        co_return ++attempts < 4 ? SyncOutcome::kRetry : SyncOutcome::kDone;
      },
      SyncQueueOptions{
          .max_workers = 2, .base_delay = std::chrono::milliseconds(1), .max_delay = std::chrono::milliseconds(20)});
  q->Start();
  q->Add("x");
  EXPECT_TRUE(WaitUntil([&] { return attempts == 4; }));
  EXPECT_TRUE(WaitUntil([&] { return q->Failures("x") == 0; }));  // reset once done
  q->ShutDown();
}

TEST(SyncQueue, NothingRunsBeforeStartAndShutDownDropsPendingKeys) {
  asio::thread_pool pool(2);
  std::atomic<int> runs{0};
  auto q = std::make_shared<SyncQueue>(
      pool.get_executor(),
      [&](std::string) -> asio::awaitable<SyncOutcome> {
        ++runs;
        co_return SyncOutcome::kDone;
      },
      SyncQueueOptions{});
  q->Add("a");
  q->Add("b");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(q->Len(), 2u);
  q->ShutDown();
  q->Start();
  q->Add("c");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace vkube::syncer
