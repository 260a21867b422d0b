// HTTP/1.1 codec on Beast: one request at a time per connection (the handler is awaited inline),
// explicit header/body limits and deadlines, chunked streaming with one chunk in flight (bounded
// memory per connection), and a racing 1-byte-style read that notices a peer gone mid-stream.
#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/http/http1_request.h"
#include "libs/http/upgrade_stream.h"

namespace vkube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// After an error reply sent before the request was fully read, the client may still be sending
// (a large body, a huge header). Closing with unread bytes makes the kernel send RST, which can
// destroy the reply in flight; so read and discard for a bounded time and amount first (Go's
// net/http does the same with its "rstAvoidanceDelay").
constexpr std::size_t kLingerMaxBytes = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kLingerTime{500};

// Framing is the codec's business: a handler cannot set these.
bool IsFramingHeader(std::string_view name) {
  auto eq = [&](std::string_view other) {
    return name.size() == other.size() &&
           std::equal(name.begin(), name.end(), other.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  };
  return eq("content-length") || eq("transfer-encoding") || eq("connection") || eq("keep-alive");
}

// A CR or LF in a header would let a handler smuggle extra headers or a second response.
bool SafeHeader(const Header& h) {
  auto bad = [](std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; };
  return !h.name.empty() && !bad(h.name) && !bad(h.value) && !IsFramingHeader(h.name);
}

template <class Fields>
void CopyHeaders(const Headers& headers, Fields& out) {
  for (const auto& h : headers) {
    if (SafeHeader(h)) out.insert(h.name, h.value);
  }
}

// Statuses that never carry a body (RFC 9110 §6.4.1).
bool BodylessStatus(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

// Errors that mean "the peer is gone or too slow": nothing useful can be written back.
bool PeerGone(const boost::system::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::operation_aborted ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::bad_descriptor;
}

class Http1Writer final : public ResponseWriter {
 public:
  Http1Writer(TlsStream& stream, const ConnectionContext& ctx, beast::flat_buffer& buffer, bool keep_alive,
              bool head)
      : stream_(stream),
        ctx_(ctx),
        buffer_(buffer),
        keep_alive_(keep_alive),
        head_(head),
        closing_(ctx.drain->draining()) {}

  asio::awaitable<void> Send(Response r) override {
    if (sent_) co_return;  // contract violation; a second response would corrupt the stream
    sent_ = true;
    if (ctx_.drain->draining() || r.close) keep_alive_ = false;
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
    CopyHeaders(r.headers, res);
    res.keep_alive(keep_alive_);
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    if (BodylessStatus(r.status)) {
      auto [wec, n] = co_await bhttp::async_write(stream_, res, kTuple);
      ec = wec;
    } else if (head_) {
      // HEAD: the headers a GET would have produced, no body.
      res.content_length(r.body.size());
      bhttp::response_serializer<bhttp::string_body> sr{res};
      auto [wec, n] = co_await bhttp::async_write_header(stream_, sr, kTuple);
      ec = wec;
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
      auto [wec, n] = co_await bhttp::async_write(stream_, res, kTuple);
      ec = wec;
    }
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) failed_ = true;
  }

  asio::awaitable<bool> Start(int status, Headers headers) override {
    if (sent_) co_return false;
    sent_ = streaming_ = true;
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
    CopyHeaders(headers, res);
    res.chunked(true);
    if (ctx_.drain->draining()) keep_alive_ = false;
    res.keep_alive(keep_alive_);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) {
      failed_ = true;
      MarkClosing();
      co_return false;
    }
    // A read racing the writes completes when the peer goes away (e.g. `kubectl get -w`
    // interrupted) so the handler can stop; Finish() cancels it and waits for it.
    detector_running_ = true;
    asio::co_spawn(stream_.get_executor(), DetectPeerClose(), [this](std::exception_ptr) {
      detector_running_ = false;
      detector_done_.cancel();
    });
    co_return true;
  }

  // At most one chunk is in flight: Write resumes only once the socket took the bytes, so a slow
  // reader holds back the handler instead of growing a buffer (write_timeout bounds the wait).
  asio::awaitable<bool> Write(std::string chunk) override {
    if (!streaming_ || finished_ || failed_) co_return false;
    if (chunk.empty()) co_return true;  // an empty chunk would end the body
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk)), kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) {
      failed_ = true;
      MarkClosing();
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> Finish() override {
    if (!streaming_ || finished_) co_return;
    finished_ = true;
    co_await StopDetector();
    if (failed_ || peer_closed_) co_return;
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) failed_ = true;
  }

  bool closing() const override { return closing_; }
  void on_closing(std::function<void()> fn) override { on_closing_ = std::move(fn); }

  // Peer gone, write failure, or the connection began draining.
  void MarkClosing() {
    if (closing_) return;
    closing_ = true;
    if (on_closing_) {
      auto fn = on_closing_;  // the callback may replace itself
      fn();
    }
  }

  // The connection switched protocols: no HTTP response may follow.
  void MarkUpgraded() {
    sent_ = true;
    keep_alive_ = false;
  }

  bool sent() const { return sent_; }
  bool keep_alive() const { return keep_alive_ && !failed_ && !peer_closed_; }
  bool needs_finish() const { return streaming_ && !finished_; }

  asio::awaitable<void> StopDetector() {
    if (!detector_running_) co_return;
    detector_stopping_ = true;
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).socket().cancel(ec);
    while (detector_running_) co_await detector_done_.async_wait(kTuple);
  }

 private:
  asio::awaitable<void> DetectPeerClose() {
    // Reads into the connection buffer: bytes that arrive are a pipelined next request and stay.
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
    if (!ec) {
      buffer_.commit(n);
      co_return;
    }
    // operation_aborted is our own StopDetector() unless the server closed the socket under us
    // (drain deadline passed): then the stream is dead too.
    if (!detector_stopping_) {
      peer_closed_ = true;
      MarkClosing();
    }
  }

  TlsStream& stream_;
  const ConnectionContext& ctx_;
  beast::flat_buffer& buffer_;
  bool keep_alive_;
  const bool head_;
  bool sent_ = false, streaming_ = false, finished_ = false, failed_ = false;
  bool closing_, peer_closed_ = false, detector_running_ = false, detector_stopping_ = false;
  std::function<void()> on_closing_;
  asio::steady_timer detector_done_{stream_.get_executor(), asio::steady_timer::time_point::max()};
};

// Lends the connection to a handler that answers 101 (http::AcceptUpgrade).
class Http1Upgrader final : public Upgrader {
 public:
  Http1Upgrader(TlsStream& stream, const ConnectionContext& ctx, beast::flat_buffer& buffer, Http1Writer& writer)
      : stream_(stream), ctx_(ctx), buffer_(buffer), writer_(writer) {}
  ~Http1Upgrader() override { Detach(); }
  Http1Upgrader(const Http1Upgrader&) = delete;
  Http1Upgrader& operator=(const Http1Upgrader&) = delete;

  asio::awaitable<std::unique_ptr<UpgradedStream>> Upgrade(Response r) override {
    if (r.status != 101 || writer_.sent() || upgraded_) co_return std::unique_ptr<UpgradedStream>();
    upgraded_ = true;
    writer_.MarkUpgraded();
    bhttp::response<bhttp::empty_body> res{bhttp::status::switching_protocols, 11};
    CopyHeaders(r.headers, res);  // drops framing headers, Connection included
    res.set(bhttp::field::connection, "Upgrade");
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) co_return std::unique_ptr<UpgradedStream>();
    // Bytes the client sent right after its request (the first WebSocket frame, say) belong to
    // the new protocol.
    std::string prefix(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    slot_ = std::make_shared<StreamSlot<TlsStream>>();
    slot_->stream = &stream_;
    StreamLimits limits;
    limits.idle_timeout = ctx_.limits->stream_idle_timeout;
    limits.write_timeout = ctx_.limits->write_timeout;
    co_return std::make_unique<SocketStream<TlsStream>>(slot_, std::move(prefix), limits);
  }

  // The handler returned: a stream it kept can no longer reach the connection. True when the
  // connection was switched.
  bool Detach() {
    if (slot_) slot_->stream = nullptr;
    return upgraded_;
  }

 private:
  TlsStream& stream_;
  const ConnectionContext& ctx_;
  beast::flat_buffer& buffer_;
  Http1Writer& writer_;
  bool upgraded_ = false;
  std::shared_ptr<StreamSlot<TlsStream>> slot_;
};

asio::awaitable<void> WriteError(TlsStream& stream, const Limits& limits, int code, std::string_view reason,
                                 std::string_view message) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(code), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = StatusBody(code, reason, message);
  res.keep_alive(false);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
  co_await bhttp::async_write(stream, res, kTuple);
  beast::get_lowest_layer(stream).expires_never();
}

// Bounded read-and-discard before closing (see kLingerMaxBytes).
asio::awaitable<void> Linger(TlsStream& stream) {
  std::array<char, 16 * 1024> scratch;
  std::size_t total = 0;
  beast::get_lowest_layer(stream).expires_after(kLingerTime);
  while (total < kLingerMaxBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (ec) break;
    total += n;
  }
  beast::get_lowest_layer(stream).expires_never();
}

// After a switched protocol: our close_notify, then the peer's (bounded wait), so that neither
// side's last bytes (a WebSocket close, a final status) are destroyed by a TCP reset.
asio::awaitable<void> CloseUpgraded(TlsStream& stream) {
  if (!beast::get_lowest_layer(stream).socket().is_open()) co_return;
  beast::get_lowest_layer(stream).expires_after(kLingerTime);
  co_await stream.async_shutdown(kTuple);
  beast::get_lowest_layer(stream).expires_never();
}

asio::awaitable<void> WriteTooLarge(TlsStream& stream, const Limits& limits) {
  co_await WriteError(stream, limits, 413, "RequestEntityTooLarge", "the request body is too large");
  co_await Linger(stream);
}

bool ExpectsContinue(const RequestParser& parser) {
  auto it = parser.get().find(bhttp::field::expect);
  return it != parser.get().end() && beast::iequals(it->value(), "100-continue");
}

// Removes the connection's drain listener (it captures this frame) however the frame ends.
struct DrainListenerGuard {
  DrainState& drain;
  ~DrainListenerGuard() { drain.Clear(); }
};

std::string CurrentExceptionMessage(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
  }
  return "unknown exception";
}

}  // namespace

asio::awaitable<void> ServeHttp1(TlsStream& stream, ConnectionContext ctx) {
  const Limits& limits = *ctx.limits;
  beast::flat_buffer buffer;
  bool idle = false;
  Http1Writer* current = nullptr;
  // A drain wakes an idle keep-alive connection so it closes now instead of at idle_timeout, and
  // tells a running handler (a watch) to end its response.
  ctx.drain->Subscribe([&] {
    if (idle) {
      boost::system::error_code ec;
      beast::get_lowest_layer(stream).socket().cancel(ec);
    }
    if (current != nullptr) current->MarkClosing();
  });
  DrainListenerGuard guard{*ctx.drain};

  while (!ctx.drain->draining()) {
    if (buffer.size() == 0) {
      // Between requests: the first byte must come within the idle deadline.
      idle = true;
      beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    RequestParser parser;
    ConfigureParser(parser, limits);
    // The whole header block must arrive within header_timeout (slowloris).
    beast::get_lowest_layer(stream).expires_after(limits.header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    if (hec) {
      if (hec == bhttp::error::header_limit) {
        co_await WriteError(stream, limits, 431, "RequestHeaderFieldsTooLarge", "request header fields too large");
        co_await Linger(stream);
      } else if (hec == bhttp::error::body_limit) {  // declared Content-Length above the limit
        co_await WriteTooLarge(stream, limits);
      } else if (!PeerGone(hec) && hec != bhttp::error::partial_message) {
        co_await WriteError(stream, limits, 400, "BadRequest", "malformed HTTP request: " + hec.message());
        co_await Linger(stream);
      }
      break;
    }
    // Beast checks a declared length against body_limit itself; checked again so the rule does
    // not depend on that detail.
    if (parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
      co_await WriteTooLarge(stream, limits);
      break;
    }
    if (ExpectsContinue(parser) && !parser.is_done()) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      beast::get_lowest_layer(stream).expires_after(limits.write_timeout);
      auto [cec, cn] = co_await bhttp::async_write(stream, cont, kTuple);
      if (cec) break;
    }
    beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
    auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    beast::get_lowest_layer(stream).expires_never();
    if (bec) {
      if (bec == bhttp::error::body_limit) {  // chunked body that grew past the limit
        co_await WriteTooLarge(stream, limits);
      } else if (!PeerGone(bec) && bec != bhttp::error::partial_message) {
        co_await WriteError(stream, limits, 400, "BadRequest", "malformed HTTP request body: " + bec.message());
        co_await Linger(stream);
      }
      break;
    }

    const bool keep_alive = parser.get().keep_alive();
    Request req = FromBeast(parser.release(), ctx.peer);
    Http1Writer writer(stream, ctx, buffer, keep_alive, req.method == "HEAD");
    Http1Upgrader upgrader(stream, ctx, buffer, writer);
    if (IsUpgradeRequest(req)) req.upgrader = &upgrader;
    current = &writer;
    std::exception_ptr failure;
    try {
      co_await ctx.handler->Handle(req, writer);
    } catch (...) {
      failure = std::current_exception();
    }
    current = nullptr;
    req.upgrader = nullptr;
    const bool upgraded = upgrader.Detach();
    if (failure) {
      VKUBE_LOG(kError) << "handler threw for " << req.method << " " << req.path << ": "
                        << CurrentExceptionMessage(failure);
      co_await writer.StopDetector();
      if (!writer.sent()) co_await WriteError(stream, limits, 500, "InternalError", "internal error");
      break;  // a half-written response cannot be repaired: close
    }
    if (upgraded) {  // the connection spoke another protocol: it ends with its handler
      co_await CloseUpgraded(stream);
      break;
    }
    if (writer.needs_finish()) co_await writer.Finish();
    if (!writer.sent()) {
      co_await WriteError(stream, limits, 500, "InternalError", "handler sent no response");
      break;
    }
    if (!writer.keep_alive()) break;
  }
  beast::get_lowest_layer(stream).expires_never();
}

}  // namespace vkube::http
