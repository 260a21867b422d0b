#include "libs/core/crash_report.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

namespace vkube {
namespace {

// What escapes a thread (an io thread's handler) names itself and where it came from.
TEST(CrashReportDeathTest, AnExceptionEscapingAThreadIsReportedWithItsStack) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        InstallCrashReport();
        std::thread([] { throw std::runtime_error("co_await: Operation canceled"); }).join();
      },
      "vkube: fatal: std::terminate: uncaught .*runtime_error.*: co_await: Operation canceled\nstack \\(addr2line");
}

TEST(CrashReportDeathTest, AFatalSignalIsReportedWithItsStack) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        InstallCrashReport();
        ::raise(SIGSEGV);
      },
      "vkube: fatal: Segmentation fault\nstack \\(addr2line");
}

}  // namespace
}  // namespace vkube
