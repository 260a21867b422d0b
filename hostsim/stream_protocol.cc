#include "hostsim/stream_protocol.h"

#include <nlohmann/json.hpp>

namespace vkube::hostsim {

using nlohmann::json;

std::optional<std::string> ChooseStreamProtocol(const std::vector<std::string>& offered) {
  for (std::string_view want : {kStreamV5, kStreamV4}) {
    for (const auto& p : offered) {
      if (p == want) return p;
    }
  }
  return std::nullopt;
}

std::string ChannelFrame(std::uint8_t channel, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 1);
  out.push_back(static_cast<char>(channel));
  out.append(payload);
  return out;
}

std::optional<ChannelMessage> ParseChannelFrame(std::string_view message) {
  if (message.empty()) return std::nullopt;
  ChannelMessage m;
  m.channel = static_cast<std::uint8_t>(message[0]);
  m.payload = message.substr(1);
  return m;
}

std::string ExitStatusJson(int exit_code, const std::vector<std::string>& command) {
  if (exit_code == 0) return json{{"metadata", json::object()}, {"status", "Success"}}.dump();
  std::string argv;
  for (const auto& a : command) argv += (argv.empty() ? "" : " ") + a;
  // The kubelet's words: "command terminated with non-zero exit code: " + the runtime's ExitError.
  json st = {{"metadata", json::object()},
             {"status", "Failure"},
             {"message", "command terminated with non-zero exit code: error executing command [" + argv +
                             "], exit code " + std::to_string(exit_code)},
             {"reason", "NonZeroExitCode"},
             {"details", {{"causes", json::array({{{"reason", "ExitCode"}, {"message", std::to_string(exit_code)}}})}}}};
  return st.dump();
}

std::string InternalErrorStatusJson(std::string_view message) {
  json st = {{"metadata", json::object()},
             {"status", "Failure"},
             {"message", "Internal error occurred: " + std::string(message)},
             {"reason", "InternalError"},
             {"details", {{"causes", json::array({{{"message", std::string(message)}}})}}},
             {"code", 500}};
  return st.dump();
}

std::string PortPrefixFrame(std::uint8_t channel, std::uint16_t port) {
  std::string out;
  out.push_back(static_cast<char>(channel));
  out.push_back(static_cast<char>(port & 0xff));
  out.push_back(static_cast<char>(port >> 8));
  return out;
}

}  // namespace vkube::hostsim
