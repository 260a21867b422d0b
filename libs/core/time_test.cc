#include "libs/core/time.h"

#include <gtest/gtest.h>

namespace vkube {
namespace {

TEST(Time, Rfc3339RoundTrip) {
  auto t = ParseRfc3339("2024-02-29T23:59:58Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "2024-02-29T23:59:58Z");
  auto off = ParseRfc3339("2024-03-01T01:59:58+02:00");
  ASSERT_TRUE(off.has_value());
  EXPECT_EQ(*off, *t);
  EXPECT_FALSE(ParseRfc3339("2024-02-29 23:59:58Z").has_value());
  EXPECT_FALSE(ParseRfc3339("garbage").has_value());
}

TEST(Time, HumanDurationMatchesKubectl) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(5)), "5s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(200)), "3m20s");
  EXPECT_EQ(HumanDuration(seconds(60 * 15)), "15m");
  EXPECT_EQ(HumanDuration(seconds(3600 * 4 + 60 * 5)), "4h5m");
  EXPECT_EQ(HumanDuration(seconds(3600 * 20)), "20h");
  EXPECT_EQ(HumanDuration(seconds(3600 * 53)), "2d5h");
  EXPECT_EQ(HumanDuration(seconds(86400 * 30)), "30d");
}

}  // namespace
}  // namespace vkube
