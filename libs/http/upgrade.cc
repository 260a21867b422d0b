#include "libs/http/upgrade.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "libs/http/upgrade_stream.h"

namespace vkube::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (IEquals(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool HasHeader(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const Header& h) { return IEquals(h.name, name); });
}

struct ParsedUrl {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return Error::Make(ErrorCode::kBadRequest, "upgrade: URL must start with https:// or http://");
  }
  url = url.substr(0, url.find_first_of("/?#"));
  std::string_view host = url, port;
  if (url.starts_with("[")) {
    const std::size_t close = url.find(']');
    if (close == std::string_view::npos) return Error::Make(ErrorCode::kBadRequest, "upgrade: bad IPv6 host in URL");
    host = url.substr(1, close - 1);
    std::string_view rest = url.substr(close + 1);
    if (rest.starts_with(":")) port = rest.substr(1);
  } else if (const std::size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  if (host.empty()) return Error::Make(ErrorCode::kBadRequest, "upgrade: URL has no host");
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  return out;
}

Error Unavailable(std::string_view what, const boost::system::error_code& ec) {
  return Error::Make(ErrorCode::kServiceUnavailable, std::string(what) + ": " + ec.message());
}

// Sends the request and reads the response head on an established (and handshaken) stream.
template <class S>
asio::awaitable<Result<UpgradeResponse>> Exchange(std::unique_ptr<S> stream, std::shared_ptr<asio::ssl::context> ctx,
                                                  const UpgradeRequest& r, std::string host_header) {
  bhttp::request<bhttp::empty_body> req;
  req.method_string(r.method);
  req.target(r.target);
  req.version(11);
  for (const auto& h : r.headers) {
    if (h.value.find_first_of("\r\n") != std::string::npos || h.name.find_first_of("\r\n: ") != std::string::npos) {
      co_return Error::Make(ErrorCode::kBadRequest, "upgrade: header " + h.name + " has a forbidden character");
    }
    req.insert(h.name, h.value);
  }
  if (!HasHeader(r.headers, "host")) req.set(bhttp::field::host, host_header);
  if (!HasHeader(r.headers, "connection")) req.set(bhttp::field::connection, "Upgrade");
  auto& lowest = beast::get_lowest_layer(*stream);
  lowest.expires_after(r.response_timeout);
  auto [wec, wn] = co_await bhttp::async_write(*stream, req, kTuple);
  if (wec) co_return Unavailable("upgrade: sending the request", wec);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(r.max_response_header_bytes, UINT32_MAX)));
  parser.body_limit(r.max_error_body_bytes);
  auto [hec, hn] = co_await bhttp::async_read_header(*stream, buffer, parser, kTuple);
  if (hec) co_return Unavailable("upgrade: reading the response", hec);
  UpgradeResponse out;
  out.response.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.response.headers.push_back(Header{std::move(name), std::string(f.value())});
  }
  if (out.response.status != 101) {
    // An error answer (a Status from kube-apiserver, a plain message from a kubelet): bounded body.
    auto [bec, bn] = co_await bhttp::async_read(*stream, buffer, parser, kTuple);
    if (!bec || bec == bhttp::error::body_limit || bec == bhttp::error::partial_message) {
      out.response.body = std::move(parser.get().body());
    }
    lowest.close();
    co_return out;
  }
  lowest.expires_never();
  std::string prefix(static_cast<const char*>(buffer.data().data()), buffer.size());
  auto slot = std::make_shared<StreamSlot<S>>();
  slot->owned = std::move(stream);
  slot->stream = slot->owned.get();
  slot->keep = std::move(ctx);
  out.stream = std::make_unique<SocketStream<S>>(slot, std::move(prefix), r.limits);
  co_return out;
}

// One direction of a splice: ends (and closes both streams) when `from` ends or `to` fails.
asio::awaitable<void> Pump(UpgradedStream& from, UpgradedStream& to, std::size_t buffer_bytes, std::uint64_t& total) {
  std::vector<char> buf(std::max<std::size_t>(buffer_bytes, 1));
  for (;;) {
    IoResult r = co_await from.ReadSome(asio::buffer(buf));
    if (r.bytes > 0) {
      boost::system::error_code wec = co_await to.Write(asio::buffer(buf.data(), r.bytes));
      if (wec) break;
      total += r.bytes;
    }
    if (r.ec) break;
  }
  from.Close();
  to.Close();
}

}  // namespace

bool IsUpgradeRequest(const Request& request) {
  bool connection_upgrade = false;
  bool upgrade = false;
  for (const auto& h : request.headers) {
    if (IEquals(h.name, "connection") && HasToken(h.value, "upgrade")) connection_upgrade = true;
    if (IEquals(h.name, "upgrade") && !Trim(h.value).empty()) upgrade = true;
  }
  return connection_upgrade && upgrade;
}

asio::awaitable<std::unique_ptr<UpgradedStream>> AcceptUpgrade(Request& request, Response switching) {
  if (request.upgrader == nullptr || switching.status != 101 || !IsUpgradeRequest(request)) {
    co_return std::unique_ptr<UpgradedStream>();
  }
  co_return co_await request.upgrader->Upgrade(std::move(switching));
}

asio::awaitable<Result<UpgradeResponse>> DialUpgrade(asio::any_io_executor executor, UpgradeRequest r) {
  auto url = ParseUrl(r.url);
  if (!url) co_return url.take_error();
  if (url->tls && !r.tls) co_return Error::Make(ErrorCode::kBadRequest, "upgrade: https needs a TLS context");
  const bool default_port = url->port == (url->tls ? "443" : "80");
  const bool v6 = url->host.find(':') != std::string::npos;
  std::string host_header = v6 ? "[" + url->host + "]" : url->host;
  if (!default_port) host_header += ":" + url->port;

  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(url->host, url->port, kTuple);
  if (rec) co_return Unavailable("upgrade: resolving " + url->host, rec);
  auto tcp_stream = std::make_unique<beast::tcp_stream>(executor);
  tcp_stream->expires_after(r.connect_timeout);
  auto [cec, ep] = co_await tcp_stream->async_connect(endpoints, kTuple);
  if (cec) co_return Unavailable("upgrade: connecting to " + host_header, cec);
  boost::system::error_code ignored;
  tcp_stream->socket().set_option(tcp::no_delay(true), ignored);
  if (!url->tls) co_return co_await Exchange(std::move(tcp_stream), nullptr, r, host_header);

  using Tls = beast::ssl_stream<beast::tcp_stream>;
  auto tls = std::make_unique<Tls>(std::move(*tcp_stream), *r.tls);
  const std::string name = r.server_name.empty() ? url->host : r.server_name;
  boost::system::error_code addr_ec;
  asio::ip::make_address(name, addr_ec);
  SSL* ssl = tls->native_handle();
  if (addr_ec) SSL_set_tlsext_host_name(ssl, name.c_str());  // SNI only for DNS names
  // Upgrades exist only in HTTP/1.1: never let ALPN pick h2.
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof kAlpn);
  tls->set_verify_callback(asio::ssl::host_name_verification(name), ignored);
  beast::get_lowest_layer(*tls).expires_after(r.connect_timeout);
  auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, kTuple);
  if (hec) co_return Unavailable("upgrade: TLS handshake with " + host_header, hec);
  co_return co_await Exchange(std::move(tls), r.tls, r, host_header);
}

asio::awaitable<SpliceResult> Splice(UpgradedStream& a, UpgradedStream& b, SpliceLimits limits) {
  SpliceResult out;
  co_await (Pump(a, b, limits.buffer_bytes, out.a_to_b) && Pump(b, a, limits.buffer_bytes, out.b_to_a));
  co_return out;
}

}  // namespace vkube::http
