#pragma once
// Standard 5-field cron schedules as CronJobs use them (robfig/cron's parser, which kube uses):
// minute hour day-of-month month day-of-week; `*`, `?`, values, ranges `a-b`, steps `*/n` `a-b/n`
// `a/n`, lists, month and weekday names, 7 = Sunday, and the macros @yearly @annually @monthly
// @weekly @daily @midnight @hourly. Times are UTC (spec.timeZone other than UTC/Etc/UTC is refused
// by the caller). Day-of-month and day-of-week combine with OR when both are restricted, as cron.
#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/result.h"
#include "libs/core/time.h"

namespace vkube::controllers {

class CronSchedule {
 public:
  static Result<CronSchedule> Parse(std::string_view spec);
  // The first scheduled time strictly after `t` (minute resolution); nullopt if none within 5 years.
  std::optional<SystemTime> Next(SystemTime t) const;

 private:
  std::bitset<60> minute_;
  std::bitset<24> hour_;
  std::bitset<32> dom_;  // 1..31
  std::bitset<13> month_;  // 1..12
  std::bitset<7> dow_;   // 0..6, Sunday = 0
  bool dom_star_ = false;
  bool dow_star_ = false;
};

}  // namespace vkube::controllers
