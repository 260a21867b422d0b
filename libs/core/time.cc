#include "libs/core/time.h"

#include <cstdio>
#include <ctime>

namespace vkube {

std::string FormatRfc3339(SystemTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<SystemTime> ParseRfc3339(std::string_view s) {
  // Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)".
  if (s.size() < 20) return std::nullopt;
  std::tm tm{};
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6 || consumed != 19) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t i = 19;
  if (i < str.size() && str[i] == '.') {
    ++i;
    while (i < str.size() && str[i] >= '0' && str[i] <= '9') ++i;
  }
  long offset = 0;
  if (i < str.size() && (str[i] == 'Z' || str[i] == 'z')) {
    ++i;
  } else if (i + 6 == str.size() && (str[i] == '+' || str[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(str.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600L + mm * 60L) * (str[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != str.size()) return std::nullopt;
  std::time_t tt = timegm(&tm);
  if (tt == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(tt - offset);
}

std::string HumanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  auto str = [](long long v) { return std::to_string(v); };
  if (s < 120) return str(s) + "s";
  long long m = s / 60;
  if (m < 10) {
    long long rs = s % 60;
    return rs == 0 ? str(m) + "m" : str(m) + "m" + str(rs) + "s";
  }
  if (m < 180) return str(m) + "m";
  long long h = s / 3600;
  if (h < 8) {
    long long rm = (s % 3600) / 60;
    return rm == 0 ? str(h) + "h" : str(h) + "h" + str(rm) + "m";
  }
  if (h < 48) return str(h) + "h";
  if (h < 24 * 8) {
    long long rh = h % 24;
    return rh == 0 ? str(h / 24) + "d" : str(h / 24) + "d" + str(rh) + "h";
  }
  if (h < 24 * 365 * 2) return str(h / 24) + "d";
  if (h < 24 * 365 * 8) {
    long long dy = (h / 24) % 365;
    return dy == 0 ? str(h / 24 / 365) + "y" : str(h / 24 / 365) + "y" + str(dy) + "d";
  }
  return str(h / 24 / 365) + "y";
}

}  // namespace vkube
