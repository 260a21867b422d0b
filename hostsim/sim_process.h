#pragma once
// The processes `kubectl exec` can run in a simulated container: a small fixed table, no real
// process, no shell. Each reads stdin and writes stdout/stderr through ProcessIo.
//
//   echo [-n] ARGS...    ARGS joined by spaces, then a newline (none with -n)
//   true / false         exit 0 / 1
//   sh|bash -c SCRIPT    SCRIPT split into words ('…', "…", \ quoting; no pipes, no ;):
//                        `exit N` exits N (mod 256), anything else runs as a command of this table
//   cat                  stdin to stdout until stdin ends
//   hostname             the pod's name
//   env / printenv       PATH, HOSTNAME, the container's literal env values, HOME
//   pwd                  the container's workingDir, "/" by default
//   sleep SECONDS        waits (fractions allowed, at most an hour; ends early when the client leaves)
//   date                 the current time, UTC, as `date` prints it in the C locale
//   ls [PATH...]         a fixed root (bin dev etc home proc root sys tmp usr var), its directories
//                        empty; other paths "ls: cannot access 'P': No such file or directory", exit 2
//   anything else        "sh: CMD: not found" on stderr, exit 127
// Commands may be given as paths (/bin/echo): only the last path element is looked up.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace vkube::hostsim {

struct ProcessContext {
  std::string pod;          // the hostname
  std::string working_dir;  // "" = "/"
  std::vector<std::pair<std::string, std::string>> env;  // the container's env with literal values, in order
};

class ProcessIo {
 public:
  virtual ~ProcessIo() = default;
  // false once nobody reads any more (the client left): the process should end.
  virtual boost::asio::awaitable<bool> Stdout(std::string data) = 0;
  virtual boost::asio::awaitable<bool> Stderr(std::string data) = 0;
  // The next stdin bytes; std::nullopt once stdin ended (or was never attached).
  virtual boost::asio::awaitable<std::optional<std::string>> Stdin() = 0;
  // Whether the client has left (long-running commands stop).
  virtual bool closed() const { return false; }
};

inline constexpr int kCommandNotFound = 127;

// Runs argv in the simulated container and returns its exit code.
boost::asio::awaitable<int> RunSimulatedCommand(std::vector<std::string> argv, const ProcessContext& ctx, ProcessIo& io);

// sh's word splitting for the scripts above.
std::vector<std::string> SplitWords(std::string_view script);

}  // namespace vkube::hostsim
