#pragma once
// The kubelet's wire formats for pods/exec, pods/attach and pods/portforward, as pure functions:
// subprotocol choice, channel-prefixed WebSocket frames of the remotecommand protocol (v4, v5)
// and of the WebSocket port-forward protocol, and the metav1.Status a session ends with.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vkube::hostsim {

// WebSocket subprotocols (k8s.io/apimachinery/pkg/util/remotecommand, kubelet portforward).
inline constexpr std::string_view kStreamV5 = "v5.channel.k8s.io";
inline constexpr std::string_view kStreamV4 = "v4.channel.k8s.io";
inline constexpr std::string_view kPortForwardV1 = "portforward.k8s.io";
inline constexpr std::string_view kSpdyTunnelPortForward = "SPDY/3.1+portforward.k8s.io";

// remotecommand channels.
inline constexpr std::uint8_t kChannelStdin = 0;
inline constexpr std::uint8_t kChannelStdout = 1;
inline constexpr std::uint8_t kChannelStderr = 2;
inline constexpr std::uint8_t kChannelError = 3;
inline constexpr std::uint8_t kChannelResize = 4;
inline constexpr std::uint8_t kChannelClose = 255;  // v5: payload is the channel the client closes

// The exec/attach subprotocol to answer with, from the client's offer: v5 preferred, then v4.
// nullopt: none we speak (the kubelet then refuses the upgrade).
std::optional<std::string> ChooseStreamProtocol(const std::vector<std::string>& offered);

// One message of the remotecommand protocol: the channel byte, then the payload.
std::string ChannelFrame(std::uint8_t channel, std::string_view payload);
struct ChannelMessage {
  std::uint8_t channel = 0;
  std::string_view payload;
};
// nullopt for an empty message (no channel byte).
std::optional<ChannelMessage> ParseChannelFrame(std::string_view message);

// The status a remotecommand session ends with on the error channel (the kubelet's JSON):
// {"metadata":{},"status":"Success"} for exit code 0, else NonZeroExitCode with an ExitCode cause.
std::string ExitStatusJson(int exit_code, const std::vector<std::string>& command);
// An InternalError status for a session that could not run (the kubelet's wording).
std::string InternalErrorStatusJson(std::string_view message);

// WebSocket port-forward: port index i uses data channel 2i and error channel 2i+1; the server's
// first message on each carries the port, little-endian uint16.
std::string PortPrefixFrame(std::uint8_t channel, std::uint16_t port);

}  // namespace vkube::hostsim
