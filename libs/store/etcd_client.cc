#include "libs/store/etcd_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>

#include "libs/core/log.h"

namespace vkube::store {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

// Dead peers of idle watch streams are noticed by TCP keep-alive within ~25 s.
void TuneSocket(tcp::socket& s) {
  error_code ec;
  s.set_option(tcp::no_delay(true), ec);
  s.set_option(asio::socket_base::keep_alive(true), ec);
  const int idle = 10, interval = 5, count = 3;
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

bool Contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// An answer other than 200: the gateway's {"error","message","code"} (a gRPC status) → ErrorCode.
Error MapGatewayError(unsigned status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string msg;
  int code = -1;
  if (j.is_object()) {
    if (j.contains("message") && j["message"].is_string()) msg = j["message"].get<std::string>();
    if (msg.empty() && j.contains("error") && j["error"].is_string()) msg = j["error"].get<std::string>();
    if (j.contains("code") && j["code"].is_number_integer()) code = j["code"].get<int>();
  }
  if (msg.empty()) msg = "HTTP " + std::to_string(status) + " " + body.substr(0, 200);
  std::string text = "etcd: " + msg;
  if (Contains(msg, "compacted")) return Error::Make(ErrorCode::kGone, std::move(text));
  if (Contains(msg, "future revision")) return Error::Make(ErrorCode::kTimeout, std::move(text));
  if (Contains(msg, "too large") || code == 8) return Error::Make(ErrorCode::kRequestEntityTooLarge, std::move(text));
  if (code == 4 || Contains(msg, "timed out")) return Error::Make(ErrorCode::kTimeout, std::move(text));
  if (code == 14 || Contains(msg, "no leader") || Contains(msg, "leader changed") || status == 503) {
    return Error::Make(ErrorCode::kServiceUnavailable, std::move(text));
  }
  if (code == 3) return Error::Make(ErrorCode::kBadRequest, std::move(text));
  return Error::Make(ErrorCode::kInternal, std::move(text));
}

Error TransportError(const error_code& ec, std::string_view during, bool outcome_unknown) {
  std::string msg = "etcd " + std::string(during) + ": " + ec.message();
  if (outcome_unknown) msg += " (the request may or may not have been applied)";
  if (ec == beast::error::timeout) return Error::Make(ErrorCode::kTimeout, std::move(msg));
  return Error::Make(ErrorCode::kServiceUnavailable, std::move(msg));
}

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

// One HTTP/1.1 connection with its own io_context: every operation runs to completion (or to the
// stream's deadline) on the calling thread, so the synchronous Store API needs no shared loop.
struct EtcdClient::Connection {
  asio::io_context ioc{1};
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::string host;  // Host header
  std::size_t endpoint = 0;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Runs the io_context until every started operation finished (they all carry a deadline).
  void Run() {
    ioc.restart();
    ioc.run();
  }

  // An idle kept-alive connection is reusable if the peer has neither closed it nor sent anything.
  bool Alive() {
    if (buffer.size() != 0) return false;
    char b;
    const ssize_t r = ::recv(lowest().socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  error_code Write(http::request<http::string_body>& req, std::chrono::milliseconds timeout) {
    error_code result;
    lowest().expires_after(timeout);
    auto done = [&result](error_code ec, std::size_t) { result = ec; };
    if (secure) {
      http::async_write(*secure, req, done);
    } else {
      http::async_write(*plain, req, done);
    }
    Run();
    return result;
  }

  template <class Parser>
  error_code Read(Parser& parser, std::chrono::milliseconds timeout) {
    error_code result;
    lowest().expires_after(timeout);
    auto done = [&result](error_code ec, std::size_t) { result = ec; };
    if (secure) {
      http::async_read(*secure, buffer, parser, done);
    } else {
      http::async_read(*plain, buffer, parser, done);
    }
    Run();
    lowest().expires_never();
    return result;
  }

  template <class Parser>
  error_code ReadHeader(Parser& parser, std::chrono::milliseconds timeout) {
    error_code result;
    lowest().expires_after(timeout);
    auto done = [&result](error_code ec, std::size_t) { result = ec; };
    if (secure) {
      http::async_read_header(*secure, buffer, parser, done);
    } else {
      http::async_read_header(*plain, buffer, parser, done);
    }
    Run();
    lowest().expires_never();
    return result;
  }

  void Close() {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }
};

http::request<http::string_body> MakeRequest(const std::string& host, std::string_view path, std::string body) {
  http::request<http::string_body> req{http::verb::post, std::string(path), 11};
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "vkube");
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// ---- EtcdClient ----

Result<std::shared_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  std::shared_ptr<EtcdClient> c(new EtcdClient(std::move(options)));
  if (auto s = c->Init(); !s) return s.take_error();
  return c;
}

EtcdClient::EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}

EtcdClient::~EtcdClient() = default;

Status EtcdClient::Init() {
  if (options_.endpoints.empty()) return Error::Make(ErrorCode::kBadRequest, "etcd: no endpoints given");
  const bool tls_by_default = !options_.ca_file.empty() || !options_.cert_file.empty();
  bool any_tls = false;
  for (std::string url : options_.endpoints) {
    Endpoint e;
    e.tls = tls_by_default;
    if (url.rfind("https://", 0) == 0) {
      e.tls = true;
      url.erase(0, 8);
    } else if (url.rfind("http://", 0) == 0) {
      e.tls = false;
      url.erase(0, 7);
    }
    if (auto slash = url.find('/'); slash != std::string::npos) url.resize(slash);
    std::string port = "2379";
    if (!url.empty() && url[0] == '[') {  // [v6]:port
      auto close = url.find(']');
      if (close == std::string::npos) return Error::Make(ErrorCode::kBadRequest, "etcd: bad endpoint " + url);
      if (close + 1 < url.size() && url[close + 1] == ':') port = url.substr(close + 2);
      url = url.substr(1, close - 1);
    } else if (auto colon = url.rfind(':'); colon != std::string::npos) {
      port = url.substr(colon + 1);
      url.resize(colon);
    }
    if (url.empty() || port.empty())
      return Error::Make(ErrorCode::kBadRequest, "etcd: bad endpoint in --etcd-endpoints");
    e.host = url;
    e.port = port;
    any_tls = any_tls || e.tls;
    endpoints_.push_back(std::move(e));
  }
  if (!any_tls) return {};
  tls_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  error_code ec;
  tls_->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1,
                    ec);
  tls_->set_verify_mode(asio::ssl::verify_peer, ec);
  if (!options_.ca_file.empty()) {
    tls_->load_verify_file(options_.ca_file, ec);
    if (ec)
      return Error::Make(ErrorCode::kBadRequest, "etcd: cannot load CA " + options_.ca_file + ": " + ec.message());
  } else {
    tls_->set_default_verify_paths(ec);
  }
  if (!options_.cert_file.empty() || !options_.key_file.empty()) {
    tls_->use_certificate_chain_file(options_.cert_file, ec);
    if (ec) {
      return Error::Make(ErrorCode::kBadRequest,
                         "etcd: cannot load certificate " + options_.cert_file + ": " + ec.message());
    }
    tls_->use_private_key_file(options_.key_file, asio::ssl::context::pem, ec);
    if (ec)
      return Error::Make(ErrorCode::kBadRequest, "etcd: cannot load key " + options_.key_file + ": " + ec.message());
  }
  return {};
}

Result<std::unique_ptr<EtcdClient::Connection>> EtcdClient::DialEndpoint(std::size_t index) {
  const Endpoint& e = endpoints_[index];
  auto c = std::make_unique<Connection>();
  c->endpoint = index;
  c->host = e.host.find(':') != std::string::npos ? "[" + e.host + "]:" + e.port : e.host + ":" + e.port;
  error_code ec;
  tcp::resolver::results_type addresses;
  {
    tcp::resolver resolver(c->ioc);
    bool done = false;
    resolver.async_resolve(e.host, e.port, [&](error_code rec, tcp::resolver::results_type r) {
      ec = rec;
      addresses = std::move(r);
      done = true;
    });
    c->ioc.run_for(options_.dial_timeout);
    if (!done) {
      resolver.cancel();
      c->Run();
      ec = beast::error::timeout;
    }
  }
  if (ec) return TransportError(ec, "resolve " + e.host, false);
  if (e.tls) {
    c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, *tls_);
    error_code parse_ec;
    asio::ip::make_address(e.host, parse_ec);
    if (parse_ec) SSL_set_tlsext_host_name(c->secure->native_handle(), e.host.c_str());  // SNI for names only
    c->secure->set_verify_callback(asio::ssl::host_name_verification(e.host));
  } else {
    c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
  }
  c->lowest().expires_after(options_.dial_timeout);
  c->lowest().async_connect(addresses, [&](error_code cec, const tcp::endpoint&) { ec = cec; });
  c->Run();
  if (ec) return TransportError(ec, "connect " + c->host, false);
  TuneSocket(c->lowest().socket());
  if (c->secure) {
    c->lowest().expires_after(options_.dial_timeout);
    c->secure->async_handshake(asio::ssl::stream_base::client, [&](error_code hec) { ec = hec; });
    c->Run();
    if (ec) return TransportError(ec, "TLS handshake with " + c->host, false);
  }
  c->lowest().expires_never();
  return c;
}

Result<std::unique_ptr<EtcdClient::Connection>> EtcdClient::Dial() {
  const std::size_t first = preferred_.load();
  Error last = Error::Make(ErrorCode::kServiceUnavailable, "etcd: no endpoint reachable");
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const std::size_t index = (first + i) % endpoints_.size();
    auto c = DialEndpoint(index);
    if (c) {
      preferred_.store(index);
      return c;
    }
    last = c.take_error();
    VKUBE_LOG(kDebug) << "etcd dial failed: " << last.message;
  }
  return last;
}

Result<std::unique_ptr<EtcdClient::Connection>> EtcdClient::Acquire() {
  std::vector<std::unique_ptr<Connection>> dead;  // closed outside the lock
  {
    std::unique_lock lock(mu_);
    const bool free = slot_cv_.wait_for(lock, options_.request_timeout,
                                        [&] { return !idle_.empty() || connections_ < options_.max_connections; });
    if (!free) {
      return Error::Make(ErrorCode::kServiceUnavailable,
                         "etcd: all " + std::to_string(options_.max_connections) + " connections busy");
    }
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Alive()) return c;
      dead.push_back(std::move(c));
      --connections_;
    }
    ++connections_;  // this call's slot, for the connection dialed below
  }
  auto dialed = Dial();
  if (!dialed) Release(nullptr, false);
  return dialed;
}

void EtcdClient::Release(std::unique_ptr<Connection> conn, bool reusable) {
  {
    std::lock_guard lock(mu_);
    if (conn && reusable && idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(conn));
    } else {
      --connections_;
    }
  }
  slot_cv_.notify_one();
}

Result<nlohmann::json> EtcdClient::Call(std::string_view path, const nlohmann::json& body, bool idempotent) {
  const std::string payload = body.dump();
  for (int attempt = 0;; ++attempt) {
    auto acquired = Acquire();
    if (!acquired) return acquired.take_error();
    std::unique_ptr<Connection> c = std::move(*acquired);
    const auto start = std::chrono::steady_clock::now();
    auto req = MakeRequest(c->host, path, payload);
    error_code ec = c->Write(req, options_.request_timeout);
    const bool sent = !ec;
    std::optional<http::response_parser<http::string_body>> parser;
    if (!ec) {
      parser.emplace();
      parser->header_limit(kHeaderLimit);
      parser->body_limit(options_.max_response_bytes);
      auto left = options_.request_timeout -
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      ec = c->Read(*parser, std::max(left, std::chrono::milliseconds(1)));
    }
    if (ec) {
      Release(std::move(c), false);
      // Unsent (or broken mid-write) requests were never applied: always safe to repeat.
      if (attempt < 2 && (!sent || (idempotent && ec != beast::error::timeout))) continue;
      return TransportError(ec, std::string(path), sent && !idempotent);
    }
    auto res = parser->release();
    Release(std::move(c), res.keep_alive());
    if (res.result() != http::status::ok) return MapGatewayError(res.result_int(), res.body());
    auto j = nlohmann::json::parse(res.body(), nullptr, false);
    if (!j.is_object()) return Error::Make(ErrorCode::kInternal, "etcd: malformed answer to " + std::string(path));
    return j;
  }
}

// ---- Stream ----

struct EtcdClient::Stream::State {
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::array<char, 16384> chunk{};
  std::string pending;  // received bytes not yet returned as messages
  bool reading = false;
  bool read_done = false;
  error_code read_ec;
  bool ended = false;
  std::atomic<bool> cancelled{false};
  std::size_t max_message = 0;
};

EtcdClient::Stream::Stream(std::unique_ptr<Connection> conn, std::size_t max_message_bytes)
    : conn_(std::move(conn)), state_(std::make_unique<State>()) {
  state_->max_message = max_message_bytes;
}

EtcdClient::Stream::~Stream() {
  // Abort a pending read and let its handler run while everything it touches is alive.
  conn_->Close();
  conn_->Run();
}

void EtcdClient::Stream::Cancel() {
  state_->cancelled = true;
  asio::post(conn_->ioc, [c = conn_.get()] { c->Close(); });
}

Result<std::optional<nlohmann::json>> EtcdClient::Stream::Next(std::chrono::milliseconds wait) {
  State& st = *state_;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (st.cancelled) return Error::Make(ErrorCode::kServiceUnavailable, "etcd stream cancelled");
    if (auto nl = st.pending.find('\n'); nl != std::string::npos) {
      std::string line = st.pending.substr(0, nl);
      st.pending.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) return Error::Make(ErrorCode::kInternal, "etcd stream: malformed message");
      return std::optional<nlohmann::json>(std::move(j));
    }
    if (st.pending.size() > st.max_message) {
      return Error::Make(ErrorCode::kInternal, "etcd stream: message larger than " + std::to_string(st.max_message));
    }
    if (st.ended) {
      if (!st.pending.empty()) {  // a last message without its newline
        auto j = nlohmann::json::parse(st.pending, nullptr, false);
        st.pending.clear();
        if (j.is_object()) return std::optional<nlohmann::json>(std::move(j));
      }
      return Error::Make(ErrorCode::kServiceUnavailable, "etcd stream ended");
    }
    if (!st.reading) {
      auto& body = st.parser->get().body();
      body.data = st.chunk.data();
      body.size = st.chunk.size();
      st.reading = true;
      st.read_done = false;
      auto done = [s = &st](error_code ec, std::size_t) {
        s->read_done = true;
        s->read_ec = ec;
      };
      if (conn_->secure) {
        http::async_read_some(*conn_->secure, conn_->buffer, *st.parser, done);
      } else {
        http::async_read_some(*conn_->plain, conn_->buffer, *st.parser, done);
      }
    }
    conn_->ioc.restart();
    while (!st.read_done) {
      if (conn_->ioc.run_one_until(deadline) == 0) break;
    }
    if (!st.read_done) return std::optional<nlohmann::json>();  // nothing yet; still open
    st.reading = false;
    error_code ec = st.read_ec;
    if (ec == http::error::need_buffer) ec = {};
    if (ec && ec != http::error::end_of_stream) {
      if (st.cancelled) return Error::Make(ErrorCode::kServiceUnavailable, "etcd stream cancelled");
      return TransportError(ec, "watch stream", false);
    }
    const std::size_t n = st.chunk.size() - st.parser->get().body().size;
    st.pending.append(st.chunk.data(), n);
    if (ec || st.parser->is_done()) st.ended = true;
  }
}

Result<std::unique_ptr<EtcdClient::Stream>> EtcdClient::OpenStream(std::string_view path, const nlohmann::json& body) {
  auto dialed = Dial();
  if (!dialed) return dialed.take_error();
  std::unique_ptr<Connection> c = std::move(*dialed);
  auto req = MakeRequest(c->host, path, body.dump());
  if (auto ec = c->Write(req, options_.request_timeout); ec) return TransportError(ec, std::string(path), false);
  std::unique_ptr<Stream> s(new Stream(std::move(c), options_.max_response_bytes));
  auto& parser = s->state_->parser;
  parser.emplace();
  parser->header_limit(kHeaderLimit);
  parser->body_limit(boost::none);  // a watch streams for as long as it lives
  if (auto ec = s->conn_->ReadHeader(*parser, options_.request_timeout); ec) {
    return TransportError(ec, std::string(path), false);
  }
  if (parser->get().result() != http::status::ok) {
    const unsigned status = parser->get().result_int();
    std::string text;
    while (text.size() < kMaxErrorBody) {
      auto m = s->Next(std::chrono::milliseconds(500));
      if (!m || !*m) break;
      text += (**m).dump();
    }
    return MapGatewayError(status, text);
  }
  return s;
}

// ---- helpers ----

std::string EtcdClient::Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                            std::uint8_t(in[i + 2]);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> EtcdClient::Base64Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = Base64Value(c);
    if (v < 0) return Error::Make(ErrorCode::kInternal, "etcd: malformed base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string EtcdClient::PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

std::int64_t EtcdClient::Int(const nlohmann::json& obj, std::string_view field) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(field);
  if (it == obj.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    std::int64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return 0;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  return 0;
}

}  // namespace vkube::store
