#pragma once
// Minimal structured logging to stderr: one line per event, `ts level msg key=value...`.
// Level is process-wide immutable config set once at start-up.
#include <sstream>
#include <string_view>

namespace vkube::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);  // call once at start-up, before threads start
bool Enabled(Level level);
void Write(Level level, std::string_view line);

// Usage: VKUBE_LOG(kInfo) << "listening addr=" << addr;
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  ~Line() { Write(level_, os_.str()); }
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  template <typename T>
  Line& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream os_;
};

}  // namespace vkube::log

#define VKUBE_LOG(lvl) \
  if (!::vkube::log::Enabled(::vkube::log::Level::lvl)) {} else ::vkube::log::Line(::vkube::log::Level::lvl)
