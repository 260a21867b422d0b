#include "libs/http/spdy.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::http::spdy {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kFrameHeader = 8;
constexpr std::uint32_t kStreamIdMask = 0x7fffffff;
constexpr std::uint32_t kGoAwayProtocolError = 1;

void PutU32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void PutU24(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

Error Bad(std::string message) { return Error::Make(ErrorCode::kBadRequest, "spdy: " + std::move(message)); }

}  // namespace

std::uint32_t ReadU32(std::string_view d, std::size_t pos) {
  return (static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[pos])) << 24) |
         (static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[pos + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[pos + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[pos + 3]));
}

const std::string& HeaderDictionary() {
  // Length-prefixed header names and values, then one run of common status and value text.
  static const std::string dictionary = [] {
    static constexpr std::string_view kWords[] = {
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
        "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
        "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
        "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
        "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
        "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
        "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
        "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public",
        "set-cookie", "keep-alive", "origin"};
    static constexpr std::string_view kTail =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
        "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
        "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
    std::string d;
    for (std::string_view w : kWords) {
      PutU32(d, static_cast<std::uint32_t>(w.size()));
      d.append(w);
    }
    d.append(kTail);
    return d;
  }();
  return dictionary;
}

// ---- header compression -----------------------------------------------------------------------

HeaderCompressor::HeaderCompressor() : z_(std::make_unique<z_stream>()) {
  ok_ = deflateInit(z_.get(), Z_DEFAULT_COMPRESSION) == Z_OK;
  if (ok_) {
    const std::string& d = HeaderDictionary();
    ok_ = deflateSetDictionary(z_.get(), reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())) == Z_OK;
  }
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(z_.get()); }

Result<std::string> HeaderCompressor::Compress(const Headers& headers) {
  if (!ok_) return Error::Make(ErrorCode::kInternal, "spdy: zlib deflate unavailable");
  std::string block;
  PutU32(block, static_cast<std::uint32_t>(headers.size()));
  for (const auto& h : headers) {
    std::string name = h.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    PutU32(block, static_cast<std::uint32_t>(name.size()));
    block += name;
    PutU32(block, static_cast<std::uint32_t>(h.value.size()));
    block += h.value;
  }
  std::string out;
  z_->next_in = reinterpret_cast<Bytef*>(block.data());
  z_->avail_in = static_cast<uInt>(block.size());
  std::array<char, 4096> buf;
  do {
    z_->next_out = reinterpret_cast<Bytef*>(buf.data());
    z_->avail_out = static_cast<uInt>(buf.size());
    const int ret = deflate(z_.get(), Z_SYNC_FLUSH);
    if (ret != Z_OK && ret != Z_BUF_ERROR) return Error::Make(ErrorCode::kInternal, "spdy: zlib deflate failed");
    out.append(buf.data(), buf.size() - z_->avail_out);
  } while (z_->avail_out == 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor(std::size_t max_block_bytes)
    : z_(std::make_unique<z_stream>()), max_(max_block_bytes) {
  ok_ = inflateInit(z_.get()) == Z_OK;
}

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(z_.get()); }

Result<Headers> HeaderDecompressor::Decompress(std::string_view compressed) {
  if (!ok_) return Bad("header stream unusable");
  std::string block;
  z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z_->avail_in = static_cast<uInt>(compressed.size());
  std::array<char, 4096> buf;
  for (;;) {
    z_->next_out = reinterpret_cast<Bytef*>(buf.data());
    z_->avail_out = static_cast<uInt>(buf.size());
    int ret = inflate(z_.get(), Z_SYNC_FLUSH);
    if (ret == Z_NEED_DICT) {
      const std::string& d = HeaderDictionary();
      if (inflateSetDictionary(z_.get(), reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())) != Z_OK) {
        ok_ = false;
        return Bad("header block uses an unknown dictionary");
      }
      continue;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END) {
      ok_ = false;  // the shared zlib context is lost: no later block can be read
      return Bad("corrupt header block");
    }
    block.append(buf.data(), buf.size() - z_->avail_out);
    if (block.size() > max_) {
      ok_ = false;
      return Bad("header block larger than " + std::to_string(max_) + " bytes");
    }
    if (z_->avail_out != 0 && (z_->avail_in == 0 || ret == Z_BUF_ERROR || ret == Z_STREAM_END)) break;
  }
  // Name/value list: count, then (length, name, length, value) pairs.
  Headers out;
  std::string_view b(block);
  if (b.size() < 4) return Bad("short header block");
  const std::uint32_t count = ReadU32(b, 0);
  std::size_t pos = 4;
  auto take = [&](std::string& s) {
    if (b.size() - pos < 4) return false;
    const std::uint32_t n = ReadU32(b, pos);
    pos += 4;
    if (b.size() - pos < n) return false;
    s.assign(b.substr(pos, n));
    pos += n;
    return true;
  };
  if (count > b.size() / 8) return Bad("header block lists more pairs than it holds");
  for (std::uint32_t i = 0; i < count; ++i) {
    Header h;
    if (!take(h.name) || !take(h.value)) return Bad("truncated header block");
    std::transform(h.name.begin(), h.name.end(), h.name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.push_back(std::move(h));
  }
  return out;
}

// ---- frames -----------------------------------------------------------------------------------

Result<std::optional<std::pair<Frame, std::size_t>>> ParseFrame(std::string_view data, std::size_t max_frame_bytes) {
  using Out = std::optional<std::pair<Frame, std::size_t>>;
  if (data.size() < kFrameHeader) return Out();
  const std::uint32_t first = ReadU32(data, 0);
  const std::uint32_t length = ReadU32(data, 4) & 0xffffff;
  if (length > max_frame_bytes) return Bad("frame of " + std::to_string(length) + " bytes is over the limit");
  if (data.size() < kFrameHeader + length) return Out();
  Frame f;
  f.flags = static_cast<std::uint8_t>(data[4]);
  if ((first & 0x80000000u) != 0) {
    const std::uint16_t version = (first >> 16) & 0x7fff;
    if (version != kVersion) return Bad("unsupported version " + std::to_string(version));
    f.control = true;
    f.type = static_cast<FrameType>(first & 0xffff);
  } else {
    f.stream_id = first & kStreamIdMask;
  }
  f.payload.assign(data.substr(kFrameHeader, length));
  return Out(std::make_pair(std::move(f), kFrameHeader + length));
}

std::string EncodeControl(FrameType type, std::uint8_t flags, std::string_view payload) {
  std::string out;
  out.reserve(kFrameHeader + payload.size());
  PutU32(out, 0x80000000u | (static_cast<std::uint32_t>(kVersion) << 16) | static_cast<std::uint16_t>(type));
  out.push_back(static_cast<char>(flags));
  PutU24(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::string EncodeData(std::uint32_t stream_id, std::string_view data, bool fin) {
  std::string out;
  out.reserve(kFrameHeader + data.size());
  PutU32(out, stream_id & kStreamIdMask);
  out.push_back(static_cast<char>(fin ? kFlagFin : 0));
  PutU24(out, static_cast<std::uint32_t>(data.size()));
  out.append(data);
  return out;
}

std::string EncodeSynStream(std::uint32_t stream_id, std::string_view compressed_headers, bool fin) {
  std::string p;
  PutU32(p, stream_id & kStreamIdMask);
  PutU32(p, 0);  // associated stream
  p.push_back(0);  // priority (3 bits) + unused
  p.push_back(0);  // slot
  p.append(compressed_headers);
  return EncodeControl(FrameType::kSynStream, fin ? kFlagFin : 0, p);
}

std::string EncodeSynReply(std::uint32_t stream_id, std::string_view compressed_headers, bool fin) {
  std::string p;
  PutU32(p, stream_id & kStreamIdMask);
  p.append(compressed_headers);
  return EncodeControl(FrameType::kSynReply, fin ? kFlagFin : 0, p);
}

std::string EncodeRstStream(std::uint32_t stream_id, std::uint32_t status) {
  std::string p;
  PutU32(p, stream_id & kStreamIdMask);
  PutU32(p, status);
  return EncodeControl(FrameType::kRstStream, 0, p);
}

std::string EncodePing(std::uint32_t id) {
  std::string p;
  PutU32(p, id);
  return EncodeControl(FrameType::kPing, 0, p);
}

std::string EncodeGoAway(std::uint32_t last_good_stream, std::uint32_t status) {
  std::string p;
  PutU32(p, last_good_stream & kStreamIdMask);
  PutU32(p, status);
  return EncodeControl(FrameType::kGoAway, 0, p);
}

// ---- session ----------------------------------------------------------------------------------

Session::Session(UpgradedStream& stream, Limits limits)
    : stream_(stream),
      limits_(limits),
      decompressor_(limits.max_header_bytes),
      write_done_(stream.get_executor(), asio::steady_timer::time_point::max()) {}

asio::awaitable<error_code> Session::WriteRaw(std::string bytes) {
  while (writing_) co_await write_done_.async_wait(kTuple);
  writing_ = true;
  error_code ec = co_await stream_.Write(asio::buffer(bytes));
  writing_ = false;
  write_done_.cancel();
  co_return ec;
}

void Session::Forget(std::uint32_t id, bool peer_side) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  (peer_side ? it->second.peer_fin : it->second.our_fin) = true;
  if (it->second.peer_fin && it->second.our_fin) streams_.erase(it);
}

asio::awaitable<error_code> Session::Reply(std::uint32_t id) {
  auto block = compressor_.Compress(Headers{});
  if (!block) co_return error_code(asio::error::invalid_argument);
  co_return co_await WriteRaw(EncodeSynReply(id, *block, false));
}

asio::awaitable<error_code> Session::SendData(std::uint32_t id, std::string_view data, bool fin) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.our_fin) co_return error_code(asio::error::not_connected);
  const std::size_t chunk = std::max<std::size_t>(limits_.max_data_chunk, 1);
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(chunk, data.size() - pos);
    const bool last = pos + n == data.size();
    error_code ec = co_await WriteRaw(EncodeData(id, data.substr(pos, n), fin && last));
    if (ec) co_return ec;
    pos += n;
  } while (pos < data.size());
  if (fin) Forget(id, false);
  co_return error_code();
}

asio::awaitable<error_code> Session::Reset(std::uint32_t id, std::uint32_t status) {
  streams_.erase(id);
  co_return co_await WriteRaw(EncodeRstStream(id, status));
}

asio::awaitable<error_code> Session::GoAway(std::uint32_t status) {
  if (goaway_sent_) co_return error_code();
  goaway_sent_ = true;
  co_return co_await WriteRaw(EncodeGoAway(last_peer_stream_, status));
}

asio::awaitable<error_code> Session::Run(StreamHandler& handler) {
  std::string in;
  std::size_t pos = 0;
  std::vector<char> chunk(std::max<std::size_t>(limits_.read_chunk_bytes, 1));
  for (;;) {
    auto parsed = ParseFrame(std::string_view(in).substr(pos), limits_.max_frame_bytes);
    if (!parsed) {
      co_await GoAway(kGoAwayProtocolError);
      co_return error_code(asio::error::invalid_argument);
    }
    if (!*parsed) {
      if (pos > 0) {
        in.erase(0, pos);
        pos = 0;
      }
      IoResult r = co_await stream_.ReadSome(asio::buffer(chunk));
      if (r.bytes == 0) co_return r.ec ? r.ec : error_code(asio::error::eof);
      in.append(chunk.data(), r.bytes);
      continue;
    }
    Frame f = std::move((*parsed)->first);
    pos += (*parsed)->second;
    const bool fin = (f.flags & kFlagFin) != 0;
    if (!f.control) {
      if (streams_.count(f.stream_id) == 0) continue;  // reset or unknown: dropped, as spdystream does
      co_await handler.OnData(f.stream_id, f.payload, fin);
      if (fin) Forget(f.stream_id, true);
      continue;
    }
    const std::string_view p(f.payload);
    switch (f.type) {
      case FrameType::kSynStream: {
        if (p.size() < 10) {
          co_await GoAway(kGoAwayProtocolError);
          co_return error_code(asio::error::invalid_argument);
        }
        const std::uint32_t id = ReadU32(p, 0) & kStreamIdMask;
        // Always inflate: the zlib context is shared by every block of the session.
        auto headers = decompressor_.Decompress(p.substr(10));
        if (!headers) {
          co_await GoAway(kGoAwayProtocolError);
          co_return error_code(asio::error::invalid_argument);
        }
        if (id == 0 || id % 2 == 0 || id <= last_peer_stream_) {  // the client opens odd, increasing ids
          if (co_await Reset(id, kProtocolError)) co_return error_code(asio::error::broken_pipe);
          continue;
        }
        last_peer_stream_ = id;
        if (goaway_sent_ || streams_.size() >= limits_.max_open_streams) {
          if (co_await Reset(id, kRefusedStream)) co_return error_code(asio::error::broken_pipe);
          continue;
        }
        StreamState st;
        st.peer_fin = fin;
        streams_[id] = st;
        if (error_code ec = co_await Reply(id)) co_return ec;
        co_await handler.OnStream(id, *headers, fin);
        break;
      }
      case FrameType::kSynReply:
      case FrameType::kHeaders:
        // Not expected from a client, but their blocks advance the shared zlib context.
        if (p.size() >= 4 && !decompressor_.Decompress(p.substr(4))) {
          co_await GoAway(kGoAwayProtocolError);
          co_return error_code(asio::error::invalid_argument);
        }
        break;
      case FrameType::kRstStream:
        if (p.size() >= 4) {
          const std::uint32_t id = ReadU32(p, 0) & kStreamIdMask;
          if (streams_.erase(id) > 0) handler.OnReset(id);
        }
        break;
      case FrameType::kPing:
        // Answer the peer's pings (odd ids from a client); ours (even) would be answers.
        if (p.size() >= 4 && ReadU32(p, 0) % 2 == 1) {
          if (error_code ec = co_await WriteRaw(EncodePing(ReadU32(p, 0)))) co_return ec;
        }
        break;
      case FrameType::kGoAway: co_return error_code(asio::error::eof);
      default: break;  // SETTINGS, WINDOW_UPDATE, unknown types: ignored (SPDY/3 §2.2.1)
    }
  }
}

}  // namespace vkube::http::spdy
