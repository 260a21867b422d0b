#include "libs/http/server.h"

#include <atomic>
#include <list>
#include <mutex>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/net/io_pool.h"
#include "libs/net/task_group.h"
#include "libs/net/tls_context.h"

namespace vkube::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// After drain_timeout the remaining connections are closed; this bounds how long their coroutines
// may take to notice.
constexpr std::chrono::seconds kKillGrace{2};
// A TLS close_notify exchange must not hold a finished connection open.
constexpr std::chrono::seconds kShutdownTimeout{1};
// Accept errors such as EMFILE repeat until a descriptor frees up: pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptErrorBackoff{50};

class Server::Impl {
 public:
  Impl(net::IoPool& pool, ServerConfig config, Handler& handler)
      : pool_(pool), config_(std::move(config)), handler_(handler), acceptor_(pool.At(0)) {}

  ~Impl() {
    // Normally Drain() completed first. Otherwise close everything and wait (bounded) so no
    // coroutine outlives the members it references.
    if (tasks_.size() == 0) return;
    VKUBE_LOG(kWarn) << "http server destroyed without Drain(): closing " << connections_.load() << " connections";
    asio::post(acceptor_.get_executor(), [this] { CloseAcceptor(); });
    KillAll();
    if (!tasks_.WaitEmptyBlocking(config_.limits.drain_timeout + kKillGrace)) {
      VKUBE_LOG(kError) << "http server: connections still running at destruction (io pool stopped?)";
    }
  }

  Status Start() {
    auto ctx = net::MakeServerTlsContext(net::TlsContextOptions{
        .cert_chain_pem = config_.tls.cert_chain_pem,
        .private_key_pem = config_.tls.private_key_pem,
        .client_ca_pem = config_.tls.client_ca_pem,
        .offer_http2 = config_.enable_http2 && Http2Available(),
        .request_client_cert = config_.tls.request_client_cert,
        .select_by_sni = config_.tls.select_by_sni});
    if (!ctx) return ctx.take_error();
    tls_ = *ctx;
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(config_.listen_host, ec);
    if (ec) return Error::Make(ErrorCode::kBadRequest, "bad listen address: " + config_.listen_host);
    tcp::endpoint ep(addr, config_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error::Make(ErrorCode::kInternal,
                         "listen on " + config_.listen_host + ":" + std::to_string(config_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    if (!tasks_.Spawn(acceptor_.get_executor(), AcceptLoop())) {
      return Error::Make(ErrorCode::kInternal, "server already drained");
    }
    return {};
  }

  std::uint16_t port() const { return port_; }
  std::size_t connections() const { return connections_.load(); }

  void Drain(std::function<void()> done) {
    // Runs on the acceptor's thread; `done` is its completion (the caller keeps the server alive
    // until then), so the drain itself is never detached.
    asio::co_spawn(acceptor_.get_executor(), DrainTask(), [done = std::move(done)](std::exception_ptr e) {
      if (e) {
        VKUBE_LOG(kError) << "http server: drain failed with an exception";
      }
      if (done) done();
    });
  }

 private:
  // One live connection. `executor` and `drain` never change; `stream` is set and cleared only on
  // `executor`, and read only by handlers posted there.
  struct Conn {
    asio::any_io_executor executor;
    std::shared_ptr<DrainState> drain = std::make_shared<DrainState>();
    TlsStream* stream = nullptr;
  };

  // Owned by the connection coroutine's frame: unregisters the connection however the frame ends
  // (even if its io_context is destroyed before the coroutine ever ran).
  struct ConnRegistration {
    Impl* server = nullptr;
    std::list<std::shared_ptr<Conn>>::iterator it;
    ConnRegistration(Impl* s, std::list<std::shared_ptr<Conn>>::iterator i) : server(s), it(i) {}
    ConnRegistration(ConnRegistration&& o) noexcept : server(std::exchange(o.server, nullptr)), it(o.it) {}
    ConnRegistration(const ConnRegistration&) = delete;
    ConnRegistration& operator=(const ConnRegistration&) = delete;
    ConnRegistration& operator=(ConnRegistration&&) = delete;
    ~ConnRegistration() {
      if (server == nullptr) return;
      std::lock_guard lock(server->mu_);
      server->live_.erase(it);
      server->connections_.fetch_sub(1);
    }
  };

  void CloseAcceptor() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

  std::vector<std::shared_ptr<Conn>> Snapshot() {
    std::lock_guard lock(mu_);
    return {live_.begin(), live_.end()};
  }

  // Closes every connection's socket on its own thread; blocked reads and writes fail at once and
  // the codecs unwind (their handlers see closing()).
  void KillAll() {
    for (auto& c : Snapshot()) {
      asio::post(c->executor, [c] {
        if (c->stream != nullptr) beast::get_lowest_layer(*c->stream).close();
      });
    }
  }

  asio::awaitable<void> DrainTask() {
    std::vector<std::shared_ptr<Conn>> conns;
    {
      std::lock_guard lock(mu_);
      draining_ = true;
      conns.assign(live_.begin(), live_.end());
    }
    CloseAcceptor();  // the accept loop ends with operation_aborted
    tasks_.Close();
    for (auto& c : conns) asio::post(c->executor, [d = c->drain] { d->Begin(); });
    bool clean = co_await tasks_.WaitEmpty(config_.limits.drain_timeout);
    if (!clean) {
      VKUBE_LOG(kWarn) << "drain timeout: closing " << connections_.load() << " connections";
      KillAll();
      clean = co_await tasks_.WaitEmpty(kKillGrace);
      if (!clean) {
        // Last resort for a coroutine stuck on something other than its socket.
        tasks_.CancelAll();
        clean = co_await tasks_.WaitEmpty(kKillGrace);
      }
      if (!clean) {
        VKUBE_LOG(kError) << "drain: " << tasks_.size() << " tasks did not stop";
      }
    }
  }

  asio::awaitable<void> AcceptLoop() {
    asio::steady_timer backoff(acceptor_.get_executor());
    for (;;) {
      asio::io_context& target = pool_.Next();
      auto [ec, socket] = co_await acceptor_.async_accept(target, kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        VKUBE_LOG(kWarn) << "accept: " << ec.message();
        backoff.expires_after(kAcceptErrorBackoff);
        co_await backoff.async_wait(kTuple);
        continue;
      }
      if (connections_.load() >= config_.limits.max_connections) {
        // Over the limit: refuse at once rather than queue (the client retries elsewhere/later).
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      auto conn = std::make_shared<Conn>();
      conn->executor = socket.get_executor();
      std::list<std::shared_ptr<Conn>>::iterator it;
      {
        std::lock_guard lock(mu_);
        if (draining_) co_return;
        it = live_.insert(live_.end(), conn);
        connections_.fetch_add(1);
      }
      // Never hold mu_ across Spawn: the session may start inline and take it.
      auto ex = conn->executor;
      tasks_.Spawn(ex, Session(std::move(socket), std::move(conn), ConnRegistration(this, it)));
    }
  }

  static std::string FormatEndpoint(const tcp::endpoint& ep) {
    auto addr = ep.address();
    std::string host = addr.to_string();
    if (addr.is_v6()) host = "[" + host + "]";
    return host + ":" + std::to_string(ep.port());
  }

  asio::awaitable<void> Session(tcp::socket socket, std::shared_ptr<Conn> conn, ConnRegistration reg) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    socket.set_option(tcp::no_delay(true), ec);
    TlsStream stream(std::move(socket), *tls_);
    conn->stream = &stream;
    // However this frame ends (even by an exception after a last-resort cancellation), nothing
    // may reach `stream` or this frame through `conn` afterwards.
    struct Unpublish {
      Conn& c;
      ~Unpublish() {
        c.stream = nullptr;
        c.drain->Clear();
      }
    } unpublish{*conn};
    // Draining while the handshake is still running: no request has arrived yet, just close.
    bool handshaking = true;
    conn->drain->Subscribe([&] {
      if (handshaking) beast::get_lowest_layer(stream).close();
    });
    beast::get_lowest_layer(stream).expires_after(config_.limits.handshake_timeout);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    handshaking = false;
    conn->drain->Clear();
    beast::get_lowest_layer(stream).expires_never();
    if (!hec) {
      auto tls = net::InspectTls(stream.native_handle());
      auto peer = std::make_shared<PeerInfo>();
      peer->remote_address = FormatEndpoint(remote);
      peer->sni = std::move(tls.sni);
      peer->alpn = std::move(tls.alpn);
      peer->client_cert_verified = tls.client_cert_verified;
      peer->client_cert_cn = std::move(tls.cn);
      peer->client_cert_orgs = std::move(tls.orgs);
      peer->client_cert_der = std::move(tls.client_cert_der);
      const bool h2 = peer->alpn == "h2";
      ConnectionContext ctx{std::move(peer), &config_.limits, &handler_, conn->drain};
      if (h2) {
        co_await ServeHttp2(stream, ctx);
      } else {
        co_await ServeHttp1(stream, ctx);
      }
      if (beast::get_lowest_layer(stream).socket().is_open()) {
        // Send our close_notify but do not wait for the peer's: most clients (Go among them)
        // never answer one, which would hold every drain for kShutdownTimeout.
        SSL* ssl = stream.native_handle();
        SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
        beast::get_lowest_layer(stream).expires_after(kShutdownTimeout);
        co_await stream.async_shutdown(kTuple);
      }
    } else {
      VKUBE_LOG(kDebug) << "tls handshake with " << FormatEndpoint(remote) << ": " << hec.message();
    }
    beast::get_lowest_layer(stream).close();
  }

  net::IoPool& pool_;
  const ServerConfig config_;
  Handler& handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::mutex mu_;
  std::list<std::shared_ptr<Conn>> live_;
  bool draining_ = false;
  net::TaskGroup tasks_;  // the accept loop and every connection; ~Impl waits for it to empty
};

Server::Server(net::IoPool& pool, ServerConfig config, Handler& handler)
    : impl_(std::make_unique<Impl>(pool, std::move(config), handler)) {}
Server::~Server() = default;
Status Server::Start() { return impl_->Start(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Drain(std::function<void()> done) { impl_->Drain(std::move(done)); }
std::size_t Server::connection_count() const { return impl_->connections(); }

}  // namespace vkube::http
