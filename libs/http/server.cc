#include "libs/http/server.h"

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/core/log.h"
#include "libs/http/connection.h"
#include "libs/net/io_pool.h"
#include "libs/net/tls_context.h"

namespace vkube::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class Server::Impl {
 public:
  Impl(net::IoPool& pool, ServerConfig config, Handler& handler)
      : pool_(pool), config_(std::move(config)), handler_(handler), acceptor_(pool.At(0)) {}

  Status Start() {
    auto ctx = net::MakeServerTlsContext(net::TlsContextOptions{config_.tls.cert_chain_pem, config_.tls.private_key_pem,
                                                                config_.tls.client_ca_pem,
                                                                config_.enable_http2 && Http2Available()});
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
    if (ec) return Error::Make(ErrorCode::kInternal, "listen on " + config_.listen_host + ":" +
                                                         std::to_string(config_.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    tasks_ = 1;
    asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), [this](std::exception_ptr) { TaskDone(); });
    return {};
  }

  std::uint16_t port() const { return port_; }
  std::size_t connections() const { return connections_.load(); }

  void Drain(std::function<void()> done) {
    {
      std::lock_guard lock(mu_);
      draining_ = true;
      for (auto& c : live_) asio::post(c.executor, [d = c.drain] { d->Begin(); });
    }
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    // Wait (off the io threads) for every connection and the accept loop to finish.
    std::thread([this, done = std::move(done)] {
      std::unique_lock lock(mu_);
      bool clean = cv_.wait_for(lock, config_.limits.drain_timeout, [&] { return tasks_ == 0; });
      if (!clean) {
        VKUBE_LOG(kWarn) << "drain timeout: " << tasks_ << " tasks still open, closing them";
        for (auto& c : live_) asio::post(c.executor, [k = c.kill] { k(); });
        cv_.wait_for(lock, std::chrono::seconds(2), [&] { return tasks_ == 0; });
      }
      lock.unlock();
      done();
    }).detach();  // owns nothing but `this`, which the caller keeps alive until `done`
  }

 private:
  struct Live {
    asio::any_io_executor executor;
    std::shared_ptr<DrainState> drain;
    std::function<void()> kill;
  };

  void TaskDone() {
    std::lock_guard lock(mu_);
    --tasks_;
    cv_.notify_all();
  }

  asio::awaitable<void> AcceptLoop() {
    for (;;) {
      asio::io_context& target = pool_.Next();
      auto [ec, socket] = co_await acceptor_.async_accept(target, kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving existing connections
      }
      if (connections_.load() >= config_.limits.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      {
        std::lock_guard lock(mu_);
        if (draining_) co_return;
        ++tasks_;
        ++connections_;
      }
      // co_spawn may run the session inline (same io_context): never hold mu_ here.
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Session(std::move(socket)), [this](std::exception_ptr) {
        --connections_;
        TaskDone();
      });
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    socket.set_option(tcp::no_delay(true), ec);
    TlsStream stream(std::move(socket), *tls_);
    auto drain = std::make_shared<DrainState>();
    auto ex = stream.get_executor();
    std::list<Live>::iterator self;
    {
      std::lock_guard lock(mu_);
      self = live_.insert(live_.end(), Live{ex, drain, [&stream] {
                                              boost::system::error_code e;
                                              boost::beast::get_lowest_layer(stream).socket().close(e);
                                            }});
      if (draining_) asio::post(ex, [drain] { drain->Begin(); });
    }
    boost::beast::get_lowest_layer(stream).expires_after(config_.limits.handshake_timeout);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (!hec) {
      boost::beast::get_lowest_layer(stream).expires_never();
      auto tls = net::InspectTls(stream.native_handle());
      auto peer = std::make_shared<PeerInfo>();
      peer->remote_address = remote.address().to_string() + ":" + std::to_string(remote.port());
      peer->sni = tls.sni;
      peer->alpn = tls.alpn;
      peer->client_cert_verified = tls.client_cert_verified;
      peer->client_cert_cn = tls.cn;
      peer->client_cert_orgs = tls.orgs;
      ConnectionContext ctx{peer, &config_.limits, &handler_, drain};
      if (tls.alpn == "h2") {
        co_await ServeHttp2(stream, ctx);
      } else {
        co_await ServeHttp1(stream, ctx);
      }
      boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
      co_await stream.async_shutdown(kTuple);
    }
    boost::beast::get_lowest_layer(stream).close();
    std::lock_guard lock(mu_);
    live_.erase(self);
  }

  net::IoPool& pool_;
  ServerConfig config_;
  Handler& handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t tasks_ = 0;  // accept loop + sessions, for drain
  std::list<Live> live_;
  bool draining_ = false;
};

Server::Server(net::IoPool& pool, ServerConfig config, Handler& handler)
    : impl_(std::make_unique<Impl>(pool, std::move(config), handler)) {}
Server::~Server() = default;
Status Server::Start() { return impl_->Start(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Drain(std::function<void()> done) { impl_->Drain(std::move(done)); }
std::size_t Server::connection_count() const { return impl_->connections(); }

}  // namespace vkube::http
