#pragma once
// Test-only: the real vkube binary (VKUBE_BINARY, set by CMake; the environment variable
// VKUBE_TEST_BINARY overrides it) serving a temporary data dir.
// Start() waits for its "vkube ready listen=..." log line; Restart() stops it (SIGTERM) and starts
// it again on the same port and data dir, as an operator restarting the host API would.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libs/core/result.h"

namespace vkube::kube::testing {

// mkdtemp under /tmp, removed with its content on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "vkube-kc");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class VkubeProcess {
 public:
  struct Options {
    std::string data_dir;
    std::string listen = "127.0.0.1:0";
    std::vector<std::string> extra_args;
    std::chrono::seconds ready_timeout{60};
  };

  static Result<std::unique_ptr<VkubeProcess>> Start(Options options);
  ~VkubeProcess();  // Stop()
  VkubeProcess(const VkubeProcess&) = delete;
  VkubeProcess& operator=(const VkubeProcess&) = delete;

  // SIGTERM and wait (graceful drain). Idempotent.
  void Stop();
  // Stop, then start again on the same port and data dir.
  Status Restart();

  const std::string& url() const { return url_; }  // https://127.0.0.1:PORT
  std::uint16_t port() const { return port_; }
  std::string kubeconfig_path() const { return options_.data_dir + "/admin.kubeconfig"; }
  std::string log_path() const { return options_.data_dir + "/vkube.log"; }
  pid_t pid() const { return pid_; }

 private:
  explicit VkubeProcess(Options options) : options_(std::move(options)) {}
  Status Launch();

  Options options_;
  pid_t pid_ = -1;
  std::string url_;
  std::uint16_t port_ = 0;
};

// Runs the vkube binary with `args` (e.g. {"connect", "a", "--data-dir", D, "--out", F}) and waits
// for it; an error unless it exits 0. Its output goes to `log_path`.
Status RunVkube(const std::vector<std::string>& args, const std::string& log_path);

// Established TCP connections from this process to 127.0.0.1:`port` (from /proc/net/tcp).
int CountClientConnections(std::uint16_t port);

}  // namespace vkube::kube::testing
