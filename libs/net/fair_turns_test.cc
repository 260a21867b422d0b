#include "libs/net/fair_turns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::net {
namespace {

namespace asio = boost::asio;

// Takes a turn for `flow`, records it, then does `more` further turns (a busy client's next
// requests), yielding to the loop between them as a handler waiting on I/O would.
asio::awaitable<void> Client(FairTurns& turns, const std::string& flow, int more, std::vector<std::string>& order) {
  for (int i = 0; i <= more; ++i) {
    co_await turns.Take(flow);
    order.push_back(flow);
    co_await asio::post(asio::use_awaitable);
  }
}

struct Spawner {
  asio::io_context& ctx;
  int done = 0;
  void Spawn(asio::awaitable<void> a) {
    asio::co_spawn(ctx, std::move(a), [this](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
      ++done;
    });
  }
};

TEST(FairTurns, AQuietFlowWaitsForOneTurnOfABusyFlowNotForItsBacklog) {
  asio::io_context ctx;
  FairTurns& turns = FairTurns::For(ctx.get_executor());
  std::vector<std::string> order;
  Spawner s{ctx};
  const std::string noisy = "noisy", quiet = "quiet";
  // 50 requests of the noisy flow are ready before the quiet flow's one (a parsed HTTP/2 burst).
  for (int i = 0; i < 50; ++i) s.Spawn(Client(turns, noisy, 0, order));
  s.Spawn(Client(turns, quiet, 0, order));
  ctx.run();
  ASSERT_EQ(s.done, 51);
  ASSERT_EQ(order.size(), 51u);
  std::size_t at = 0;
  while (order[at] != quiet) ++at;
  EXPECT_LE(at, 2u) << "FIFO would put it at 50";
  EXPECT_EQ(turns.waiting(), 0u);
}

TEST(FairTurns, BusyFlowsAlternate) {
  asio::io_context ctx;
  FairTurns& turns = FairTurns::For(ctx.get_executor());
  std::vector<std::string> order;
  Spawner s{ctx};
  const std::string a = "a", b = "b", c = "c";
  for (int i = 0; i < 20; ++i) s.Spawn(Client(turns, a, 4, order));
  for (int i = 0; i < 5; ++i) s.Spawn(Client(turns, b, 0, order));
  s.Spawn(Client(turns, c, 2, order));
  ctx.run();
  ASSERT_EQ(s.done, 26);
  ASSERT_EQ(order.size(), 100u + 5u + 3u);
  // While several flows wait, no flow gets two turns in a row: every b and c turn is within the
  // first 3 * (5 + 3) turns, although a queued 100 turns before them.
  std::size_t last_bc = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] != a) last_bc = i;
  }
  EXPECT_LT(last_bc, 3u * 8u);
  EXPECT_EQ(turns.waiting(), 0u);
}

TEST(FairTurns, ContextsHaveTheirOwnTurns) {
  asio::io_context one, two;
  EXPECT_NE(&FairTurns::For(one.get_executor()), &FairTurns::For(two.get_executor()));
  EXPECT_EQ(&FairTurns::For(one.get_executor()), &FairTurns::For(one.get_executor()));
}

TEST(FairTurns, WaitersStillQueuedAtShutdownAreDestroyedNotRun) {
  std::vector<std::string> order;
  int done = 0;
  {
    asio::io_context ctx;
    FairTurns& turns = FairTurns::For(ctx.get_executor());
    Spawner s{ctx};
    const std::string f = "f";
    for (int i = 0; i < 10; ++i) s.Spawn(Client(turns, f, 0, order));
    for (int i = 0; i < 12; ++i) ctx.run_one();  // some started, some queued
    EXPECT_GT(turns.waiting(), 0u);
    done = s.done;
  }  // ~io_context: shutdown destroys the queued coroutines (ASan checks nothing leaks)
  EXPECT_LT(done, 10);
}

}  // namespace
}  // namespace vkube::net
