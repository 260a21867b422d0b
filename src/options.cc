#include "src/options.h"

namespace vkube {

std::string Usage() {
  return "usage:\n"
         "  vkube serve --data-dir DIR [--listen HOST:PORT] [--tls-san NAME]... [--threads N]\n"
         "              [--openapi-schema PATH] [--log-level debug|info|warn|error] [--no-http2]\n"
         "              [--idle-timeout SECONDS]\n"
         "  vkube version\n";
}

Result<Command> ParseCommandLine(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") return cmd;
  if (args[0] == "version" || args[0] == "--version") {
    cmd.kind = Command::Kind::kVersion;
    return cmd;
  }
  if (args[0] != "serve") return Error::Make(ErrorCode::kBadRequest, "unknown command: " + args[0]);
  cmd.kind = Command::Kind::kServe;
  ServeOptions& o = cmd.serve;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i], value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "--help") {
      cmd.kind = Command::Kind::kHelp;
      return cmd;
    } else if (flag != "--no-http2") {
      if (i + 1 >= args.size()) return Error::Make(ErrorCode::kBadRequest, "flag needs a value: " + flag);
      value = args[++i];
    }
    if (flag == "--data-dir") {
      o.data_dir = value;
    } else if (flag == "--listen") {
      auto colon = value.rfind(':');
      if (colon == std::string::npos) return Error::Make(ErrorCode::kBadRequest, "--listen wants HOST:PORT");
      o.listen_host = value.substr(0, colon);
      std::string port = value.substr(colon + 1);
      if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(port) > 65535) {
        return Error::Make(ErrorCode::kBadRequest, "invalid port in --listen: " + port);
      }
      o.listen_port = static_cast<std::uint16_t>(std::stoul(port));
    } else if (flag == "--tls-san") {
      o.tls_sans.push_back(value);
    } else if (flag == "--threads") {
      if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos || value.size() > 3) {
        return Error::Make(ErrorCode::kBadRequest, "invalid --threads: " + value);
      }
      o.threads = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--openapi-schema") {
      o.openapi_schema = value;
    } else if (flag == "--log-level") {
      if (value != "debug" && value != "info" && value != "warn" && value != "error") {
        return Error::Make(ErrorCode::kBadRequest, "invalid --log-level: " + value);
      }
      o.log_level = value;
    } else if (flag == "--idle-timeout") {
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(value) == 0) {
        return Error::Make(ErrorCode::kBadRequest, "invalid --idle-timeout: " + value);
      }
      o.idle_timeout_seconds = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--no-http2") {
      o.http2 = false;
    } else {
      return Error::Make(ErrorCode::kBadRequest, "unknown flag: " + flag);
    }
  }
  if (o.data_dir.empty()) return Error::Make(ErrorCode::kBadRequest, "--data-dir is required");
  return cmd;
}

}  // namespace vkube
