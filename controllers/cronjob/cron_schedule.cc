#include "controllers/cronjob/cron_schedule.h"

#include <ctime>
#include <map>
#include <vector>

namespace vkube::controllers {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::optional<int> Number(std::string_view s, const std::map<std::string, int>& names) {
  if (s.empty()) return std::nullopt;
  std::string upper;
  for (char c : s) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (auto it = names.find(upper); it != names.end()) return it->second;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > 1000) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Sets bits [lo, hi] step n of one field; returns false on a malformed or out-of-range part.
template <std::size_t N>
bool ParseField(std::string_view field, int lo, int hi, const std::map<std::string, int>& names, std::bitset<N>& bits,
                bool& star) {
  star = false;
  for (auto part : Split(field, ',')) {
    auto slash = part.find('/');
    std::string_view range = part.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      auto s = Number(part.substr(slash + 1), {});
      if (!s || *s <= 0) return false;
      step = *s;
    }
    int a = lo, b = hi;
    if (range == "*" || range == "?") {
      if (slash == std::string_view::npos) star = true;
    } else {
      auto dash = range.find('-');
      auto first = Number(range.substr(0, dash), names);
      if (!first) return false;
      a = *first;
      if (dash != std::string_view::npos) {
        auto last = Number(range.substr(dash + 1), names);
        if (!last) return false;
        b = *last;
      } else if (slash == std::string_view::npos) {
        b = a;
      }
    }
    if (a < lo || b > hi || a > b) return false;
    for (int v = a; v <= b; v += step) bits.set(static_cast<std::size_t>(v));
  }
  return true;
}

const std::map<std::string, int> kMonths = {{"JAN", 1}, {"FEB", 2}, {"MAR", 3}, {"APR", 4},  {"MAY", 5},  {"JUN", 6},
                                            {"JUL", 7}, {"AUG", 8}, {"SEP", 9}, {"OCT", 10}, {"NOV", 11}, {"DEC", 12}};
const std::map<std::string, int> kDays = {{"SUN", 0}, {"MON", 1}, {"TUE", 2}, {"WED", 3},
                                          {"THU", 4}, {"FRI", 5}, {"SAT", 6}};

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  static const std::map<std::string, std::string> kMacros = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"}};
  std::string text(spec);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  if (auto it = kMacros.find(text); it != kMacros.end()) text = it->second;
  std::vector<std::string_view> fields;
  for (auto f : Split(text, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  auto bad = [&](const std::string& why) {
    return Error::Make(ErrorCode::kInvalid, why);
  };
  if (fields.size() != 5) return bad("expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " + text);
  CronSchedule s;
  bool star = false;
  std::bitset<8> dow8;
  if (!ParseField(fields[0], 0, 59, {}, s.minute_, star)) return bad("failed to parse minute field: " + std::string(fields[0]));
  if (!ParseField(fields[1], 0, 23, {}, s.hour_, star)) return bad("failed to parse hour field: " + std::string(fields[1]));
  if (!ParseField(fields[2], 1, 31, {}, s.dom_, s.dom_star_)) return bad("failed to parse day-of-month field: " + std::string(fields[2]));
  if (!ParseField(fields[3], 1, 12, kMonths, s.month_, star)) return bad("failed to parse month field: " + std::string(fields[3]));
  if (!ParseField(fields[4], 0, 7, kDays, dow8, s.dow_star_)) return bad("failed to parse day-of-week field: " + std::string(fields[4]));
  for (int d = 0; d < 7; ++d) s.dow_[static_cast<std::size_t>(d)] = dow8[static_cast<std::size_t>(d)];
  if (dow8[7]) s.dow_.set(0);  // 7 is Sunday too
  return s;
}

std::optional<SystemTime> CronSchedule::Next(SystemTime t) const {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  secs = secs - secs % 60 + 60;  // next whole minute
  const std::time_t limit = secs + 5LL * 366 * 24 * 3600;
  while (secs < limit) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    if (!month_[static_cast<std::size_t>(tm.tm_mon + 1)]) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = 0;
      tm.tm_min = 0;
      tm.tm_sec = 0;
      secs = timegm(&tm);
      continue;
    }
    const bool dom = dom_[static_cast<std::size_t>(tm.tm_mday)];
    const bool dow = dow_[static_cast<std::size_t>(tm.tm_wday)];
    const bool day = (dom_star_ || dow_star_) ? (dom && dow) : (dom || dow);
    if (!day) {
      tm.tm_mday += 1;
      tm.tm_hour = 0;
      tm.tm_min = 0;
      tm.tm_sec = 0;
      secs = timegm(&tm);
      continue;
    }
    if (!hour_[static_cast<std::size_t>(tm.tm_hour)]) {
      tm.tm_hour += 1;
      tm.tm_min = 0;
      tm.tm_sec = 0;
      secs = timegm(&tm);
      continue;
    }
    if (!minute_[static_cast<std::size_t>(tm.tm_min)]) {
      secs += 60;
      continue;
    }
    return std::chrono::system_clock::from_time_t(secs);
  }
  return std::nullopt;
}

}  // namespace vkube::controllers
