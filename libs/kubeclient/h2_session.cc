#include "libs/kubeclient/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <vector>

#include "libs/core/log.h"

namespace vkube::kube {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Error ConnectionError(const std::string& why) {
  return Error::Make(ErrorCode::kServiceUnavailable, "connection to the host API failed: " + why);
}
}  // namespace

struct H2Callbacks {
  static H2Session& S(void* p) { return *static_cast<H2Session*>(p); }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                      const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* self) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* slot = S(self).Find(frame->hd.stream_id);
    if (slot == nullptr || slot->stream->head_received()) return 0;  // trailers are ignored
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = 0;
      for (char c : v) status = c >= '0' && c <= '9' ? status * 10 + (c - '0') : status;
      slot->status = status;
    } else if (!n.empty() && n[0] != ':') {
      slot->headers.push_back(HttpHeader{std::string(n), std::string(v)});
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    H2Session& s = S(self);
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        auto* slot = s.Find(frame->hd.stream_id);
        if (slot == nullptr || slot->stream->head_received() || !(frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) break;
        if (slot->status >= 100 && slot->status < 200) {  // informational: wait for the final head
          slot->status = 0;
          slot->headers.clear();
          break;
        }
        slot->stream->OnHead(slot->status, std::move(slot->headers));
        break;
      }
      case NGHTTP2_GOAWAY:
        s.goaway_ = true;  // no new streams here; streams above last_stream_id close as refused
        s.NotifyCapacity();
        break;
      default:
        break;
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                         std::size_t len, void* self) {
    H2Session& s = S(self);
    // The connection window is always returned at once: a stalled stream must not stall others.
    nghttp2_session_consume_connection(session, len);
    auto* slot = s.Find(stream_id);
    if (slot == nullptr) return 0;
    ResponseStream& st = *slot->stream;
    st.OnData(reinterpret_cast<const char*>(data), len);
    if (!st.request().streaming) {
      nghttp2_session_consume_stream(session, stream_id, len);
      if (st.buffered() > s.options_.max_response_bytes) {
        st.OnError(Error::Make(
            ErrorCode::kRequestEntityTooLarge,
            "response body exceeds the client limit of " + std::to_string(s.options_.max_response_bytes) + " bytes"));
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      }
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* self) {
    H2Session& s = S(self);
    auto it = s.streams_.find(stream_id);
    if (it == s.streams_.end()) return 0;
    auto st = std::move(it->second.stream);
    s.streams_.erase(it);
    if (error_code == NGHTTP2_NO_ERROR && st->head_received()) {
      st->OnEnd();
    } else if (error_code == NGHTTP2_REFUSED_STREAM) {
      st->MarkUnprocessed();
      st->OnError(Error::Make(ErrorCode::kServiceUnavailable, "stream refused by the host API (not processed)"));
    } else {
      st->OnError(Error::Make(ErrorCode::kServiceUnavailable,
                              std::string("stream reset by the host API: ") + nghttp2_http2_strerror(error_code)));
    }
    s.NotifyCapacity();
    return 0;
  }

  static ssize_t OnReadBody(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                            std::uint32_t* data_flags, nghttp2_data_source* source, void*) {
    auto* st = static_cast<ResponseStream*>(source->ptr);
    const std::string& body = st->request().body;
    const std::size_t n = std::min(length, body.size() - st->request_body_offset);
    std::memcpy(buf, body.data() + st->request_body_offset, n);
    st->request_body_offset += n;
    if (st->request_body_offset == body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

H2Session::H2Session(std::shared_ptr<TlsSocket> socket, H2SessionOptions options)
    : socket_(std::move(socket)),
      options_(std::move(options)),
      wake_(socket_->get_executor()),
      last_frame_(std::chrono::steady_clock::now()) {}

H2Session::~H2Session() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

H2Session::Slot* H2Session::Find(std::int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

Status H2Session::Init() {
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return ConnectionError("nghttp2: out of memory");
  nghttp2_session_callbacks_set_on_header_callback(cb, &H2Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &H2Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &H2Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &H2Callbacks::OnStreamClose);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);  // stream windows follow the consumer
  nghttp2_option_set_peer_max_concurrent_streams(opt, options_.max_concurrent_streams);
  const int rv = nghttp2_session_client_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) return ConnectionError(std::string("nghttp2: ") + nghttp2_strerror(rv));
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.stream_window},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(options_.connection_window));
  return {};
}

asio::awaitable<void> H2Session::Run() {
  auto self = shared_from_this();
  co_await (ReadLoop() && WriteLoop());
}

bool H2Session::has_capacity() const {
  const std::uint32_t remote = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return streams_.size() < std::min(options_.max_concurrent_streams, remote);
}

void H2Session::Kick() { wake_.cancel(); }

void H2Session::NotifyCapacity() {
  capacity_.NotifyAll();
  if (options_.on_capacity) options_.on_capacity();
}

void H2Session::Fail(const std::string& why) {
  if (dead_) return;
  dead_ = true;
  VKUBE_LOG(kDebug) << "kubeclient: h2 connection closed: " << why;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, slot] : streams) slot.stream->OnError(ConnectionError(why));
  boost::system::error_code ec;
  socket_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_->lowest_layer().close(ec);
  Kick();
  NotifyCapacity();
}

void H2Session::Close(const std::string& why) {
  if (dead_) return;
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  Fail(why);
}

asio::awaitable<Result<std::shared_ptr<ResponseStream>>> H2Session::Submit(HttpRequest& request,
                                                                           ResponseStream::Clock::time_point deadline) {
  auto self = shared_from_this();
  while (usable() && !has_capacity()) {
    const auto woken = co_await capacity_.Wait(deadline);
    if (woken == WaitList::Woken::kCancelled)
      co_return Error::Make(ErrorCode::kServiceUnavailable, "request cancelled");
    if (woken == WaitList::Woken::kTimeout && usable() && !has_capacity()) {
      co_return Error::Make(ErrorCode::kTimeout, "client timeout waiting for a free HTTP/2 stream");
    }
  }
  if (!usable()) co_return ConnectionError("connection closing");
  auto st = std::make_shared<ResponseStream>(socket_->get_executor(), std::move(request));
  HttpRequest& r = st->request();
  std::vector<std::pair<std::string, std::string>> kv;
  kv.emplace_back(":method", r.method);
  kv.emplace_back(":scheme", "https");
  kv.emplace_back(":authority", options_.authority);
  kv.emplace_back(":path", r.target);
  for (const auto& h : r.headers) kv.emplace_back(h.name, h.value);
  if (!r.body.empty()) kv.emplace_back("content-length", std::to_string(r.body.size()));
  std::vector<nghttp2_nv> nva;
  nva.reserve(kv.size());
  for (auto& [n, v] : kv) {
    nva.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(n.data()), reinterpret_cast<std::uint8_t*>(v.data()),
                             n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider prd;
  prd.source.ptr = st.get();
  prd.read_callback = &H2Callbacks::OnReadBody;
  const nghttp2_data_provider* body = nullptr;
  if (!r.body.empty()) body = &prd;
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), body, st.get());
  if (id < 0) {
    request = std::move(st->request());
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) goaway_ = true;  // ids exhausted: next connection
    co_return ConnectionError(std::string("cannot open a stream: ") + nghttp2_strerror(id));
  }
  streams_[id].stream = st;
  std::weak_ptr<H2Session> weak = self;
  st->on_cancel = [weak, id] {
    auto s = weak.lock();
    if (!s || s->dead_ || s->streams_.count(id) == 0) return;
    nghttp2_submit_rst_stream(s->session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    s->Kick();
  };
  if (st->request().streaming) {
    st->on_consumed = [weak, id](std::size_t n) {
      auto s = weak.lock();
      if (!s || s->dead_ || s->streams_.count(id) == 0) return;
      nghttp2_session_consume_stream(s->session_, id, n);
      s->Kick();
    };
  }
  Kick();
  co_return st;
}

asio::awaitable<void> H2Session::ReadLoop() {
  std::array<std::uint8_t, 16384> buf;
  while (!dead_) {
    auto [ec, n] = co_await socket_->async_read_some(asio::buffer(buf), kTuple);
    if (ec) {
      std::string why = ec.message();
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) why = "closed by the server";
      Fail(why);
      break;
    }
    last_frame_ = std::chrono::steady_clock::now();
    ping_outstanding_ = false;  // any bytes prove the peer alive
    const auto rv = nghttp2_session_mem_recv(session_, buf.data(), n);
    if (rv < 0) {
      Fail(std::string("HTTP/2 protocol error: ") + nghttp2_strerror(static_cast<int>(rv)));
      break;
    }
    Kick();
  }
}

asio::awaitable<void> H2Session::WriteLoop() {
  while (!dead_) {
    for (;;) {
      const std::uint8_t* data = nullptr;
      const auto n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        Fail(std::string("HTTP/2 send error: ") + nghttp2_strerror(static_cast<int>(n)));
        co_return;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      if (out_.size() >= 64 * 1024) break;
    }
    if (!out_.empty()) {
      auto [ec, written] = co_await asio::async_write(*socket_, asio::buffer(out_), kTuple);
      if (ec) {
        Fail(ec.message());
        break;
      }
      out_.clear();
      continue;
    }
    if (goaway_ && streams_.empty()) {
      Fail("GOAWAY from the server");
      break;
    }
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      Fail("session finished");
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    auto next = last_frame_ + options_.ping_interval;
    if (ping_outstanding_) {
      next = ping_sent_ + options_.ping_timeout;
      if (now >= next) {
        Fail("no answer to PING");
        break;
      }
    } else if (now >= next) {
      nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
      ping_outstanding_ = true;
      ping_sent_ = now;
      continue;
    }
    wake_.expires_at(next);
    co_await wake_.async_wait(kTuple);
  }
}

}  // namespace vkube::kube
