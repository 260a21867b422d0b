#include "libs/kubeclient/h1_connection.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace vkube::kube {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kStreamBufferLimit = 1024 * 1024;  // unread bytes before reading pauses
constexpr std::size_t kHeaderLimit = 1024 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

http::request<http::string_body> BuildRequest(const HttpRequest& r, const std::string& host) {
  http::request<http::string_body> req;
  req.method_string(r.method);
  req.target(r.target);
  req.version(11);
  req.set(http::field::host, host);
  for (const auto& h : r.headers) req.set(h.name, h.value);
  req.body() = r.body;
  req.prepare_payload();
  return req;
}

HttpHeaders CollectHeaders(const http::response_parser<http::buffer_body>& p) {
  HttpHeaders out;
  for (const auto& f : p.get()) out.push_back(HttpHeader{Lower(f.name_string()), std::string(f.value())});
  return out;
}
}  // namespace

H1Connection::H1Connection(std::shared_ptr<TlsSocket> socket, std::string host, std::size_t max_response_bytes)
    : socket_(std::move(socket)), host_(std::move(host)), max_response_bytes_(max_response_bytes) {}

std::shared_ptr<ResponseStream> H1Connection::Begin(HttpRequest request) {
  busy_ = true;
  auto st = std::make_shared<ResponseStream>(socket_->get_executor(), std::move(request));
  std::weak_ptr<H1Connection> weak = weak_from_this();
  // HTTP/1.1 cannot abandon one exchange: the connection goes with it.
  st->on_cancel = [weak] {
    if (auto c = weak.lock()) c->Close();
  };
  return st;
}

void H1Connection::Close() {
  if (dead_) return;
  dead_ = true;
  boost::system::error_code ec;
  socket_->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_->lowest_layer().close(ec);
  if (on_released) on_released();
}

void H1Connection::Fail(ResponseStream& stream, const std::string& why) {
  stream.OnError(Error::Make(ErrorCode::kServiceUnavailable, "connection to the host API failed: " + why));
  Close();
}

asio::awaitable<void> H1Connection::Exchange(std::shared_ptr<ResponseStream> st) {
  auto self = shared_from_this();
  {
    auto req = BuildRequest(st->request(), host_);
    auto [ec, n] = co_await http::async_write(*socket_, req, kTuple);
    if (ec) {
      Fail(*st, ec.message());
      co_return;
    }
  }
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  if (st->request().streaming) {
    parser.body_limit(boost::none);
  } else {
    parser.body_limit(max_response_bytes_);
  }
  {
    auto [ec, n] = co_await http::async_read_header(*socket_, buffer_, parser, kTuple);
    if (ec) {
      Fail(*st, ec.message());
      co_return;
    }
  }
  st->OnHead(parser.get().result_int(), CollectHeaders(parser));
  std::array<char, 16384> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // async_read_some, not async_read: async_read with a buffer_body returns only once the 16 KiB
    // chunk is full (or the body ends), so a watch's small events would sit in it indefinitely.
    auto [ec, n] = co_await http::async_read_some(*socket_, buffer_, parser, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      st->OnError(Error::Make(ErrorCode::kRequestEntityTooLarge, "response body exceeds the client limit of " +
                                                                     std::to_string(max_response_bytes_) + " bytes"));
      Close();
      co_return;
    }
    if (ec) {
      Fail(*st, ec.message());
      co_return;
    }
    const std::size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) st->OnData(chunk.data(), got);
    while (!st->cancelled() && !dead_ && st->buffered() >= kStreamBufferLimit) co_await st->WaitConsumed();
    if (st->cancelled() || dead_) {
      Close();
      co_return;
    }
  }
  st->OnEnd();
  if (!parser.keep_alive()) {
    Close();
    co_return;
  }
  busy_ = false;
  if (on_released) on_released();
}

}  // namespace vkube::kube
