#include "libs/net/io_pool.h"

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include <boost/asio/post.hpp>

namespace vkube::net {
namespace {

TEST(IoPoolTest, RoundRobinOverContexts) {
  IoPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  auto* a = &pool.Next();
  auto* b = &pool.Next();
  auto* c = &pool.Next();
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
  EXPECT_EQ(&pool.Next(), a);
  EXPECT_EQ(&pool.At(4), b);
}

TEST(IoPoolTest, ZeroThreadsMeansOne) {
  IoPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(IoPoolTest, EachContextRunsOnItsOwnThread) {
  IoPool pool(2);
  pool.Start();
  std::set<std::thread::id> ids;
  for (std::size_t i = 0; i < 2; ++i) {
    std::promise<std::thread::id> p;
    boost::asio::post(pool.At(i), [&] { p.set_value(std::this_thread::get_id()); });
    ids.insert(p.get_future().get());
  }
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
  pool.Stop();
  pool.Stop();  // idempotent
}

TEST(IoPoolTest, IdleContextsKeepRunningUntilStop) {
  IoPool pool(1);
  pool.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no work: the guard keeps run() alive
  std::promise<int> p;
  boost::asio::post(pool.At(0), [&] { p.set_value(7); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get(), 7);
}

}  // namespace
}  // namespace vkube::net
