#include "hostsim/sim_process.h"

#include <charconv>

namespace vkube::hostsim {

namespace asio = boost::asio;

namespace {

constexpr int kMaxShellDepth = 8;  // sh -c 'sh -c ...' nests at most this deep
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
      if (!in->empty() && !co_await io.Stdout(std::move(*in))) break;
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
    co_await io.Stdout((ctx.working_dir.empty() ? std::string("/") : ctx.working_dir) + "\n");
    co_return 0;
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
