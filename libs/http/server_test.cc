// End-to-end tests of the HTTPS server and the HTTP/1.1 codec: a real Server on 127.0.0.1, real
// TLS, driven by curl and by an in-test Beast client.
#include "libs/http/server.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "libs/http/connection.h"
#include "libs/http/testing/test_tls.h"
#include "libs/net/io_pool.h"

namespace vkube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using testing::TestCert;

constexpr std::size_t kBodyLimit = 1024 * 1024;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::string_view kTooLargeJson =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request body is too large","reason":"RequestEntityTooLarge","code":413})";

const TestCert& ServerCert() {
  static const TestCert cert = testing::MakeSelfSignedServerCert();
  return cert;
}

Limits FastLimits() {
  Limits l;
  l.max_body_bytes = kBodyLimit;
  l.max_header_bytes = kHeaderLimit;
  l.handshake_timeout = 2s;
  l.header_timeout = 200ms;
  l.body_timeout = 2s;
  l.idle_timeout = 30s;  // long: tests that need idle connections closed use Drain
  l.write_timeout = 2s;
  l.drain_timeout = 2s;
  return l;
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 3s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Built outside coroutines (GCC 12 and brace-initialized aggregates inside coroutines).
Response Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.push_back({"content-type", "text/plain"});
  r.body = std::move(body);
  return r;
}

Response Echo(const Request& req) {
  Response r = Text(200, req.method + " " + req.path + " " + req.query + "\n" + req.body);
  const PeerInfo& p = *req.peer;
  std::string orgs;
  for (const auto& o : p.client_cert_orgs) orgs += (orgs.empty() ? "" : ",") + o;
  r.headers.push_back({"x-peer-alpn", p.alpn});
  r.headers.push_back({"x-peer-sni", p.sni});
  r.headers.push_back({"x-peer-verified", p.client_cert_verified ? "true" : "false"});
  r.headers.push_back({"x-peer-cn", p.client_cert_cn});
  r.headers.push_back({"x-peer-orgs", orgs});
  r.headers.push_back({"x-peer-remote", p.remote_address});
  r.headers.push_back({"x-test-seen", std::string(req.header("X-Test"))});
  // Framing headers and CR/LF injection from a handler are dropped by the codec.
  r.headers.push_back({"content-length", "99999"});
  r.headers.push_back({"x-evil", "a\r\nx-injected: yes"});
  return r;
}

Headers TextHeaders() {
  Headers h;
  h.push_back({"content-type", "text/plain"});
  return h;
}

class TestHandler final : public Handler {
 public:
  std::atomic<int> closing_fired{0};
  std::atomic<int> watches_ended{0};
  std::atomic<int> requests{0};

  asio::awaitable<void> Handle(Request& req, ResponseWriter& w) override {
    ++requests;
    if (req.path == "/stream") {
      co_await Stream(w);
    } else if (req.path == "/watch") {
      co_await Watch(w);
    } else if (req.path == "/throw") {
      throw std::runtime_error("handler bug");
    } else if (req.path == "/slow") {
      asio::steady_timer t(co_await asio::this_coro::executor, 150ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_await w.Send(Text(200, "slow done"));
    } else {
      co_await w.Send(Echo(req));
    }
  }

 private:
  static asio::awaitable<void> Stream(ResponseWriter& w) {
    if (!co_await w.Start(200, TextHeaders())) co_return;
    for (int i = 0; i < 3; ++i) {
      if (!co_await w.Write("chunk-" + std::to_string(i) + "\n")) co_return;
      asio::steady_timer t(co_await asio::this_coro::executor, 10ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_await w.Finish();
  }

  // Like a watch: sends a first event, then waits until the connection is closing and ends the
  // stream cleanly with a last line.
  asio::awaitable<void> Watch(ResponseWriter& w) {
    asio::steady_timer wake(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    w.on_closing([&] {
      ++closing_fired;
      wake.cancel();
    });
    if (co_await w.Start(200, TextHeaders()) && co_await w.Write("start\n")) {
      while (!w.closing()) co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
      co_await w.Write("bye\n");
    }
    co_await w.Finish();
    w.on_closing({});
    ++watches_ended;
  }
};

// A TLS client on its own io_context; every operation is bounded by a deadline.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port, std::string alpn_wire = std::string("\x08http/1.1", 9),
                      const TestCert* cert = nullptr, const std::string& sni = "")
      : port_(port) {
    if (cert != nullptr) {
      ctx_.use_certificate(asio::buffer(cert->cert_pem), ssl::context::pem);
      ctx_.use_private_key(asio::buffer(cert->key_pem), ssl::context::pem);
    }
    stream_.emplace(io_, ctx_);
    if (!alpn_wire.empty()) {
      SSL_set_alpn_protos(stream_->native_handle(), reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                          static_cast<unsigned>(alpn_wire.size()));
    }
    if (!sni.empty()) SSL_set_tlsext_host_name(stream_->native_handle(), sni.c_str());
  }

  bool Connect() {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
    if (Run([&](auto h) { beast::get_lowest_layer(*stream_).async_connect(ep, h); })) return false;
    return !Run([&](auto h) { stream_->async_handshake(ssl::stream_base::client, h); });
  }

  std::string Alpn() {
    const unsigned char* p = nullptr;
    unsigned n = 0;
    SSL_get0_alpn_selected(stream_->native_handle(), &p, &n);
    return std::string(reinterpret_cast<const char*>(p), n);
  }

  bool Write(std::string_view raw) {
    return !Run([&](auto h) { asio::async_write(*stream_, asio::buffer(raw.data(), raw.size()), h); });
  }

  bool Send(bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "localhost");
    req.prepare_payload();
    return !Run([&](auto h) { bhttp::async_write(*stream_, req, h); });
  }

  bool Get(const std::string& target, bhttp::verb verb = bhttp::verb::get) {
    return Send(bhttp::request<bhttp::string_body>{verb, target, 11});
  }

  std::optional<bhttp::response<bhttp::string_body>> Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> p;
    p.skip(head);
    if (Run([&](auto h) { bhttp::async_read(*stream_, buf_, p, h); })) return std::nullopt;
    return p.release();
  }

  // Streaming: read the header, then body pieces as they come.
  bool ReadHeader() {
    parser_.emplace();
    parser_->on_chunk_header(count_chunks_);
    return !Run([&](auto h) { bhttp::async_read_header(*stream_, buf_, *parser_, h); });
  }
  bool ReadUntilBody(std::string_view needle) {
    while (parser_->get().body().find(needle) == std::string::npos) {
      if (Run([&](auto h) { bhttp::async_read_some(*stream_, buf_, *parser_, h); })) return false;
    }
    return true;
  }
  bool ReadToEnd() {
    return !Run([&](auto h) { bhttp::async_read(*stream_, buf_, *parser_, h); }) && parser_->is_done();
  }
  bhttp::response_parser<bhttp::string_body>& parser() { return *parser_; }
  int chunks() const { return chunks_; }

  // Waits for the server to close the connection; returns false if it stays open.
  bool ExpectClosed(std::chrono::milliseconds timeout = 3s) {
    char scratch[256];
    for (;;) {
      auto ec = Run([&](auto h) { stream_->async_read_some(asio::buffer(scratch), h); }, timeout);
      if (ec == asio::error::timed_out) return false;
      if (ec) return true;
    }
  }

  void Close() { beast::get_lowest_layer(*stream_).close(); }

 private:
  template <class Initiate>
  boost::system::error_code Run(Initiate initiate, std::chrono::milliseconds timeout = 5s) {
    std::optional<boost::system::error_code> result;
    initiate([&](boost::system::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!result && std::chrono::steady_clock::now() < deadline) io_.run_one_until(deadline);
    if (!result) {
      beast::get_lowest_layer(*stream_).close();
      io_.restart();
      while (!result) io_.run_one();
      return asio::error::timed_out;
    }
    return *result;
  }

  std::uint16_t port_;
  asio::io_context io_;
  ssl::context ctx_{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buf_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  int chunks_ = 0;
  std::function<void(std::uint64_t, std::string_view, boost::system::error_code&)> count_chunks_ =
      [this](std::uint64_t size, std::string_view, boost::system::error_code&) {
        if (size > 0) ++chunks_;
      };
};

struct CurlResult {
  int exit_code = -1;
  std::string output;
};

// Runs curl against the server; `-w` appends "\n<code> <http version>".
CurlResult Curl(const std::string& args) {
  std::string cmd = "curl -sS -k --max-time 5 -w '\\n%{http_code} %{http_version}' " + args + " 2>&1";
  CurlResult r;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  r.exit_code = pclose(f);
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.Start(); }

  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(DrainAndWait());
    }
    pool_.Stop();
  }

  void StartServer(Limits limits = FastLimits(), std::string client_ca = "") {
    ServerConfig cfg;
    cfg.tls = {ServerCert().cert_pem, ServerCert().key_pem, std::move(client_ca)};
    cfg.limits = limits;
    server_ = std::make_unique<Server>(pool_, cfg, handler_);
    auto s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  bool DrainAndWait(std::chrono::milliseconds timeout = 5s) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    server_->Drain([done] { done->set_value(); });
    return f.wait_for(timeout) == std::future_status::ready;
  }

  std::string Url(const std::string& target) const {
    return "'https://127.0.0.1:" + std::to_string(server_->port()) + target + "'";
  }

  net::IoPool pool_{2};
  TestHandler handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, CurlEchoesMethodPathQueryAndBody) {
  StartServer();
  auto r = Curl("--http1.1 -X POST --data-binary 'hello body' " + Url("/echo/a%20b?x=1&y=2"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "POST /echo/a%20b x=1&y=2\nhello body\n200 1.1");
}

TEST_F(ServerTest, PeerInfoAndHeadersReachTheHandler) {
  StartServer();
  TestClient c(server_->port(), std::string("\x08http/1.1", 9), nullptr, "tenant-a.example");
  ASSERT_TRUE(c.Connect());
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/echo?q", 11};
  req.set("X-Test", "Mixed-Case");
  ASSERT_TRUE(c.Send(req));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "GET /echo q\n");
  EXPECT_EQ((*res)["x-peer-alpn"], "http/1.1");
  EXPECT_EQ((*res)["x-peer-sni"], "tenant-a.example");
  EXPECT_EQ((*res)["x-peer-verified"], "false");
  EXPECT_EQ((*res)["x-test-seen"], "Mixed-Case");
  EXPECT_TRUE((*res)["x-peer-remote"].starts_with("127.0.0.1:"));
  // The codec owns framing: the handler's bogus content-length and CR/LF header are dropped.
  EXPECT_EQ((*res)[bhttp::field::content_length], std::to_string(res->body().size()));
  EXPECT_EQ(res->count("x-evil"), 0u);
  EXPECT_EQ(res->count("x-injected"), 0u);
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/one"));
  auto first = c.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body(), "GET /one \n");
  EXPECT_TRUE(first->keep_alive());
  ASSERT_TRUE(c.Get("/two?b=2"));
  auto second = c.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "GET /two b=2\n");
  EXPECT_EQ((*first)["x-peer-remote"], (*second)["x-peer-remote"]);
  EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(ServerTest, HeadGetsHeadersWithoutBody) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/h", bhttp::verb::head));
  auto res = c.Read(/*head=*/true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ((*res)[bhttp::field::content_length], std::to_string(std::string("HEAD /h \n").size()));
  EXPECT_TRUE(res->body().empty());
  // The connection is still in sync: a following request works.
  ASSERT_TRUE(c.Get("/after"));
  auto next = c.Read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body(), "GET /after \n");
}

TEST_F(ServerTest, CurlBodyOverLimitGets413Status) {
  StartServer();
  auto file = std::filesystem::temp_directory_path() / ("vkube-413-" + std::to_string(::getpid()));
  std::ofstream(file, std::ios::binary) << std::string(4 * 1024 * 1024, 'x');
  auto r = Curl("--http1.1 -X POST -H 'Content-Type: application/json' --data-binary @" + file.string() + " " +
                Url("/echo"));
  std::filesystem::remove(file);
  EXPECT_EQ(r.output, std::string(kTooLargeJson) + "\n413 1.1");
}

TEST_F(ServerTest, DeclaredContentLengthOverLimitIs413BeforeTheBody) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_EQ(res->body(), kTooLargeJson);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_F(ServerTest, ChunkedBodyGrowingPastLimitIs413) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'y') + "\r\n";
  for (std::size_t sent = 0; sent <= kBodyLimit; sent += 0x10000) ASSERT_TRUE(c.Write(chunk));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413);
  EXPECT_EQ(res->body(), kTooLargeJson);
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(ServerTest, HugeHeaderIs431) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  std::string raw = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 8; ++i) raw += "X-Big-" + std::to_string(i) + ": " + std::string(8 * 1024, 'h') + "\r\n";
  ASSERT_TRUE(c.Write(raw + "\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431);
  EXPECT_TRUE(c.ExpectClosed());
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(ServerTest, MalformedRequestIs400Status) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Write("GET /x HTTP/1.1\r\nBad Header Line\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400);
  EXPECT_NE(res->body().find(R"("kind":"Status")"), std::string::npos);
  EXPECT_NE(res->body().find(R"("code":400)"), std::string::npos);
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_F(ServerTest, SlowHeaderIsCutOffAtHeaderTimeout) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Write("GET /echo HTTP/1.1\r\nHost: x\r\n"));  // and never the blank line
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ExpectClosed(3s));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }));
}

TEST_F(ServerTest, Expect100ContinueDoesNotStallTheClient) {
  StartServer();
  auto t0 = std::chrono::steady_clock::now();
  auto r = Curl("--http1.1 -H 'Expect: 100-continue' --data-binary 'payload' " + Url("/e"));
  EXPECT_EQ(r.output, "POST /e \npayload\n200 1.1");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 900ms);  // curl waits 1 s without a 100
}

TEST_F(ServerTest, StreamingResponseArrivesInChunks) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/stream"));
  ASSERT_TRUE(c.ReadHeader());
  EXPECT_TRUE(c.parser().chunked());
  EXPECT_EQ(c.parser().get()[bhttp::field::transfer_encoding], "chunked");
  ASSERT_TRUE(c.ReadToEnd());
  EXPECT_EQ(c.parser().get().body(), "chunk-0\nchunk-1\nchunk-2\n");
  EXPECT_EQ(c.chunks(), 3);
  // Also through curl (which de-chunks).
  auto r = Curl("--http1.1 " + Url("/stream"));
  EXPECT_EQ(r.output, "chunk-0\nchunk-1\nchunk-2\n\n200 1.1");
}

TEST_F(ServerTest, OnClosingFiresWhenClientDisconnectsMidStream) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/watch"));
  ASSERT_TRUE(c.ReadHeader());
  ASSERT_TRUE(c.ReadUntilBody("start\n"));
  EXPECT_EQ(handler_.closing_fired.load(), 0);
  c.Close();
  EXPECT_TRUE(WaitFor([&] { return handler_.closing_fired.load() == 1 && handler_.watches_ended.load() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }));
}

TEST_F(ServerTest, DrainEndsOpenStreamCleanly) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/watch"));
  ASSERT_TRUE(c.ReadHeader());
  ASSERT_TRUE(c.ReadUntilBody("start\n"));
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  auto t0 = std::chrono::steady_clock::now();
  server_->Drain([done] { done->set_value(); });
  ASSERT_TRUE(c.ReadToEnd());  // the terminating chunk arrived: a clean end, not a cut
  EXPECT_EQ(c.parser().get().body(), "start\nbye\n");
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);  // well before drain_timeout (2 s)
  EXPECT_EQ(handler_.watches_ended.load(), 1);
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ServerTest, DrainLetsInFlightRequestFinishWithConnectionClose) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/slow"));
  ASSERT_TRUE(WaitFor([&] { return handler_.requests.load() == 1; }));
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  server_->Drain([done] { done->set_value(); });
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "slow done");
  EXPECT_FALSE(res->keep_alive());  // Connection: close
  EXPECT_TRUE(c.ExpectClosed());
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
}

TEST_F(ServerTest, DrainClosesIdleConnectionsAndStopsAccepting) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/x"));
  ASSERT_TRUE(c.Read());
  const auto port = server_->port();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(DrainAndWait());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // idle_timeout is 30 s: drain woke it
  EXPECT_TRUE(c.ExpectClosed());
  EXPECT_EQ(server_->connection_count(), 0u);
  TestClient late(port);
  EXPECT_FALSE(late.Connect());
}

TEST_F(ServerTest, DrainTimeoutClosesStuckConnections) {
  Limits l = FastLimits();
  l.drain_timeout = 200ms;
  l.header_timeout = 30s;
  StartServer(l);
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  // Half a request: the connection is mid-header (not idle), so only the deadline closes it.
  ASSERT_TRUE(c.Write("GET /x HTTP/1.1\r\n"));
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(DrainAndWait());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ServerTest, MaxConnectionsIsEnforced) {
  Limits l = FastLimits();
  l.max_connections = 2;
  StartServer(l);
  TestClient a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.Connect());
  ASSERT_TRUE(b.Connect());
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 2; }));
  TestClient over(server_->port());
  EXPECT_FALSE(over.Connect());
  EXPECT_EQ(server_->connection_count(), 2u);
  a.Close();
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 1; }));
  TestClient again(server_->port());
  ASSERT_TRUE(again.Connect());
  ASSERT_TRUE(again.Get("/ok"));
  auto res = again.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200);
}

TEST_F(ServerTest, HandlerExceptionBecomes500AndCloses) {
  StartServer();
  TestClient c(server_->port());
  ASSERT_TRUE(c.Connect());
  ASSERT_TRUE(c.Get("/throw"));
  auto res = c.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500);
  EXPECT_NE(res->body().find(R"("reason":"InternalError")"), std::string::npos);
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_F(ServerTest, VerifiedClientCertificateFillsPeerInfo) {
  const auto ca = testing::MakeCa("client-ca");
  const auto alice = testing::IssueClientCert(ca, "alice", {"system:masters", "dev"});
  StartServer(FastLimits(), ca.cert_pem);
  TestClient with_cert(server_->port(), std::string("\x08http/1.1", 9), &alice);
  ASSERT_TRUE(with_cert.Connect());
  ASSERT_TRUE(with_cert.Get("/who"));
  auto res = with_cert.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)["x-peer-verified"], "true");
  EXPECT_EQ((*res)["x-peer-cn"], "alice");
  EXPECT_EQ((*res)["x-peer-orgs"], "system:masters,dev");
  // Without a certificate the request still goes through (token auth happens above us).
  TestClient anonymous(server_->port());
  ASSERT_TRUE(anonymous.Connect());
  ASSERT_TRUE(anonymous.Get("/who"));
  res = anonymous.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)["x-peer-verified"], "false");
  EXPECT_EQ((*res)["x-peer-cn"], "");
}

TEST_F(ServerTest, AlpnOffersH2OnlyWhenTheCodecExists) {
  StartServer();
  TestClient c(server_->port(), std::string("\x02h2\x08http/1.1", 12));
  ASSERT_TRUE(c.Connect());
  EXPECT_EQ(c.Alpn(), Http2Available() ? "h2" : "http/1.1");
  TestClient none(server_->port(), "");
  ASSERT_TRUE(none.Connect());
  EXPECT_EQ(none.Alpn(), "");
  ASSERT_TRUE(none.Get("/no-alpn"));
  auto res = none.Read();
  ASSERT_TRUE(res);
  EXPECT_EQ((*res)["x-peer-alpn"], "http/1.1");
}

TEST_F(ServerTest, HandshakeTimeoutDropsSilentClients) {
  Limits l = FastLimits();
  l.handshake_timeout = 200ms;
  StartServer(l);
  asio::io_context io;
  tcp::socket raw(io);
  raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }, 2s));
}

}  // namespace
}  // namespace vkube::http
