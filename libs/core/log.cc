#include "libs/core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace vkube::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};  // immutable after start-up
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view line) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out;
  out.reserve(line.size() + 48);
  out.append(ts).append(".").append(std::to_string(1000 + ms).substr(1)).append("Z ");
  out.append(kNames[static_cast<int>(level)]).append(" ").append(line).append("\n");
  std::fwrite(out.data(), 1, out.size(), stderr);  // one write per line: lines never interleave
}

}  // namespace vkube::log
