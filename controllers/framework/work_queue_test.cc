#include "controllers/framework/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/thread_pool.hpp>

namespace vkube::controllers {
namespace {

template <typename F>
bool Eventually(F pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(WorkQueue, DeduplicatesAndNeverRunsAKeyTwiceAtOnce) {
  boost::asio::thread_pool pool(4);
  std::atomic<int> running{0}, max_running{0}, calls{0};
  auto q = WorkQueue::Create(
      pool.get_executor(),
      [&](const std::string&) {
        int now = ++running;
        int prev = max_running.load();
        while (now > prev && !max_running.compare_exchange_weak(prev, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --running;
        ++calls;
        return Outcome::kDone;
      },
      WorkQueueOptions{.max_workers = 4});
  for (int i = 0; i < 50; ++i) q->Add("same");
  ASSERT_TRUE(Eventually([&] { return calls >= 1 && running == 0 && q->Len() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LE(calls.load(), 2);  // the adds while processing collapse into at most one more pass
  EXPECT_EQ(max_running.load(), 1);
  q->ShutDown();
  pool.join();
}

TEST(WorkQueue, RetriesWithBackoffThenForgets) {
  boost::asio::thread_pool pool(2);
  std::atomic<int> calls{0};
  auto q = WorkQueue::Create(pool.get_executor(), [&](const std::string&) {
    return ++calls < 3 ? Outcome::kRetry : Outcome::kDone;
  });
  q->Add("k");
  ASSERT_TRUE(Eventually([&] { return calls == 3; }));
  EXPECT_TRUE(Eventually([&] { return q->Failures("k") == 0; }));
  q->ShutDown();
  pool.join();
}

TEST(WorkQueue, ShutDownCancelsPendingRetriesSoThePoolDrains) {
  boost::asio::thread_pool pool(1);
  auto q = WorkQueue::Create(pool.get_executor(), [](const std::string&) { return Outcome::kDone; });
  q->AddAfter("later", std::chrono::hours(1));
  q->ShutDown();
  auto start = std::chrono::steady_clock::now();
  pool.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vkube::controllers
