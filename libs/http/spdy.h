#pragma once
// SPDY/3.1 framing, server role: what kube's streaming protocols (port-forward, and exec/attach
// before WebSockets) run over: directly after `Upgrade: SPDY/3.1`, or tunnelled in WebSocket
// binary messages (`SPDY/3.1+portforward.k8s.io`, kubectl's default since 1.31).
//
// Only what those clients use: SYN_STREAM/SYN_REPLY with zlib-compressed header blocks (the
// SPDY/3 dictionary), DATA with FIN half-closes, RST_STREAM, PING (answered), GOAWAY. SETTINGS,
// WINDOW_UPDATE and HEADERS are read and ignored: Go's spdystream (kubectl, kubelet) does not
// enforce SPDY flow-control windows, so neither side waits for window updates.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "libs/core/result.h"
#include "libs/http/message.h"
#include "libs/http/upgrade.h"

struct z_stream_s;

namespace vkube::http::spdy {

inline constexpr std::uint16_t kVersion = 3;
enum class FrameType : std::uint16_t {
  kData = 0,  // (not a control type: data frames have no type field)
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};
inline constexpr std::uint8_t kFlagFin = 0x01;
// RST_STREAM status codes.
inline constexpr std::uint32_t kProtocolError = 1;
inline constexpr std::uint32_t kInvalidStream = 2;
inline constexpr std::uint32_t kRefusedStream = 3;
inline constexpr std::uint32_t kCancel = 5;
inline constexpr std::uint32_t kInternalError = 6;

// The SPDY/3 header-compression dictionary (draft 3, §2.6.10.1).
const std::string& HeaderDictionary();

// One zlib stream per direction and session, as SPDY/3 requires (header blocks share context).
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  // A name/value block (names lower-cased) compressed and sync-flushed.
  Result<std::string> Compress(const Headers& headers);

 private:
  std::unique_ptr<z_stream_s> z_;
  bool ok_ = false;
};

class HeaderDecompressor {
 public:
  explicit HeaderDecompressor(std::size_t max_block_bytes);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  // The headers of one compressed block (kBadRequest for corrupt data, a block larger than the
  // limit, or a malformed name/value list).
  Result<Headers> Decompress(std::string_view block);

 private:
  std::unique_ptr<z_stream_s> z_;
  std::size_t max_;
  bool ok_ = false;
};

// A frame as read: control frames carry their type and payload, data frames their stream.
struct Frame {
  bool control = false;
  FrameType type = FrameType::kData;
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;  // data frames (control frames: inside the payload)
  std::string payload;
};

// A frame at the start of `data` and its size in bytes: std::nullopt while incomplete; kBadRequest
// for an unsupported version or a frame over `max_frame_bytes`.
Result<std::optional<std::pair<Frame, std::size_t>>> ParseFrame(std::string_view data, std::size_t max_frame_bytes);

std::string EncodeControl(FrameType type, std::uint8_t flags, std::string_view payload);
std::string EncodeData(std::uint32_t stream_id, std::string_view data, bool fin);
std::string EncodeSynStream(std::uint32_t stream_id, std::string_view compressed_headers, bool fin);
std::string EncodeSynReply(std::uint32_t stream_id, std::string_view compressed_headers, bool fin);
std::string EncodeRstStream(std::uint32_t stream_id, std::uint32_t status);
std::string EncodePing(std::uint32_t id);
std::string EncodeGoAway(std::uint32_t last_good_stream, std::uint32_t status);
std::uint32_t ReadU32(std::string_view data, std::size_t pos);  // big-endian

struct Limits {
  std::size_t max_frame_bytes = 1024 * 1024;    // one frame's payload (SPDY allows 16 MiB)
  std::size_t max_header_bytes = 64 * 1024;     // one decompressed header block
  std::size_t max_data_chunk = 32 * 1024;       // our DATA frames are cut to this
  std::size_t max_open_streams = 1000;          // more SYN_STREAMs at once are refused
  std::size_t read_chunk_bytes = 16 * 1024;
};

// What a session reports to its application. Called from Session::Run's coroutine, one at a time:
// a slow callback holds back reading (backpressure, bounded memory).
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // A new stream from the peer, already answered with an empty SYN_REPLY (as the kubelet does);
  // refuse it with Session::Reset.
  virtual boost::asio::awaitable<void> OnStream(std::uint32_t id, const Headers& headers, bool fin) = 0;
  // Bytes on an accepted stream; `fin`: the peer will send nothing more on it.
  virtual boost::asio::awaitable<void> OnData(std::uint32_t id, std::string_view data, bool fin) = 0;
  // The peer reset the stream.
  virtual void OnReset(std::uint32_t id) = 0;
};

// A SPDY/3.1 session in the server role over a byte stream (an UpgradedStream, or a WebSocket
// Tunnel). Writes may come from several coroutines on the stream's executor; they are queued.
class Session {
 public:
  Session(UpgradedStream& stream, Limits limits = {});
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Reads frames until the peer's GOAWAY (eof), EOF, an error, or a protocol violation (answered
  // with GOAWAY PROTOCOL_ERROR).
  boost::asio::awaitable<boost::system::error_code> Run(StreamHandler& handler);
  boost::asio::awaitable<boost::system::error_code> SendData(std::uint32_t id, std::string_view data, bool fin);
  boost::asio::awaitable<boost::system::error_code> Reset(std::uint32_t id, std::uint32_t status);
  boost::asio::awaitable<boost::system::error_code> GoAway(std::uint32_t status = 0);
  UpgradedStream& stream() { return stream_; }

 private:
  boost::asio::awaitable<boost::system::error_code> WriteRaw(std::string bytes);
  boost::asio::awaitable<boost::system::error_code> Reply(std::uint32_t id);

  UpgradedStream& stream_;
  const Limits limits_;
  HeaderCompressor compressor_;
  HeaderDecompressor decompressor_;
  struct StreamState {
    bool peer_fin = false;
    bool our_fin = false;
  };
  void Forget(std::uint32_t id, bool peer_side);  // records a FIN; drops the stream once both sides ended

  std::uint32_t last_peer_stream_ = 0;
  std::map<std::uint32_t, StreamState> streams_;
  bool goaway_sent_ = false;
  bool writing_ = false;
  boost::asio::steady_timer write_done_;
};

}  // namespace vkube::http::spdy
