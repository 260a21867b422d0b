// Protocol upgrades through the real HTTPS server: AcceptUpgrade on HTTP/1.1 (with Beast's
// WebSocket client as the independent peer), refusal without an upgrade, DialUpgrade + Splice as a
// proxy would use them, the idle deadline, and a handler that returns without closing.
#include "libs/http/upgrade.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "libs/http/server.h"
#include "libs/http/testing/test_tls.h"
#include "libs/http/websocket.h"
#include "libs/net/io_pool.h"

namespace vkube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

const testing::TestCert& Cert() {
  static const testing::TestCert cert = testing::MakeSelfSignedServerCert();
  return cert;
}

std::shared_ptr<ssl::context> ClientContext() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->add_certificate_authority(asio::buffer(Cert().cert_pem));
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

Response Plain(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.push_back({"content-type", "text/plain"});
  r.body = std::move(body);
  return r;
}

Response Switch(std::string protocol) {
  Response r;
  r.status = 101;
  r.headers.push_back({"upgrade", std::move(protocol)});
  r.headers.push_back({"content-length", "5"});  // framing headers are dropped from a 101
  return r;
}

class UpgradeHandler final : public Handler {
 public:
  std::uint16_t port = 0;
  std::atomic<int> ws_closed_normally{0};
  std::atomic<int> idle_timeouts{0};
  std::atomic<int> spliced{0};

  asio::awaitable<void> Handle(Request& req, ResponseWriter& w) override {
    if (req.path == "/plain") co_return co_await w.Send(Plain(200, "just text"));
    if (req.path == "/ws") co_return co_await WebSocketEcho(req, w);
    if (req.path == "/proxy") co_return co_await Proxy(req, w);
    std::unique_ptr<UpgradedStream> s = co_await AcceptUpgrade(req, Switch("test-echo"));
    if (!s) co_return co_await w.Send(Plain(400, "Upgrade request required"));
    if (req.path == "/return") co_return;  // the codec closes the connection
    if (req.query == "idle=1") {
      StreamLimits quick;
      quick.idle_timeout = 200ms;
      s->set_limits(quick);
    }
    char buf[1024];
    for (;;) {
      IoResult r = co_await s->ReadSome(asio::buffer(buf));
      if (r.bytes > 0 && co_await s->Write(asio::buffer(buf, r.bytes))) break;
      if (r.ec) {
        if (r.ec == asio::error::timed_out) ++idle_timeouts;
        break;
      }
    }
  }

 private:
  asio::awaitable<void> WebSocketEcho(Request& req, ResponseWriter& w) {
    if (!websocket::IsWebSocketRequest(req)) co_return co_await w.Send(Plain(400, "not a websocket"));
    std::string chosen;
    for (const auto& p : websocket::OfferedProtocols(req)) {
      if (p == "v5.channel.k8s.io") chosen = p;
    }
    std::unique_ptr<UpgradedStream> s = co_await AcceptUpgrade(req, websocket::SwitchingProtocols(req, chosen));
    if (!s) co_return co_await w.Send(Plain(400, "Upgrade request required"));
    websocket::Connection ws(*s, websocket::Role::kServer);
    websocket::Message m;
    for (;;) {
      boost::system::error_code ec = co_await ws.Read(m);
      if (ec) {
        if (ec == asio::error::eof && ws.peer_close_code() == websocket::kCloseNormal) ++ws_closed_normally;
        break;
      }
      if (m.data == "bye") {
        co_await ws.Close(websocket::kCloseNormal, "done");
        break;
      }
      const std::string reply = "echo:" + m.data;
      if (co_await ws.Write(m.opcode, reply)) break;
    }
  }

  // What a proxy does: dial the upstream first, then answer the client with the upstream's 101.
  asio::awaitable<void> Proxy(Request& req, ResponseWriter& w) {
    UpgradeRequest up;
    up.url = "https://127.0.0.1:" + std::to_string(port);
    up.target = "/echo";
    up.headers.push_back({"upgrade", "test-echo"});
    up.tls = ClientContext();
    up.server_name = "localhost";
    auto ex = co_await asio::this_coro::executor;
    Result<UpgradeResponse> dialled = co_await DialUpgrade(ex, std::move(up));
    if (!dialled) co_return co_await w.Send(Plain(502, dialled.error().message));
    if (!dialled->stream) co_return co_await w.Send(std::move(dialled->response));
    std::unique_ptr<UpgradedStream> down = co_await AcceptUpgrade(req, std::move(dialled->response));
    if (!down) co_return co_await w.Send(Plain(400, "Upgrade request required"));
    SpliceResult r = co_await Splice(*down, *dialled->stream);
    if (r.a_to_b > 0 && r.a_to_b == r.b_to_a) ++spliced;
  }
};

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig cfg;
    cfg.tls.cert_chain_pem = Cert().cert_pem;
    cfg.tls.private_key_pem = Cert().key_pem;
    cfg.limits.drain_timeout = 2s;
    server_ = std::make_unique<Server>(pool_, cfg, handler_);
    ASSERT_TRUE(server_->Start().ok());
    handler_.port = server_->port();
    pool_.Start();
  }
  void TearDown() override {
    std::promise<void> done;
    server_->Drain([&] { done.set_value(); });
    done.get_future().wait();
    pool_.Stop();
  }

  template <class T>
  T Run(asio::awaitable<T> task) {
    auto f = asio::co_spawn(io_, std::move(task), asio::use_future);
    io_.run_for(10s);
    io_.restart();
    return f.get();
  }

  using Tls = beast::ssl_stream<beast::tcp_stream>;
  // Connects with ALPN http/1.1 (as Go's WebSocket dialers do).
  asio::awaitable<std::unique_ptr<Tls>> Connect() {
    auto s = std::make_unique<Tls>(io_, *client_ctx_);
    static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(s->native_handle(), kAlpn, sizeof kAlpn);
    beast::get_lowest_layer(*s).expires_after(5s);
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), server_->port());
    co_await beast::get_lowest_layer(*s).async_connect(ep, asio::use_awaitable);
    co_await s->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    co_return s;
  }

  // Sends `raw` and reads one response head; the rest of what arrived stays in `buf`.
  static asio::awaitable<int> Exchange(Tls& s, std::string raw, beast::flat_buffer& buf) {
    co_await asio::async_write(s, asio::buffer(raw), asio::use_awaitable);
    bhttp::response_parser<bhttp::empty_body> p;
    co_await bhttp::async_read_header(s, buf, p, asio::use_awaitable);
    co_return static_cast<int>(p.get().result_int());
  }

  static asio::awaitable<std::string> ReadAtLeast(Tls& s, beast::flat_buffer& buf, std::size_t n) {
    while (buf.size() < n) {
      auto [ec, got] = co_await s.async_read_some(buf.prepare(1024), kTuple);
      if (ec) break;
      buf.commit(got);
    }
    std::string out(static_cast<const char*>(buf.data().data()), buf.size());
    buf.consume(buf.size());
    co_return out;
  }

  net::IoPool pool_{1};
  UpgradeHandler handler_;
  std::unique_ptr<Server> server_;
  asio::io_context io_;
  std::shared_ptr<ssl::context> client_ctx_ = ClientContext();
};

TEST_F(UpgradeTest, BeastWebSocketClientTalksToAcceptedStream) {
  Run([&]() -> asio::awaitable<int> {
    auto tls = co_await Connect();
    beast::get_lowest_layer(*tls).expires_never();
    beast::websocket::stream<Tls> ws(std::move(*tls));
    ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::request_type& r) {
      r.set(bhttp::field::sec_websocket_protocol, "v4.channel.k8s.io, v5.channel.k8s.io");
    }));
    beast::websocket::response_type res;
    co_await ws.async_handshake(res, "localhost", "/ws", asio::use_awaitable);
    EXPECT_EQ(res[bhttp::field::sec_websocket_protocol], "v5.channel.k8s.io");
    ws.binary(true);
    co_await ws.async_write(asio::buffer(std::string("\x00stdin", 6)), asio::use_awaitable);
    beast::flat_buffer b;
    co_await ws.async_read(b, asio::use_awaitable);
    EXPECT_EQ(beast::buffers_to_string(b.data()), std::string("echo:\x00stdin", 11));
    // A large message in several frames.
    b.consume(b.size());
    ws.auto_fragment(true);
    ws.write_buffer_bytes(4096);
    const std::string big(100000, 'z');
    co_await ws.async_write(asio::buffer(big), asio::use_awaitable);
    co_await ws.async_read(b, asio::use_awaitable);
    EXPECT_EQ(b.size(), big.size() + 5);
    co_await ws.async_close(beast::websocket::close_code::normal, asio::use_awaitable);
    co_return 0;
  }());
  for (int i = 0; i < 100 && handler_.ws_closed_normally == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(handler_.ws_closed_normally, 1);
}

TEST_F(UpgradeTest, ServerInitiatedCloseReachesBeastClient) {
  Run([&]() -> asio::awaitable<int> {
    auto tls = co_await Connect();
    beast::get_lowest_layer(*tls).expires_never();
    beast::websocket::stream<Tls> ws(std::move(*tls));
    co_await ws.async_handshake("localhost", "/ws", asio::use_awaitable);
    co_await ws.async_write(asio::buffer(std::string("bye")), asio::use_awaitable);
    beast::flat_buffer b;
    auto [ec, n] = co_await ws.async_read(b, kTuple);
    EXPECT_EQ(ec, beast::websocket::error::closed);
    EXPECT_EQ(ws.reason().code, beast::websocket::close_code::normal);
    EXPECT_EQ(std::string(ws.reason().reason.c_str()), "done");
    co_return 0;
  }());
}

TEST_F(UpgradeTest, BytesSentWithTheRequestReachTheUpgradedStream) {
  Run([&]() -> asio::awaitable<int> {
    auto s = co_await Connect();
    beast::flat_buffer buf;
    // The request and the first bytes of the new protocol in one write.
    int status = co_await Exchange(
        *s, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\nearly-bytes", buf);
    EXPECT_EQ(status, 101);
    EXPECT_EQ(co_await ReadAtLeast(*s, buf, 11), "early-bytes");
    co_await asio::async_write(*s, asio::buffer(std::string("more")), asio::use_awaitable);
    EXPECT_EQ(co_await ReadAtLeast(*s, buf, 4), "more");
    co_return 0;
  }());
}

TEST_F(UpgradeTest, RequestWithoutUpgradeGetsNoStream) {
  Run([&]() -> asio::awaitable<int> {
    auto s = co_await Connect();
    beast::flat_buffer buf;
    // No Connection: Upgrade → AcceptUpgrade returns nullptr and the handler answers normally.
    EXPECT_EQ(co_await Exchange(*s, "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: test-echo\r\n\r\n", buf), 400);
    co_return 0;
  }());
}

TEST_F(UpgradeTest, HandlerThatReturnsClosesTheConnection) {
  Run([&]() -> asio::awaitable<int> {
    auto s = co_await Connect();
    beast::flat_buffer buf;
    EXPECT_EQ(co_await Exchange(*s, "GET /return HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: t\r\n\r\n", buf),
              101);
    beast::get_lowest_layer(*s).expires_after(5s);
    auto [ec, n] = co_await s->async_read_some(buf.prepare(16), kTuple);
    EXPECT_TRUE(ec);  // closed, and no HTTP error response was appended
    EXPECT_EQ(n, 0u);
    co_return 0;
  }());
}

TEST_F(UpgradeTest, IdleStreamIsClosed) {
  const auto start = std::chrono::steady_clock::now();
  Run([&]() -> asio::awaitable<int> {
    auto s = co_await Connect();
    beast::flat_buffer buf;
    EXPECT_EQ(co_await Exchange(
                  *s, "GET /echo?idle=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n", buf),
              101);
    beast::get_lowest_layer(*s).expires_after(5s);
    auto [ec, n] = co_await s->async_read_some(buf.prepare(16), kTuple);
    EXPECT_TRUE(ec);
    co_return 0;
  }());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  for (int i = 0; i < 100 && handler_.idle_timeouts == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(handler_.idle_timeouts, 1);
}

TEST_F(UpgradeTest, DialUpgradeReturnsNonSwitchingAnswersWithTheirBody) {
  Run([&]() -> asio::awaitable<int> {
    UpgradeRequest r;
    r.url = "https://127.0.0.1:" + std::to_string(server_->port()) + "/ignored";
    r.target = "/plain";
    r.headers.push_back({"upgrade", "test-echo"});
    r.tls = client_ctx_;
    r.server_name = "localhost";
    Result<UpgradeResponse> got = co_await DialUpgrade(io_.get_executor(), r);
    EXPECT_TRUE(got.ok());
    if (got) {
      EXPECT_EQ(got->response.status, 200);
      EXPECT_EQ(got->response.body, "just text");
      EXPECT_FALSE(got->stream);
    }
    // A certificate that does not match the name is refused.
    r.server_name = "not-localhost";
    Result<UpgradeResponse> bad = co_await DialUpgrade(io_.get_executor(), r);
    EXPECT_FALSE(bad.ok());
    r.url = "ftp://x";
    EXPECT_FALSE((co_await DialUpgrade(io_.get_executor(), r)).ok());
    co_return 0;
  }());
}

TEST_F(UpgradeTest, ProxySplicesClientAndUpstream) {
  Run([&]() -> asio::awaitable<int> {
    auto s = co_await Connect();
    beast::flat_buffer buf;
    EXPECT_EQ(co_await Exchange(*s, "GET /proxy HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n", buf),
              101);
    for (const std::string& msg : std::vector<std::string>{"one", "two-two", std::string(50000, 'q')}) {
      co_await asio::async_write(*s, asio::buffer(msg), asio::use_awaitable);
      EXPECT_EQ(co_await ReadAtLeast(*s, buf, msg.size()), msg);
    }
    beast::get_lowest_layer(*s).close();  // the client leaves: both legs of the splice end
    co_return 0;
  }());
  for (int i = 0; i < 200 && handler_.spliced == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(handler_.spliced, 1);
}

}  // namespace
}  // namespace vkube::http
