#pragma once
// Command line of the vkube binary.
#include <cstdint>
#include <string>
#include <vector>

#include "libs/core/result.h"

namespace vkube {

struct ServeOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 6443;
  std::vector<std::string> tls_sans;
  unsigned threads = 0;  // 0 = one per core
  std::string openapi_schema = "/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json";
  std::string log_level = "info";
  bool http2 = true;
  unsigned idle_timeout_seconds = 90;  // keep-alive connections with no request are closed after this
};

struct Command {
  enum class Kind { kServe, kVersion, kHelp } kind = Kind::kHelp;
  ServeOptions serve;
};

Result<Command> ParseCommandLine(const std::vector<std::string>& args);
std::string Usage();

}  // namespace vkube
