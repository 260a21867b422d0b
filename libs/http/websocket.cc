#include "libs/http/websocket.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::http::websocket {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kMaxControlPayload = 125;
constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;
// Bytes a Close() discards while waiting for the peer's close frame.
constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class F>
void ForEachToken(std::string_view list, F f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view t = Trim(list.substr(0, comma));
    if (!t.empty()) f(t);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool ValidOpcode(std::uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

Header MakeHeader(std::string name, std::string value) {
  Header h;
  h.name = std::move(name);
  h.value = std::move(value);
  return h;
}

}  // namespace

bool IsWebSocketRequest(const Request& request) {
  if (!IsUpgradeRequest(request)) return false;
  bool websocket = false;
  ForEachToken(request.header("upgrade"), [&](std::string_view t) { websocket = websocket || IEquals(t, "websocket"); });
  return websocket && Trim(request.header("sec-websocket-version")) == "13" &&
         !Trim(request.header("sec-websocket-key")).empty();
}

std::string AcceptKey(std::string_view client_key) {
  std::string input(Trim(client_key));
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::string> OfferedProtocols(const Request& request) {
  std::vector<std::string> out;
  for (const auto& h : request.headers) {
    if (!IEquals(h.name, "sec-websocket-protocol")) continue;
    ForEachToken(h.value, [&](std::string_view t) { out.emplace_back(t); });
  }
  return out;
}

Response SwitchingProtocols(const Request& request, std::string_view protocol) {
  Response r;
  r.status = 101;
  r.headers.push_back(MakeHeader("upgrade", "websocket"));
  r.headers.push_back(MakeHeader("connection", "Upgrade"));
  r.headers.push_back(MakeHeader("sec-websocket-accept", AcceptKey(request.header("sec-websocket-key"))));
  if (!protocol.empty()) r.headers.push_back(MakeHeader("sec-websocket-protocol", std::string(protocol)));
  return r;
}

Result<std::optional<FrameHeader>> ParseFrameHeader(std::string_view data) {
  if (data.size() < 2) return std::optional<FrameHeader>();
  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  if ((b0 & 0x70) != 0) return Error::Make(ErrorCode::kBadRequest, "websocket: reserved bits set");
  const std::uint8_t op = b0 & 0x0f;
  if (!ValidOpcode(op)) return Error::Make(ErrorCode::kBadRequest, "websocket: unknown opcode " + std::to_string(op));
  FrameHeader h;
  h.fin = (b0 & 0x80) != 0;
  h.opcode = static_cast<Opcode>(op);
  h.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7f;
  std::size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h.masked ? 4 : 0);
  if (data.size() < need) return std::optional<FrameHeader>();
  std::size_t pos = 2;
  if (len7 == 126) {
    h.length = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(data[2])) << 8) | static_cast<std::uint8_t>(data[3]);
    pos = 4;
  } else if (len7 == 127) {
    h.length = 0;
    for (int i = 0; i < 8; ++i) h.length = (h.length << 8) | static_cast<std::uint8_t>(data[2 + i]);
    if ((h.length >> 63) != 0) return Error::Make(ErrorCode::kBadRequest, "websocket: payload length out of range");
    pos = 10;
  } else {
    h.length = len7;
  }
  if (op >= 8 && (!h.fin || h.length > kMaxControlPayload)) {
    return Error::Make(ErrorCode::kBadRequest, "websocket: fragmented or oversized control frame");
  }
  if (h.masked) {
    for (int i = 0; i < 4; ++i) h.mask[i] = static_cast<std::uint8_t>(data[pos + i]);
    pos += 4;
  }
  h.header_bytes = pos;
  return std::optional<FrameHeader>(h);
}

void ApplyMask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask, std::size_t offset) {
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) % 4]);
}

std::string EncodeFrame(Opcode opcode, std::string_view payload, bool fin, const std::array<std::uint8_t, 4>* mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode)));
  const std::uint8_t mask_bit = mask != nullptr ? 0x80 : 0;
  const std::uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  if (mask != nullptr) {
    for (std::uint8_t b : *mask) out.push_back(static_cast<char>(b));
  }
  const std::size_t start = out.size();
  out.append(payload);
  if (mask != nullptr) ApplyMask(out.data() + start, payload.size(), *mask);
  return out;
}

// ---- Connection -------------------------------------------------------------------------------

Connection::Connection(UpgradedStream& stream, Role role, Limits limits)
    : stream_(stream),
      role_(role),
      limits_(limits),
      write_done_(stream.get_executor(), asio::steady_timer::time_point::max()) {}

asio::awaitable<error_code> Connection::Fill() {
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ >= limits_.read_chunk_bytes) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  const std::size_t old = in_.size();
  const std::size_t chunk = std::max<std::size_t>(limits_.read_chunk_bytes, 1);
  in_.resize(old + chunk);
  IoResult r = co_await stream_.ReadSome(asio::buffer(in_.data() + old, chunk));
  in_.resize(old + r.bytes);
  if (r.bytes > 0) co_return error_code();
  if (r.ec) co_return r.ec;
  co_return error_code(asio::error::eof);
}

asio::awaitable<error_code> Connection::Fail(std::uint16_t code, error_code ec) {
  co_await SendClose(code);
  stream_.Close();
  co_return ec;
}

asio::awaitable<error_code> Connection::Read(Message& out) {
  out.data.clear();
  std::optional<Opcode> fragmented;  // opcode of a message whose first fragment arrived
  for (;;) {
    auto parsed = ParseFrameHeader(std::string_view(in_).substr(in_pos_));
    if (!parsed) co_return co_await Fail(kCloseProtocolError, asio::error::invalid_argument);
    if (!*parsed) {
      error_code ec = co_await Fill();
      if (ec) co_return ec;
      continue;
    }
    const FrameHeader h = **parsed;
    // Clients mask every frame, servers none (RFC 6455 §5.1).
    if (h.masked != (role_ == Role::kServer)) co_return co_await Fail(kCloseProtocolError, asio::error::invalid_argument);
    const bool data = h.opcode == Opcode::kText || h.opcode == Opcode::kBinary || h.opcode == Opcode::kContinuation;
    if (data && out.data.size() + h.length > limits_.max_message_bytes) {
      co_return co_await Fail(kCloseTooBig, asio::error::message_size);
    }
    while (in_.size() - in_pos_ < h.header_bytes + h.length) {
      error_code ec = co_await Fill();
      if (ec) co_return ec;
    }
    char* payload = in_.data() + in_pos_ + h.header_bytes;
    const auto len = static_cast<std::size_t>(h.length);
    if (h.masked) ApplyMask(payload, len, h.mask);
    const std::string_view body(payload, len);
    in_pos_ += h.header_bytes + len;
    switch (h.opcode) {
      case Opcode::kPing: {
        const std::string pong(body);  // the buffer may move while the pong is written
        error_code ec = co_await WriteFrame(Opcode::kPong, pong);
        if (ec) co_return ec;
        continue;
      }
      case Opcode::kPong: continue;
      case Opcode::kClose: {
        std::uint16_t code = 1005;  // "no status received"
        if (len >= 2) {
          code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) | static_cast<std::uint8_t>(body[1]));
        }
        peer_close_code_ = code;
        co_await SendClose(code == 1005 ? kCloseNormal : code);
        co_return error_code(asio::error::eof);
      }
      case Opcode::kText:
      case Opcode::kBinary:
        if (fragmented) co_return co_await Fail(kCloseProtocolError, asio::error::invalid_argument);
        out.data.append(body);
        if (h.fin) {
          out.opcode = h.opcode;
          co_return error_code();
        }
        fragmented = h.opcode;
        continue;
      case Opcode::kContinuation:
        if (!fragmented) co_return co_await Fail(kCloseProtocolError, asio::error::invalid_argument);
        out.data.append(body);
        if (h.fin) {
          out.opcode = *fragmented;
          co_return error_code();
        }
        continue;
    }
  }
}

asio::awaitable<error_code> Connection::WriteFrame(Opcode opcode, std::string_view payload) {
  while (writing_) co_await write_done_.async_wait(kTuple);
  writing_ = true;
  std::string frame;
  if (role_ == Role::kClient) {
    std::array<std::uint8_t, 4> mask{};
    RAND_bytes(mask.data(), static_cast<int>(mask.size()));
    frame = EncodeFrame(opcode, payload, true, &mask);
  } else {
    frame = EncodeFrame(opcode, payload, true, nullptr);
  }
  error_code ec = co_await stream_.Write(asio::buffer(frame));
  writing_ = false;
  write_done_.cancel();
  co_return ec;
}

asio::awaitable<error_code> Connection::Write(Opcode opcode, std::string_view payload) {
  if (close_sent_) co_return error_code(asio::error::shut_down);
  co_return co_await WriteFrame(opcode, payload);
}

asio::awaitable<error_code> Connection::SendClose(std::uint16_t code, std::string_view reason) {
  if (close_sent_) co_return error_code();
  close_sent_ = true;
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.substr(0, kMaxCloseReason));
  co_return co_await WriteFrame(Opcode::kClose, payload);
}

asio::awaitable<void> Connection::Close(std::uint16_t code, std::string_view reason) {
  error_code ec = co_await SendClose(code, reason);
  if (!ec && peer_close_code_ == 0) {
    StreamLimits quick;
    quick.idle_timeout = limits_.close_timeout;
    quick.write_timeout = limits_.close_timeout;
    stream_.set_limits(quick);
    Message discard;
    std::size_t discarded = 0;
    while (discarded <= kMaxDrainBytes) {
      if (co_await Read(discard)) break;
      discarded += discard.data.size();
    }
  }
}

// ---- Tunnel -----------------------------------------------------------------------------------

asio::awaitable<IoResult> Tunnel::ReadSome(asio::mutable_buffer buf) {
  IoResult out;
  if (buf.size() == 0) co_return out;
  while (pos_ >= current_.data.size()) {
    if (!open_) {
      out.ec = asio::error::eof;
      co_return out;
    }
    pos_ = 0;
    error_code ec = co_await ws_.Read(current_);
    if (ec) {
      open_ = false;
      current_.data.clear();
      out.ec = ec;
      co_return out;
    }
  }
  out.bytes = std::min(buf.size(), current_.data.size() - pos_);
  std::memcpy(buf.data(), current_.data.data() + pos_, out.bytes);
  pos_ += out.bytes;
  co_return out;
}

asio::awaitable<error_code> Tunnel::Write(asio::const_buffer data) {
  co_return co_await ws_.Write(Opcode::kBinary, std::string_view(static_cast<const char*>(data.data()), data.size()));
}

}  // namespace vkube::http::websocket
