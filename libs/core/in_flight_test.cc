#include "libs/core/in_flight.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace vkube {
namespace {

TEST(InFlight, CloseWaitsForRunningScopesAndRefusesNewOnes) {
  InFlight f;
  std::atomic<bool> inside{false}, release{false}, finished{false};
  std::thread worker([&] {
    InFlight::Scope s(f);
    ASSERT_TRUE(s.entered());
    inside = true;
    while (!release) std::this_thread::yield();
    finished = true;
  });
  while (!inside) std::this_thread::yield();
  std::thread closer([&] {
    f.CloseAndWait();
    EXPECT_TRUE(finished.load());  // returned only after the running scope left
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release = true;
  worker.join();
  closer.join();
  InFlight::Scope late(f);
  EXPECT_FALSE(late.entered());
}

TEST(InFlight, ACallbackClosingItsOwnOwnerDoesNotWaitForItself) {
  InFlight f;
  InFlight::Scope s(f);
  ASSERT_TRUE(s.entered());
  f.CloseAndWait();  // would deadlock if it counted the caller's own scope
  SUCCEED();
}

}  // namespace
}  // namespace vkube
