#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "libs/kubeclient/backoff.h"
#include "libs/kubeclient/token_bucket.h"

namespace vkube::kube {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(TokenBucketTest, BurstThenOneTokenPerInterval) {
  TokenBucket b(10, 3);
  const auto t0 = TokenBucket::Clock::now();
  EXPECT_EQ(b.Reserve(t0), TokenBucket::Clock::duration::zero());
  EXPECT_EQ(b.Reserve(t0), TokenBucket::Clock::duration::zero());
  EXPECT_EQ(b.Reserve(t0), TokenBucket::Clock::duration::zero());
  EXPECT_NEAR(std::chrono::duration<double>(b.Reserve(t0)).count(), 0.1, 0.002);
  EXPECT_NEAR(std::chrono::duration<double>(b.Reserve(t0)).count(), 0.2, 0.002);
  EXPECT_FALSE(b.TryAcquire(t0 + 150ms));  // debt of 2 tokens, 1.5 refilled
  EXPECT_TRUE(b.TryAcquire(t0 + 300ms));   // 3 refilled: one left
  EXPECT_FALSE(b.TryAcquire(t0 + 300ms));
  // Saved tokens never exceed the burst.
  EXPECT_TRUE(b.TryAcquire(t0 + 100s));
  EXPECT_TRUE(b.TryAcquire(t0 + 100s));
  EXPECT_TRUE(b.TryAcquire(t0 + 100s));
  EXPECT_FALSE(b.TryAcquire(t0 + 100s));
}

TEST(TokenBucketTest, UnlimitedWhenQpsIsZero) {
  TokenBucket b(0, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(b.TryAcquire());
}

TEST(TokenBucketTest, AcquireSleepsOnTheCallersExecutor) {
  TokenBucket b(50, 5);
  asio::io_context io;
  int done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await b.Acquire();
          ++done;
        },
        asio::detached);
  }
  io.run();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(done, 30);
  EXPECT_GE(elapsed, 0.48);  // 25 tokens beyond the burst at 50/s
  EXPECT_LT(elapsed, 1.5);
}

TEST(BackoffTest, ExponentialWithJitterUpToTheCap) {
  BackoffOptions o;
  o.initial = 100ms;
  o.factor = 2;
  o.jitter = 0.5;
  o.cap = 1s;
  Backoff b(o, 42);
  std::chrono::milliseconds base = 100ms;
  for (int i = 0; i < 8; ++i) {
    const auto d = b.Next();
    EXPECT_GE(d, base) << i;
    EXPECT_LE(d, base + base / 2) << i;
    base = std::min<std::chrono::milliseconds>(base * 2, 1s);
  }
  b.Reset();
  EXPECT_LE(b.Next(), 150ms);
  // Different seeds spread retries (no thundering herd).
  Backoff x(o, 1), y(o, 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ = differ || x.Next() != y.Next();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace vkube::kube
