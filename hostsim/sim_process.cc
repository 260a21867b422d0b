#include "hostsim/sim_process.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::hostsim {

namespace asio = boost::asio;

namespace {

constexpr int kMaxShellDepth = 8;  // sh -c 'sh -c ...' nests at most this deep
constexpr std::chrono::seconds kMaxSleep{3600};           // a longer sleep is cut to this
constexpr std::chrono::milliseconds kSleepSlice{100};      // a sleeping process notices a client leaving
constexpr std::string_view kPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string BaseName(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// `exit N` as sh reads N: digits mod 256; anything else is sh's "Illegal number" (exit 2).
int ExitCode(const std::vector<std::string>& words) {
  if (words.size() < 2) return 0;
  long long n = 0;
  const std::string& s = words[1];
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return 2;
  return static_cast<int>(((n % 256) + 256) % 256);
}

// sleep's operand: seconds with an optional fraction, at most kMaxSleep.
std::optional<std::chrono::milliseconds> SleepDuration(const std::vector<std::string>& argv) {
  if (argv.size() != 2) return std::nullopt;
  const std::string& s = argv[1];
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !(seconds >= 0)) return std::nullopt;
  const double capped = std::min(seconds, static_cast<double>(kMaxSleep.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * 1000));
}

std::string SleepUsage(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return "sleep: missing operand\n";
  return "sleep: invalid time interval '" + argv[1] + "'\n";
}

// `date` in the C locale, UTC: "Mon Jan  2 15:04:05 UTC 2006".
std::string DateLine(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S UTC %Y\n", &tm);
  return std::string(buf, n);
}

// `ls [PATH...]` of a container's fixed root: "/" lists it, a top-level directory is empty, any
// other path does not exist (GNU ls: exit 2).
int List(const std::vector<std::string>& argv, std::string& out, std::string& err) {
  static constexpr std::string_view kRoot[] = {"bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "usr", "var"};
  int code = 0;
  std::vector<std::string> paths(argv.begin() + 1, argv.end());
  paths.erase(std::remove_if(paths.begin(), paths.end(), [](const std::string& a) { return a.starts_with('-'); }),
              paths.end());
  if (paths.empty()) paths.push_back("/");
  for (const std::string& p : paths) {
    std::string_view name = p;
    while (name.size() > 1 && name.back() == '/') name.remove_suffix(1);
    if (name == "/" || name == ".") {
      for (std::string_view e : kRoot) out += std::string(e) + "\n";
      continue;
    }
    if (name.starts_with('/')) name.remove_prefix(1);
    if (std::find(std::begin(kRoot), std::end(kRoot), name) != std::end(kRoot)) continue;
    err += "ls: cannot access '" + p + "': No such file or directory\n";
    code = 2;
  }
  return code;
}

asio::awaitable<int> Run(std::vector<std::string> argv, const ProcessContext& ctx, ProcessIo& io, int depth) {
  if (argv.empty()) co_return 0;
  const std::string cmd = BaseName(argv[0]);
  if (cmd == "echo") {
    std::size_t first = 1;
    bool newline = true;
    if (argv.size() > 1 && argv[1] == "-n") {
      newline = false;
      first = 2;
    }
    std::string out;
    for (std::size_t i = first; i < argv.size(); ++i) out += (i > first ? " " : "") + argv[i];
    if (newline) out += '\n';
    if (!out.empty()) co_await io.Stdout(std::move(out));
    co_return 0;
  }
  if (cmd == "true") co_return 0;
  if (cmd == "false") co_return 1;
  if ((cmd == "sh" || cmd == "bash") && argv.size() >= 3 && argv[1] == "-c") {
    std::vector<std::string> words = SplitWords(argv[2]);
    if (words.empty()) co_return 0;
    if (words[0] == "exit") co_return ExitCode(words);
    if (depth >= kMaxShellDepth) co_return 2;
    co_return co_await Run(std::move(words), ctx, io, depth + 1);
  }
  if (cmd == "cat" && argv.size() == 1) {
    for (;;) {
      std::optional<std::string> in = co_await io.Stdin();
      if (!in) break;
      if (in->empty()) continue;
      const bool more = co_await io.Stdout(std::move(*in));  // (never co_await in a && operand: GCC 12)
      if (!more) break;
    }
    co_return 0;
  }
  if (cmd == "hostname") {
    co_await io.Stdout(ctx.pod + "\n");
    co_return 0;
  }
  if (cmd == "env" || cmd == "printenv") {
    std::string out = "PATH=" + std::string(kPath) + "\nHOSTNAME=" + ctx.pod + "\n";
    for (const auto& kv : ctx.env) out += kv.first + "=" + kv.second + "\n";
    out += "HOME=/root\n";
    co_await io.Stdout(std::move(out));
    co_return 0;
  }
  if (cmd == "pwd") {
    std::string dir = ctx.working_dir;  // (no ?: in a coroutine: GCC 12)
    if (dir.empty()) dir = "/";
    co_await io.Stdout(dir + "\n");
    co_return 0;
  }
  if (cmd == "sleep") {
    std::optional<std::chrono::milliseconds> d = SleepDuration(argv);
    if (!d) {
      co_await io.Stderr(SleepUsage(argv));
      co_return 1;
    }
    // In slices, so a session whose client left ends promptly.
    asio::steady_timer t(co_await asio::this_coro::executor);
    const auto until = std::chrono::steady_clock::now() + *d;
    while (!io.closed() && std::chrono::steady_clock::now() < until) {
      t.expires_at(std::min(until, std::chrono::steady_clock::now() + kSleepSlice));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return 0;
  }
  if (cmd == "date") {
    co_await io.Stdout(DateLine(std::chrono::system_clock::now()));
    co_return 0;
  }
  if (cmd == "ls") {
    std::string out, err;
    const int code = List(argv, out, err);
    if (!out.empty()) co_await io.Stdout(std::move(out));
    if (!err.empty()) co_await io.Stderr(std::move(err));
    co_return code;
  }
  co_await io.Stderr("sh: " + argv[0] + ": not found\n");
  co_return kCommandNotFound;
}

}  // namespace

asio::awaitable<int> RunSimulatedCommand(std::vector<std::string> argv, const ProcessContext& ctx, ProcessIo& io) {
  co_return co_await Run(std::move(argv), ctx, io, 0);
}

std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      in_word = true;
      const std::size_t end = s.find('\'', i + 1);
      word.append(s.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
      i = end == std::string_view::npos ? s.size() : end;
    } else if (c == '"') {
      in_word = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$')) ++i;
        word.push_back(s[i]);
      }
    } else if (c == '\\' && i + 1 < s.size()) {
      in_word = true;
      word.push_back(s[++i]);
    } else {
      in_word = true;
      word.push_back(c);
    }
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

}  // namespace vkube::hostsim
