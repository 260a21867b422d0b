#include "libs/kubeclient/transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <future>

#include "libs/core/log.h"

namespace vkube::kube {

namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

Error Unavailable(std::string msg) { return Error::Make(ErrorCode::kServiceUnavailable, std::move(msg)); }

bool IsIpLiteral(const std::string& s) {
  boost::system::error_code ec;
  asio::ip::make_address(s, ec);
  return !ec;
}

template <typename T>
asio::awaitable<std::optional<Result<T>>> AsOptional(asio::awaitable<Result<T>> a) {
  // Cancellation is reported as a value (kServiceUnavailable "request cancelled"), never thrown.
  co_await asio::this_coro::throw_if_cancelled(false);
  std::optional<Result<T>> out(co_await std::move(a));
  co_return out;
}

// Runs `a` on the transport's strand and resumes the caller on its own executor. Cancellation of
// the caller is forwarded to `a` as a signal emitted on the strand: cancellation handlers are not
// thread-safe, and the caller (a pool's thread) never runs where `a` does.
template <typename T>
asio::awaitable<Result<T>> OnStrand(asio::strand<asio::any_io_executor>& strand, asio::awaitable<Result<T>> a) {
  auto signal = std::make_shared<asio::cancellation_signal>();
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  asio::cancellation_slot caller = state.slot();
  if (caller.is_connected()) {
    caller.assign([signal, strand](asio::cancellation_type type) {
      asio::post(strand, [signal, type] { signal->emit(type); });
    });
  }
  auto token = asio::bind_cancellation_slot(signal->slot(), asio::as_tuple(asio::use_awaitable));
  auto [ep, r] = co_await asio::co_spawn(strand, AsOptional(std::move(a)), std::move(token));
  if (caller.is_connected()) caller.clear();
  if (ep || !r) co_return Error::Make(ErrorCode::kInternal, "kubeclient: request aborted by an exception");
  co_return std::move(*r);
}

asio::awaitable<Result<std::string>> ReadOn(std::shared_ptr<ResponseStream> s) {
  co_return co_await s->Read(ResponseStream::Clock::time_point::max());
}

asio::awaitable<Result<std::string>> ReadAllOn(std::shared_ptr<ResponseStream> s, std::size_t limit) {
  co_return co_await s->ReadAll(ResponseStream::Clock::time_point::max(), limit);
}

// Removes a socket from Transport::dialing_sockets_ when Dial() returns, however it returns.
class DialingGuard {
 public:
  using List = std::list<std::weak_ptr<TlsSocket>>;
  DialingGuard(List& list, List::iterator it) : list_(list), it_(it) {}
  ~DialingGuard() { list_.erase(it_); }
  DialingGuard(const DialingGuard&) = delete;
  DialingGuard& operator=(const DialingGuard&) = delete;

 private:
  List& list_;
  List::iterator it_;
};

// An exchange that failed before its answer is sent again once on a fresh connection when that is
// safe: the server refused it unprocessed (any method), or it is a GET whose connection died.
bool ShouldRetry(const ResponseStream& st, bool idempotent, const Error& e) {
  if (st.head_received() || st.cancelled()) return false;
  if (st.unprocessed()) return true;
  return idempotent && e.code == ErrorCode::kServiceUnavailable;
}

asio::awaitable<bool> Cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

// ---- BodyStream ----

BodyStream::BodyStream(Transport& transport, std::shared_ptr<ResponseStream> stream)
    : transport_(transport), stream_(std::move(stream)), status_(stream_->status()), headers_(stream_->headers()) {}

BodyStream::~BodyStream() {
  asio::post(transport_.strand(), [s = std::move(stream_)] { s->Cancel(); });
}

asio::awaitable<Result<std::string>> BodyStream::Read() { return OnStrand(transport_.strand(), ReadOn(stream_)); }

void BodyStream::Cancel() {
  asio::post(transport_.strand(), [stream = stream_] { stream->Cancel(); });
}

asio::awaitable<Result<std::string>> BodyStream::ReadAll(std::size_t limit) {
  return OnStrand(transport_.strand(), ReadAllOn(stream_, limit));
}

// ---- Transport ----

Transport::Transport(asio::any_io_executor executor, TransportOptions options)
    : options_(std::move(options)), strand_(asio::make_strand(executor)) {
  authority_ = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  if (options_.port != "443") authority_ += ":" + options_.port;
}

Transport::~Transport() { Shutdown(); }

void Transport::Shutdown() {
  if (shut_down_.exchange(true)) return;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  asio::post(strand_, [this, done] {
    closed_ = true;
    for (auto& s : h2_) s->Close("client shut down");
    for (auto& c : h1_) c->Close();
    for (auto& weak : dialing_sockets_) {
      if (auto socket = weak.lock()) {
        boost::system::error_code ignored;
        socket->lowest_layer().close(ignored);
      }
    }
    dial_done_.NotifyAll();
    h1_released_.NotifyAll();
    h2_capacity_.NotifyAll();
    done->set_value();
  });
  if (fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    VKUBE_LOG(kWarn) << "kubeclient: shutdown: the transport's executor does not run";
  }
  tasks_.Close();
  tasks_.CancelAll();
  if (!tasks_.WaitEmptyBlocking(std::chrono::seconds(10))) {
    VKUBE_LOG(kError) << "kubeclient: shutdown: connection tasks still running";
  }
}

std::string Transport::protocol() const {
  switch (static_cast<Proto>(proto_.load())) {
    case Proto::kH2:
      return "h2";
    case Proto::kH1:
      return "http/1.1";
    default:
      return "";
  }
}

Transport::Clock::time_point Transport::DeadlineFor(const HttpRequest& request) const {
  auto timeout = request.timeout;
  if (timeout.count() <= 0) timeout = options_.request_timeout;
  return Clock::now() + timeout;
}

asio::awaitable<Result<HttpResponse>> Transport::RoundTrip(HttpRequest request) {
  request.streaming = false;
  return OnStrand(strand_, DoRoundTrip(std::move(request)));
}

asio::awaitable<Result<std::unique_ptr<BodyStream>>> Transport::Open(HttpRequest request) {
  request.streaming = true;
  auto st = co_await OnStrand(strand_, DoOpen(std::move(request)));
  if (!st) co_return st.take_error();
  co_return std::make_unique<BodyStream>(*this, std::move(*st));
}

asio::awaitable<Result<HttpResponse>> Transport::DoRoundTrip(HttpRequest request) {
  const auto deadline = DeadlineFor(request);
  auto started = co_await StartAndWaitHead(std::move(request), deadline);
  if (!started) co_return started.take_error();
  std::shared_ptr<ResponseStream> st = std::move(*started);
  auto body = co_await st->ReadAll(deadline, options_.max_response_bytes);
  if (!body) co_return body.take_error();
  HttpResponse resp;
  resp.status = st->status();
  resp.headers = st->headers();
  resp.body = std::move(*body);
  co_return resp;
}

asio::awaitable<Result<std::shared_ptr<ResponseStream>>> Transport::DoOpen(HttpRequest request) {
  const auto deadline = DeadlineFor(request);
  co_return co_await StartAndWaitHead(std::move(request), deadline);
}

asio::awaitable<Result<std::shared_ptr<ResponseStream>>> Transport::StartAndWaitHead(HttpRequest request,
                                                                                     Clock::time_point deadline) {
  const bool idempotent = request.method == "GET";
  for (int attempt = 0;; ++attempt) {
    const bool may_retry = attempt == 0;
    auto started = co_await Start(request, deadline);
    if (!started) {
      // Nothing was sent; a GET also survives a failed dial (the connection may have just died).
      // (co_await never sits in a short-circuit operand: GCC 12 miscompiles that.)
      bool retry = may_retry && idempotent && started.error().code == ErrorCode::kServiceUnavailable;
      if (retry) retry = !co_await Cancelled();
      if (retry) continue;
      co_return started.take_error();
    }
    std::shared_ptr<ResponseStream> st = std::move(*started);
    auto head = co_await st->WaitHead(deadline);
    if (!head) {
      bool retry = may_retry && ShouldRetry(*st, idempotent, head.error());
      if (retry) retry = !co_await Cancelled();
      if (retry) {
        // The failed exchange no longer reads its request: take it back instead of copying it up front.
        request = std::move(st->request());
        continue;
      }
      co_return head.take_error();
    }
    co_return st;
  }
}

asio::awaitable<Result<std::shared_ptr<ResponseStream>>> Transport::Start(HttpRequest& request,
                                                                          Clock::time_point deadline) {
  if (closed_) co_return Unavailable("kubeclient is shut down");
  if (static_cast<Proto>(proto_.load()) != Proto::kH1) {
    auto ready = co_await EnsureH2(deadline);
    if (!ready) co_return ready.take_error();
  }
  if (static_cast<Proto>(proto_.load()) == Proto::kH2) {
    auto session = PickH2();
    // Every connection full and no more allowed: wait for a slot on any of them.
    while (session && !session->has_capacity()) {
      const auto woken = co_await h2_capacity_.Wait(deadline);
      if (woken == WaitList::Woken::kCancelled) co_return Unavailable("request cancelled");
      if (woken == WaitList::Woken::kTimeout) {
        co_return Error::Make(ErrorCode::kTimeout, "client timeout waiting for a free HTTP/2 stream");
      }
      auto ready = co_await EnsureH2(deadline);  // a connection may have gone, or one may be added
      if (!ready) co_return ready.take_error();
      if (static_cast<Proto>(proto_.load()) != Proto::kH2) co_return Unavailable("protocol changed");
      session = PickH2();
    }
    if (!session) co_return Unavailable("no usable HTTP/2 connection");
    auto st = co_await session->Submit(request, deadline);
    // Submit() fails only before anything is sent; when that is because the connection went away
    // meanwhile (GOAWAY, reset), the request goes to a fresh one, whatever its method.
    if (st || session->usable() || closed_) co_return st;
    auto ready = co_await EnsureH2(deadline);
    if (!ready) co_return ready.take_error();
    auto fresh = PickH2();
    if (!fresh) co_return Unavailable("no usable HTTP/2 connection");
    co_return co_await fresh->Submit(request, deadline);
  }
  auto conn = co_await AcquireH1(deadline);
  if (!conn) co_return conn.take_error();
  auto st = (*conn)->Begin(std::move(request));
  if (!tasks_.Spawn(strand_, (*conn)->Exchange(st))) {
    (*conn)->Close();
    request = std::move(st->request());
    co_return Unavailable("kubeclient is shut down");
  }
  co_return st;
}

asio::awaitable<Status> Transport::EnsureH2(Clock::time_point deadline) {
  for (;;) {
    if (closed_) co_return Unavailable("kubeclient is shut down");
    if (static_cast<Proto>(proto_.load()) == Proto::kH1) co_return Status{};
    std::erase_if(h2_, [](const std::shared_ptr<H2Session>& s) { return !s->usable(); });
    const bool any_free = std::any_of(h2_.begin(), h2_.end(), [](const auto& s) { return s->has_capacity(); });
    if (any_free || (!h2_.empty() && h2_.size() >= options_.max_h2_connections)) co_return Status{};
    if (dialing_) {
      const auto generation = dial_generation_;
      const auto woken = co_await dial_done_.Wait(deadline);
      if (woken == WaitList::Woken::kCancelled) co_return Unavailable("request cancelled");
      if (dial_generation_ != generation && dial_error_) co_return *dial_error_;
      if (woken == WaitList::Woken::kTimeout && dialing_) {
        co_return Error::Make(ErrorCode::kTimeout, "client timeout waiting for the connection");
      }
      continue;
    }
    dialing_ = true;
    std::string alpn;
    auto socket = co_await Dial(options_.enable_http2, &alpn, deadline);
    dialing_ = false;
    ++dial_generation_;
    dial_error_.reset();
    if (!socket) {
      dial_error_ = socket.error();
      dial_done_.NotifyAll();
      // Full connections still serve: the request waits for one of their slots instead.
      if (!h2_.empty()) co_return Status{};
      co_return socket.take_error();
    }
    if (closed_) {
      dial_done_.NotifyAll();
      co_return Unavailable("kubeclient is shut down");
    }
    if (alpn == "h2") {
      H2SessionOptions so;
      so.authority = authority_;
      so.max_concurrent_streams = options_.max_concurrent_streams;
      so.stream_window = options_.h2_stream_window;
      so.max_response_bytes = options_.max_response_bytes;
      so.ping_interval = options_.ping_interval;
      so.ping_timeout = options_.ping_timeout;
      so.on_capacity = [this] { h2_capacity_.NotifyAll(); };
      auto session = std::make_shared<H2Session>(std::move(*socket), so);
      if (auto s = session->Init(); !s) {
        dial_error_ = s.error();
        dial_done_.NotifyAll();
        co_return s.take_error();
      }
      h2_.push_back(session);
      if (h2_.size() > 1) {
        VKUBE_LOG(kInfo) << "kubeclient: " << authority_ << ": every HTTP/2 connection is at its stream limit; "
                         << h2_.size() << " connections now";
      }
      proto_ = static_cast<int>(Proto::kH2);
      tasks_.Spawn(strand_, session->Run());
    } else {
      proto_ = static_cast<int>(Proto::kH1);
      AdoptH1(std::move(*socket));
    }
    dial_done_.NotifyAll();
    co_return Status{};
  }
}

std::shared_ptr<H2Session> Transport::PickH2() {
  std::shared_ptr<H2Session> least;
  for (const auto& s : h2_) {
    if (!s->usable()) continue;
    if (s->has_capacity()) return s;
    if (!least || s->active_streams() < least->active_streams()) least = s;
  }
  return least;
}

void Transport::AdoptH1(std::shared_ptr<TlsSocket> socket) {
  auto conn = std::make_shared<H1Connection>(std::move(socket), authority_, options_.max_response_bytes);
  conn->on_released = [this] { h1_released_.NotifyAll(); };
  h1_.push_back(std::move(conn));
}

asio::awaitable<Result<std::shared_ptr<H1Connection>>> Transport::AcquireH1(Clock::time_point deadline) {
  for (;;) {
    if (closed_) co_return Unavailable("kubeclient is shut down");
    std::erase_if(h1_, [](const std::shared_ptr<H1Connection>& c) { return c->dead(); });
    for (auto& c : h1_) {
      if (c->idle()) co_return c;
    }
    if (h1_.size() + h1_dialing_ < options_.max_http1_connections) {
      ++h1_dialing_;
      std::string alpn;
      auto socket = co_await Dial(false, &alpn, deadline);
      --h1_dialing_;
      if (!socket) co_return socket.take_error();
      if (closed_) co_return Unavailable("kubeclient is shut down");
      AdoptH1(std::move(*socket));
      continue;
    }
    const auto woken = co_await h1_released_.Wait(deadline);
    if (woken == WaitList::Woken::kCancelled) co_return Unavailable("request cancelled");
    if (woken == WaitList::Woken::kTimeout) {
      co_return Error::Make(ErrorCode::kTimeout, "client timeout waiting for a free HTTP/1.1 connection");
    }
  }
}

asio::awaitable<Result<std::shared_ptr<TlsSocket>>> Transport::Dial(bool offer_h2, std::string* alpn,
                                                                    Clock::time_point deadline) {
  asio::any_io_executor ex = strand_;
  const std::string where = options_.host + ":" + options_.port;
  asio::ip::tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(options_.host, options_.port, kTuple);
  if (rec) co_return Unavailable("cannot resolve " + where + ": " + rec.message());
  if (closed_) co_return Unavailable("kubeclient is shut down");
  auto socket = std::make_shared<TlsSocket>(ex, *options_.tls);
  const auto registered = dialing_sockets_.insert(dialing_sockets_.end(), socket);
  DialingGuard unregister(dialing_sockets_, registered);
  auto fired = std::make_shared<bool>(false);
  // Connect and handshake share one deadline; on expiry the socket is closed under them.
  asio::steady_timer watchdog(ex, std::min(deadline, Clock::now() + options_.connect_timeout));
  watchdog.async_wait([socket, fired](boost::system::error_code ec) {
    if (ec) return;
    *fired = true;
    boost::system::error_code ignored;
    socket->lowest_layer().close(ignored);
  });
  auto [cec, endpoint] = co_await asio::async_connect(socket->lowest_layer(), endpoints, kTuple);
  if (cec) {
    std::string why = cec.message();
    if (*fired) why = "timeout";
    co_return Unavailable("cannot connect to " + where + ": " + why);
  }
  SSL* ssl = socket->native_handle();
  std::string name = options_.server_name;
  if (name.empty()) name = options_.host;
  const bool ip = IsIpLiteral(name);
  if (!ip) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (options_.insecure_skip_verify) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    }
  }
  static constexpr unsigned char kAlpnH2[] = "\x02h2\x08http/1.1";
  static constexpr unsigned char kAlpnH1[] = "\x08http/1.1";
  if (offer_h2) {
    SSL_set_alpn_protos(ssl, kAlpnH2, sizeof kAlpnH2 - 1);
  } else {
    SSL_set_alpn_protos(ssl, kAlpnH1, sizeof kAlpnH1 - 1);
  }
  auto [hec] = co_await socket->async_handshake(asio::ssl::stream_base::client, kTuple);
  watchdog.cancel();
  if (closed_) co_return Unavailable("kubeclient is shut down");
  if (hec) {
    std::string why = hec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    if (*fired) why = "timeout";
    co_return Unavailable("TLS handshake with " + where + " failed: " + why);
  }
  boost::system::error_code ignored;
  socket->lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  const unsigned char* selected = nullptr;
  unsigned selected_len = 0;
  SSL_get0_alpn_selected(ssl, &selected, &selected_len);
  alpn->assign(reinterpret_cast<const char*>(selected), selected_len);
  ++connections_opened_;
  VKUBE_LOG(kDebug) << "kubeclient: connected to " << where << " alpn=" << *alpn;
  co_return socket;
}

}  // namespace vkube::kube
