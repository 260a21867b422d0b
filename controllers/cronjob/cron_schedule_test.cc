#include "controllers/cronjob/cron_schedule.h"

#include <gtest/gtest.h>

namespace vkube::controllers {
namespace {

std::string NextAfter(const char* spec, const char* at) {
  auto s = CronSchedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << spec;
  if (!s.ok()) return "";
  auto n = s->Next(*ParseRfc3339(at));
  return n ? FormatRfc3339(*n) : "never";
}

TEST(CronSchedule, FieldsRangesStepsListsNamesAndMacros) {
  EXPECT_EQ(NextAfter("*/1 * * * *", "2024-01-01T10:00:30Z"), "2024-01-01T10:01:00Z");
  EXPECT_EQ(NextAfter("*/15 * * * *", "2024-01-01T10:01:00Z"), "2024-01-01T10:15:00Z");
  EXPECT_EQ(NextAfter("30 2 * * *", "2024-01-01T10:00:00Z"), "2024-01-02T02:30:00Z");
  EXPECT_EQ(NextAfter("0 9-17/4 * * MON-FRI", "2024-01-05T17:00:00Z"), "2024-01-08T09:00:00Z");  // Fri → Mon
  EXPECT_EQ(NextAfter("0 0 1 jan,jul *", "2024-02-10T00:00:00Z"), "2024-07-01T00:00:00Z");
  EXPECT_EQ(NextAfter("@hourly", "2024-01-01T10:59:59Z"), "2024-01-01T11:00:00Z");
  EXPECT_EQ(NextAfter("@weekly", "2024-01-01T00:00:00Z"), "2024-01-07T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 29 2 *", "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * 7", "2024-01-01T00:00:00Z"), "2024-01-07T00:00:00Z");
  // Day of month OR day of week when both are restricted (cron semantics).
  EXPECT_EQ(NextAfter("0 0 15 * MON", "2024-01-02T00:00:00Z"), "2024-01-08T00:00:00Z");
}

TEST(CronSchedule, RejectsMalformed) {
  for (const char* bad : {"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *",
                          "a * * * *", "5-1 * * * *", "* * * * 8"}) {
    EXPECT_FALSE(CronSchedule::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vkube::controllers
