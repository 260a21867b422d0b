// HTTP/1.1 codec on Beast: one request at a time per connection, explicit header/body limits and
// deadlines, chunked streaming with one chunk in flight (bounded memory per connection).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/http/http1_request.h"

namespace vkube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class Http1Writer final : public ResponseWriter {
 public:
  Http1Writer(TlsStream& stream, const ConnectionContext& ctx, beast::flat_buffer& buffer, bool keep_alive)
      : stream_(stream), ctx_(ctx), buffer_(buffer), keep_alive_(keep_alive) {}

  asio::awaitable<void> Send(Response r) override {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
    for (auto& h : r.headers) res.set(h.name, h.value);
    res.body() = std::move(r.body);
    if (ctx_.drain->draining()) keep_alive_ = false;
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    sent_ = true;
    if (ec) keep_alive_ = false;
  }

  asio::awaitable<bool> Start(int status, Headers headers) override {
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
    for (auto& h : headers) res.set(h.name, h.value);
    res.chunked(true);
    res.keep_alive(keep_alive_ && !ctx_.drain->draining());
    keep_alive_ = res.keep_alive();
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, kTuple);
    beast::get_lowest_layer(stream_).expires_never();
    sent_ = streaming_ = true;
    if (ec) {
      MarkClosing();
      co_return false;
    }
    // Detect a peer that goes away mid-stream (e.g. kubectl get -w interrupted): a read racing
    // the writes completes with EOF/error. Finish() cancels it and waits for it.
    detector_running_ = true;
    asio::co_spawn(stream_.get_executor(), DetectPeerClose(), [this](std::exception_ptr) {
      detector_running_ = false;
      detector_done_.cancel();
    });
    co_return true;
  }

  asio::awaitable<bool> Write(std::string chunk) override {
    if (!streaming_ || failed_) co_return false;
    if (chunk.empty()) co_return true;
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
    if (!streaming_) co_return;
    co_await StopDetector();
    if (!failed_) {
      beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
      auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk_last(), kTuple);
      beast::get_lowest_layer(stream_).expires_never();
      if (ec) failed_ = true;
    }
    streaming_ = false;
    finished_ = true;
    if (failed_ || peer_closed_) keep_alive_ = false;
  }

  bool closing() const override { return closing_; }
  void on_closing(std::function<void()> fn) override { on_closing_ = std::move(fn); }

  bool sent() const { return sent_; }
  bool keep_alive() const { return keep_alive_ && !failed_ && !peer_closed_; }
  bool needs_finish() const { return streaming_ && !finished_; }
  bool streaming() const { return streaming_; }
  asio::awaitable<void> StopDetector() {
    if (detector_running_) {
      beast::get_lowest_layer(stream_).socket().cancel();
      while (detector_running_) co_await detector_done_.async_wait(kTuple);
    }
  }

 public:
  void MarkClosing() {  // peer gone, or the connection began draining
    if (closing_) return;
    closing_ = true;
    if (on_closing_) on_closing_();
  }

 private:
  asio::awaitable<void> DetectPeerClose() {
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
    if (!ec) {
      buffer_.commit(n);  // pipelined bytes belong to the next request
      co_return;
    }
    if (ec != asio::error::operation_aborted) {
      peer_closed_ = true;
      MarkClosing();
    }
  }

  TlsStream& stream_;
  const ConnectionContext& ctx_;
  beast::flat_buffer& buffer_;
  bool keep_alive_;
  bool sent_ = false, streaming_ = false, finished_ = false, failed_ = false;
  bool closing_ = false, peer_closed_ = false, detector_running_ = false;
  std::function<void()> on_closing_;
  asio::steady_timer detector_done_{stream_.get_executor(), asio::steady_timer::time_point::max()};
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
}

}  // namespace

asio::awaitable<void> ServeHttp1(TlsStream& stream, ConnectionContext ctx) {
  const Limits& limits = *ctx.limits;
  beast::flat_buffer buffer;
  bool idle = false;
  Http1Writer* current = nullptr;
  // A drain wakes an idle keep-alive connection so it closes now instead of at idle_timeout, and
  // tells a streaming response (watch) to end.
  ctx.drain->Subscribe([&] {
    if (idle) beast::get_lowest_layer(stream).socket().cancel();
    if (current != nullptr) current->MarkClosing();
  });
  for (;;) {
    if (ctx.drain->draining()) break;
    if (buffer.size() == 0) {
      // Between requests: wait for the first byte with the idle deadline.
      idle = true;
      beast::get_lowest_layer(stream).expires_after(limits.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser.body_limit(limits.max_body_bytes);
    // The whole header block must arrive within header_timeout (slowloris).
    beast::get_lowest_layer(stream).expires_after(limits.header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    if (hec) {
      if (hec == bhttp::error::header_limit) {
        co_await WriteError(stream, limits, 431, "RequestHeaderFieldsTooLarge", "request header fields too large");
      } else if (hec == bhttp::error::body_limit) {  // Content-Length above the limit, seen with the header
        co_await WriteError(stream, limits, 413, "RequestEntityTooLarge", "the request body is too large");
      } else if (hec != beast::error::timeout && hec != asio::error::eof && hec != asio::ssl::error::stream_truncated &&
                 hec != asio::error::operation_aborted && hec != asio::error::connection_reset) {
        co_await WriteError(stream, limits, 400, "BadRequest", "malformed HTTP request: " + hec.message());
      }
      break;
    }
    if (parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
      co_await WriteError(stream, limits, 413, "RequestEntityTooLarge", "the request body is too large");
      break;
    }
    beast::get_lowest_layer(stream).expires_after(limits.body_timeout);
    auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    beast::get_lowest_layer(stream).expires_never();
    if (bec) {
      if (bec == bhttp::error::body_limit) {
        co_await WriteError(stream, limits, 413, "RequestEntityTooLarge", "the request body is too large");
      } else if (bec != beast::error::timeout && bec != asio::error::eof) {
        co_await WriteError(stream, limits, 400, "BadRequest", "malformed HTTP request body: " + bec.message());
      }
      break;
    }
    const bool keep_alive = parser.get().keep_alive();
    Request req = FromBeast(parser.release(), ctx.peer);
    Http1Writer writer(stream, ctx, buffer, keep_alive);
    current = &writer;
    std::exception_ptr failure;
    try {
      co_await ctx.handler->Handle(req, writer);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      VKUBE_LOG(kError) << "handler threw for " << req.method << " " << req.path << ": " << what;
      co_await writer.StopDetector();
      if (!writer.sent()) co_await WriteError(stream, limits, 500, "InternalError", "internal error");
      break;
    }
    current = nullptr;
    if (writer.needs_finish()) co_await writer.Finish();
    if (!writer.sent()) {
      co_await WriteError(stream, limits, 500, "InternalError", "handler sent no response");
      break;
    }
    if (!writer.keep_alive()) break;
  }
  ctx.drain->Clear();  // listeners capture this frame
  beast::get_lowest_layer(stream).expires_never();
}

}  // namespace vkube::http
