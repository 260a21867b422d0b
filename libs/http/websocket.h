#pragma once
// WebSocket (RFC 6455) on an UpgradedStream: the opening handshake's server side, a pure frame
// codec, and a message-level connection with explicit limits. Written here rather than with
// Beast's websocket::stream because the 101 is answered by the HTTP codec (AcceptUpgrade), which
// Beast's stream cannot start after; Beast's client is the independent check in the tests.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "libs/core/result.h"
#include "libs/http/message.h"
#include "libs/http/upgrade.h"

namespace vkube::http::websocket {

// ---- opening handshake (server side) --------------------------------------------------------

// An upgrade request to WebSocket version 13 with a key (RFC 6455 §4.2.1).
bool IsWebSocketRequest(const Request& request);
// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
std::string AcceptKey(std::string_view client_key);
// Sec-WebSocket-Protocol values the client offered, in its order (every header line, comma lists).
std::vector<std::string> OfferedProtocols(const Request& request);
// The 101 that completes the handshake of `request`, selecting `protocol` ("" selects none).
Response SwitchingProtocols(const Request& request, std::string_view protocol);

// ---- frames ---------------------------------------------------------------------------------

enum class Opcode : std::uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

struct FrameHeader {
  bool fin = true;
  Opcode opcode = Opcode::kBinary;
  bool masked = false;
  std::array<std::uint8_t, 4> mask{};
  std::uint64_t length = 0;    // payload bytes
  std::size_t header_bytes = 0;  // 2..14
};

// The header at the start of `data`: std::nullopt while incomplete, an error (kBadRequest) for a
// protocol violation (reserved bits, unknown opcode, fragmented or oversized control frame, a
// 64-bit length with the top bit set).
Result<std::optional<FrameHeader>> ParseFrameHeader(std::string_view data);
// One frame; `mask` (client role) masks the payload as RFC 6455 §5.3 requires of clients.
std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin = true,
                        const std::array<std::uint8_t, 4>* mask = nullptr);
// XORs `data` with the mask, `offset` bytes into the frame's payload.
void ApplyMask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask, std::size_t offset = 0);

// Close codes used here (RFC 6455 §7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseTooBig = 1009;

// ---- messages -------------------------------------------------------------------------------

enum class Role { kServer, kClient };

struct Limits {
  std::size_t max_message_bytes = 1024 * 1024;  // a larger message (all fragments) closes with 1009
  std::size_t read_chunk_bytes = 16 * 1024;     // one ReadSome
  std::chrono::milliseconds close_timeout{2000};  // after our close frame, wait this long for the peer's
};

struct Message {
  Opcode opcode = Opcode::kBinary;  // kText or kBinary
  std::string data;
};

// A WebSocket connection over an established stream. One coroutine reads; writes may come from
// several coroutines on the stream's executor (they are queued, one frame at a time).
class Connection {
 public:
  Connection(UpgradedStream& stream, Role role, Limits limits = {});
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The next data message. Pings are answered, pongs skipped. Errors: eof after the peer's close
  // frame (answered), message_size (closed with 1009), invalid_argument (protocol error, closed
  // with 1002), or the stream's own error.
  boost::asio::awaitable<boost::system::error_code> Read(Message& out);
  // One unfragmented message.
  boost::asio::awaitable<boost::system::error_code> Write(Opcode opcode, std::string_view payload);
  // Sends a close frame (once) and waits up to close_timeout for the peer's close (or EOF), so the
  // last bytes are not lost to a reset. The stream stays with its owner (a server handler returns
  // and the codec closes the connection with TLS close_notify). Must not run while another
  // coroutine is in Read().
  boost::asio::awaitable<void> Close(std::uint16_t code = kCloseNormal, std::string_view reason = {});
  // Sends a close frame without waiting (the reader sees the peer's answer).
  boost::asio::awaitable<boost::system::error_code> SendClose(std::uint16_t code, std::string_view reason = {});

  // The peer's close code (0 until one arrived).
  std::uint16_t peer_close_code() const { return peer_close_code_; }
  UpgradedStream& stream() { return stream_; }

 private:
  boost::asio::awaitable<boost::system::error_code> WriteFrame(Opcode opcode, std::string_view payload);
  boost::asio::awaitable<boost::system::error_code> Fill();
  boost::asio::awaitable<boost::system::error_code> Fail(std::uint16_t code, boost::system::error_code ec);

  UpgradedStream& stream_;
  const Role role_;
  const Limits limits_;
  std::string in_;  // received, not yet parsed
  std::size_t in_pos_ = 0;
  bool close_sent_ = false;
  std::uint16_t peer_close_code_ = 0;
  bool writing_ = false;
  boost::asio::steady_timer write_done_;  // wakes queued writers (never expires; cancelled)
};

// Carries a byte stream in binary messages (kube's SPDY-over-WebSocket tunnel): each Write is one
// message, ReadSome returns message payloads in order. Close() closes the underlying stream.
class Tunnel final : public UpgradedStream {
 public:
  explicit Tunnel(Connection& connection) : ws_(connection) {}
  boost::asio::awaitable<IoResult> ReadSome(boost::asio::mutable_buffer buf) override;
  boost::asio::awaitable<boost::system::error_code> Write(boost::asio::const_buffer data) override;
  void Close() override { ws_.stream().Close(); }
  bool is_open() const override { return open_; }
  void set_limits(StreamLimits limits) override { ws_.stream().set_limits(limits); }
  boost::asio::any_io_executor get_executor() override { return ws_.stream().get_executor(); }

 private:
  Connection& ws_;
  Message current_;
  std::size_t pos_ = 0;
  bool open_ = true;
};

}  // namespace vkube::http::websocket
