#include "libs/kubeclient/testing/vkube_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace vkube::kube::testing {

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  char* p = mkdtemp(tmpl.data());
  path_ = p != nullptr ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

namespace {

std::string BinaryPath() {
  const char* env = std::getenv("VKUBE_TEST_BINARY");
  return env != nullptr && *env != '\0' ? env : VKUBE_BINARY;
}

// posix_spawn with stdout and stderr appended to `log_path` (never inheriting the test's pipes).
Result<pid_t> Spawn(std::vector<std::string> args, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Error::Make(ErrorCode::kInternal, "cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

Result<std::unique_ptr<VkubeProcess>> VkubeProcess::Start(Options options) {
  std::unique_ptr<VkubeProcess> p(new VkubeProcess(std::move(options)));
  if (auto st = p->Launch(); !st) return st.take_error();
  return p;
}

VkubeProcess::~VkubeProcess() { Stop(); }

Status RunVkube(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv = {BinaryPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto pid = Spawn(std::move(argv), log_path);
  if (!pid) return pid.take_error();
  int status = 0;
  // A command that hangs must not hang the test: 60 s, then it is killed.
  bool exited = false;
  for (int i = 0; i < 1200 && !exited; ++i) {
    exited = waitpid(*pid, &status, WNOHANG) == *pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    return Error::Make(ErrorCode::kTimeout, "vkube did not finish within 60s; see " + log_path);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::Make(ErrorCode::kInternal, "vkube failed; see " + log_path);
  }
  return {};
}

Status VkubeProcess::Launch() {
  const std::string log = log_path();
  // Only lines written by this launch count (a restart appends to the same log).
  std::error_code ec;
  const auto offset = std::filesystem::exists(log, ec) ? std::filesystem::file_size(log, ec) : 0;
  std::vector<std::string> args = {BinaryPath(), "serve", "--data-dir", options_.data_dir, "--listen", options_.listen};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  auto pid = Spawn(std::move(args), log);
  if (!pid) return pid.take_error();
  pid_ = *pid;
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Error::Make(ErrorCode::kInternal, "vkube exited before it was ready; see " + log);
    }
    std::ifstream in(log);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find("vkube ready listen=");
      if (at == std::string::npos) continue;
      std::string url = line.substr(at + std::string("vkube ready listen=").size());
      url = url.substr(0, url.find(' '));
      url_ = url;
      port_ = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Stop();
  return Error::Make(ErrorCode::kTimeout, "vkube did not become ready; see " + log);
}

void VkubeProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status VkubeProcess::Restart() {
  Stop();
  options_.listen = "127.0.0.1:" + std::to_string(port_);
  // The port may linger for a moment after the old process is gone.
  Status last = Error::Make(ErrorCode::kInternal, "restart failed");
  for (int i = 0; i < 20; ++i) {
    last = Launch();
    if (last) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}

int CountClientConnections(std::uint16_t port) {
  // /proc/self/net/tcp lists the sockets of this network namespace; ours are the ones whose
  // inode belongs to this process.
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code lec;
    auto target = std::filesystem::read_symlink(fd.path(), lec).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  char remote[16];
  std::snprintf(remote, sizeof remote, "0100007F:%04X", port);
  std::ifstream in("/proc/self/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string sl, local, rem, state, queues, timer, retrans, uid, timeout, inode;
    ss >> sl >> local >> rem >> state >> queues >> timer >> retrans >> uid >> timeout >> inode;
    if (rem == remote && state == "01" && inodes.count(inode) != 0) ++n;
  }
  return n;
}

}  // namespace vkube::kube::testing
