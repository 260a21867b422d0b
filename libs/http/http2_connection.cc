// HTTP/2 codec on nghttp2: one connection on one thread (nghttpx-style). A read loop feeds
// nghttp2_session_mem_recv; a write loop drains nghttp2_session_mem_send into the TLS stream; each
// request runs its handler in a tracked coroutine; response bodies flow through deferred data
// providers so flow control and per-connection watermarks bound memory.
#include <nghttp2/nghttp2.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/http/http1_request.h"

namespace vkube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class H2Connection;

// Built outside coroutines: GCC 12 rejects brace-initialized aggregates of literals inside them.
Response ErrorReply(int code, std::string_view reason, std::string_view message) {
  Response r;
  r.status = code;
  r.headers.push_back(Header{"content-type", "application/json"});
  r.body = StatusBody(code, reason, message);
  return r;
}

struct H2Stream {
  std::int32_t id = 0;
  Request req;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  bool body_too_large = false;
  bool dispatched = false;
  // response side
  std::string pending;  // bytes not yet handed to nghttp2
  std::size_t offset = 0;
  bool eof = false;
  bool deferred = false;
  bool submitted = false;
  bool closed = false;  // stream closed (RST or complete)
  bool closing = false;
  std::function<void()> on_closing;
  std::unique_ptr<asio::steady_timer> drained;  // wakes a Write() waiting for the buffer to drain

  std::size_t buffered() const { return pending.size() - offset; }
  void MarkClosing() {
    if (closing) return;
    closing = true;
    if (on_closing) on_closing();
    if (drained) drained->cancel();
  }
};

class H2Writer final : public ResponseWriter {
 public:
  H2Writer(H2Connection& conn, std::shared_ptr<H2Stream> st) : conn_(conn), st_(std::move(st)) {}
  asio::awaitable<void> Send(Response r) override;
  asio::awaitable<bool> Start(int status, Headers headers) override;
  asio::awaitable<bool> Write(std::string chunk) override;
  asio::awaitable<void> Finish() override;
  bool closing() const override { return st_->closing; }
  void on_closing(std::function<void()> fn) override { st_->on_closing = std::move(fn); }
  bool sent() const { return st_->submitted; }

 private:
  H2Connection& conn_;
  std::shared_ptr<H2Stream> st_;
};

class H2Connection {
 public:
  H2Connection(TlsStream& stream, ConnectionContext ctx)
      : stream_(stream), ctx_(std::move(ctx)), wake_(stream.get_executor()), handlers_done_(stream.get_executor()) {}
  ~H2Connection() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  asio::awaitable<void> Run() {
    if (!Init()) co_return;
    ctx_.drain->Subscribe([this] { BeginDrain(); });
    co_await (ReadLoop() && WriteLoop());
    // Every handler coroutine must be gone before this frame (which they reference) is.
    for (auto& [id, st] : streams_) st->MarkClosing();
    while (active_handlers_ > 0) {
      handlers_done_.expires_after(std::chrono::seconds(1));
      co_await handlers_done_.async_wait(kTuple);
    }
    ctx_.drain->Clear();
  }

  // ---- used by H2Writer ----
  void Submit(H2Stream& st, int status, const Headers& headers, std::optional<std::size_t> content_length) {
    std::vector<std::pair<std::string, std::string>> kv;
    kv.emplace_back(":status", std::to_string(status));
    for (const auto& h : headers) kv.emplace_back(h.name, h.value);
    if (content_length) kv.emplace_back("content-length", std::to_string(*content_length));
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : kv) {
      nva.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()), n.size(),
                               v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider prd;
    prd.source.ptr = &st;
    prd.read_callback = &H2Connection::OnRead;
    st.submitted = true;
    if (!st.closed) nghttp2_submit_response(session_, st.id, nva.data(), nva.size(), &prd);
    Kick();
  }
  void Resume(H2Stream& st) {
    if (st.deferred && !st.closed) {
      st.deferred = false;
      nghttp2_session_resume_data(session_, st.id);
    }
    Kick();
  }
  std::size_t buffered_total() const {
    std::size_t n = out_.size();
    for (const auto& [id, st] : streams_) n += st->buffered();
    return n;
  }
  const Limits& limits() const { return *ctx_.limits; }

 private:
  bool Init() {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnStreamClose);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    int rv = nghttp2_session_server_new2(&session_, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) return false;
    const Limits& l = *ctx_.limits;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, l.h2_max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, l.h2_initial_window_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(std::min<std::size_t>(l.max_header_bytes, UINT32_MAX))}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    // Widen the connection window too, so one large response does not stall the others.
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<int32_t>(l.h2_initial_window_size * 4));
    return true;
  }

  void Kick() { wake_.cancel(); }

  void BeginDrain() {
    draining_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    for (auto& [id, st] : streams_) st->MarkClosing();
    Kick();
  }

  asio::awaitable<void> ReadLoop() {
    std::array<uint8_t, 16384> buf;
    for (;;) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buf), kTuple);
      if (ec) break;
      last_activity_ = std::chrono::steady_clock::now();
      ssize_t rv = nghttp2_session_mem_recv(session_, buf.data(), n);
      if (rv < 0) {
        VKUBE_LOG(kDebug) << "h2 protocol error: " << nghttp2_strerror(static_cast<int>(rv));
        break;
      }
      Kick();
      if (fatal_) break;
    }
    read_done_ = true;
    for (auto& [id, st] : streams_) st->MarkClosing();
    Kick();
  }

  asio::awaitable<void> WriteLoop() {
    for (;;) {
      for (;;) {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n <= 0) break;
        out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
        if (out_.size() >= 64 * 1024) break;
      }
      if (!out_.empty()) {
        beast::get_lowest_layer(stream_).expires_after(ctx_.limits->write_timeout);
        auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
        beast::get_lowest_layer(stream_).expires_never();
        out_.clear();
        if (ec) break;
        WakeWriters();
        continue;
      }
      const bool session_over = !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
      if ((read_done_ || draining_ || session_over) && active_handlers_ == 0 && !nghttp2_session_want_write(session_)) {
        break;
      }
      if (read_done_ && active_handlers_ == 0) break;
      // Idle deadline: a connection with no open stream and no traffic for idle_timeout gets a
      // GOAWAY and is closed (an h2 client that connects and stays silent holds no slot forever).
      const bool idle = streams_.empty() && active_handlers_ == 0;
      wake_.expires_at(idle ? last_activity_ + ctx_.limits->idle_timeout : asio::steady_timer::time_point::max());
      auto [wec] = co_await wake_.async_wait(kTuple);
      if (!wec && idle && streams_.empty() && active_handlers_ == 0 &&
          std::chrono::steady_clock::now() >= last_activity_ + ctx_.limits->idle_timeout) {
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                              NGHTTP2_NO_ERROR, nullptr, 0);
        draining_ = true;  // flush the GOAWAY, then leave the loop
      }
    }
    // Unblock the read loop (peer may keep the connection open).
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().cancel(ignored);
    read_done_ = true;
  }

  void WakeWriters() {
    if (buffered_total() > ctx_.limits->write_low_watermark) return;
    for (auto& [id, st] : streams_) {
      if (st->drained) st->drained->cancel();
    }
  }

  void Dispatch(std::shared_ptr<H2Stream> st) {
    st->dispatched = true;
    ++active_handlers_;
    asio::co_spawn(stream_.get_executor(), RunHandler(st), [this](std::exception_ptr) {
      --active_handlers_;
      handlers_done_.cancel();
      Kick();
    });
  }

  asio::awaitable<void> RunHandler(std::shared_ptr<H2Stream> st) {
    H2Writer writer(*this, st);
    if (st->headers_too_large) {
      co_await writer.Send(ErrorReply(431, "RequestHeaderFieldsTooLarge", "request header fields too large"));
      co_return;
    }
    if (st->body_too_large) {
      co_await writer.Send(ErrorReply(413, "RequestEntityTooLarge", "the request body is too large"));
      co_return;
    }
    std::exception_ptr failure;
    try {
      co_await ctx_.handler->Handle(st->req, writer);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure || !writer.sent()) {
      if (!writer.sent()) {
        co_await writer.Send(ErrorReply(500, "InternalError", "internal error"));
      } else if (!st->closed) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        Kick();
      }
      co_return;
    }
    if (!st->eof) co_await writer.Finish();
  }

  std::shared_ptr<H2Stream> Find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
  }

  // ---- nghttp2 callbacks ----
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    auto* self = static_cast<H2Connection*>(ud);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto st = std::make_shared<H2Stream>();
    st->id = frame->hd.stream_id;
    st->req.peer = self->ctx_.peer;
    st->drained = std::make_unique<asio::steady_timer>(self->stream_.get_executor());
    self->streams_[st->id] = std::move(st);
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
    auto* self = static_cast<H2Connection*>(ud);
    auto st = self->Find(frame->hd.stream_id);
    if (!st) return 0;
    st->header_bytes += namelen + valuelen + 32;
    if (st->header_bytes > self->ctx_.limits->max_header_bytes) {
      st->headers_too_large = true;
      return 0;
    }
    std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") {
      st->req.method = v;
    } else if (n == ":path") {
      st->req.target = v;
      SplitTarget(v, st->req.path, st->req.query);
    } else if (n == ":authority") {
      st->req.headers.push_back(Header{"host", std::string(v)});
    } else if (!n.empty() && n[0] != ':') {
      st->req.headers.push_back(Header{std::string(n), std::string(v)});
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* ud) {
    auto* self = static_cast<H2Connection*>(ud);
    auto st = self->Find(stream_id);
    if (!st || st->body_too_large) return 0;
    if (st->req.body.size() + len > self->ctx_.limits->max_body_bytes) {
      st->body_too_large = true;
      st->req.body.clear();
      st->req.body.shrink_to_fit();
      return 0;
    }
    st->req.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrame(nghttp2_session* session, const nghttp2_frame* frame, void* ud) {
    auto* self = static_cast<H2Connection*>(ud);
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      // Rapid-reset guard (CVE-2023-44487): too many client resets per second ends the connection.
      auto now = std::chrono::steady_clock::now();
      if (now - self->reset_window_ > std::chrono::seconds(1)) {
        self->reset_window_ = now;
        self->resets_ = 0;
      }
      if (++self->resets_ > self->ctx_.limits->h2_max_resets_per_second) {
        nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
        self->fatal_ = true;
      }
      return 0;
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      auto st = self->Find(frame->hd.stream_id);
      if (st && !st->dispatched) self->Dispatch(st);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* ud) {
    auto* self = static_cast<H2Connection*>(ud);
    auto st = self->Find(stream_id);
    if (!st) return 0;
    st->closed = true;
    st->MarkClosing();
    self->streams_.erase(stream_id);
    return 0;
  }

  static ssize_t OnRead(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                        nghttp2_data_source* source, void*) {
    auto* st = static_cast<H2Stream*>(source->ptr);
    std::size_t avail = st->buffered();
    if (avail == 0) {
      if (st->eof) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
      }
      st->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    std::size_t n = std::min(avail, length);
    std::memcpy(buf, st->pending.data() + st->offset, n);
    st->offset += n;
    if (st->offset == st->pending.size()) {
      st->pending.clear();
      st->offset = 0;
      if (st->eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return static_cast<ssize_t>(n);
  }

  TlsStream& stream_;
  ConnectionContext ctx_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;
  std::string out_;
  asio::steady_timer wake_;
  asio::steady_timer handlers_done_;
  int active_handlers_ = 0;
  bool read_done_ = false, draining_ = false, fatal_ = false;
  std::chrono::steady_clock::time_point reset_window_{};
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  std::uint32_t resets_ = 0;
};

asio::awaitable<void> H2Writer::Send(Response r) {
  st_->pending = std::move(r.body);
  st_->offset = 0;
  st_->eof = true;
  conn_.Submit(*st_, r.status, r.headers, st_->pending.size());
  co_return;
}

asio::awaitable<bool> H2Writer::Start(int status, Headers headers) {
  conn_.Submit(*st_, status, headers, std::nullopt);
  co_return !st_->closed;
}

asio::awaitable<bool> H2Writer::Write(std::string chunk) {
  if (st_->closed) co_return false;
  st_->pending.append(chunk);
  conn_.Resume(*st_);
  // Backpressure: wait while the connection holds more than the high watermark.
  while (!st_->closed && !st_->closing && conn_.buffered_total() > conn_.limits().write_high_watermark) {
    st_->drained->expires_after(conn_.limits().write_timeout);
    auto [ec] = co_await st_->drained->async_wait(kTuple);
    if (!ec) {  // timer expired: the peer stopped reading
      co_return false;
    }
  }
  co_return !st_->closed;
}

asio::awaitable<void> H2Writer::Finish() {
  st_->eof = true;
  conn_.Resume(*st_);
  co_return;
}

}  // namespace

bool Http2Available() { return true; }

asio::awaitable<void> ServeHttp2(TlsStream& stream, ConnectionContext ctx) {
  H2Connection conn(stream, std::move(ctx));
  co_await conn.Run();
}

}  // namespace vkube::http
