// libFuzzer: arbitrary bytes through the HTTP/1.1 request parser exactly as the server configures
// it (ConfigureParser with explicit limits) and the conversion to vkube::http::Request. The first
// byte picks where the input is split in two, as a network read would split it.
#include <cstddef>
#include <cstdint>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "libs/http/http1_request.h"

namespace {

// Small limits so the fuzzer reaches the limit paths with short inputs.
vkube::http::Limits FuzzLimits() {
  vkube::http::Limits l;
  l.max_header_bytes = 4 * 1024;
  l.max_body_bytes = 16 * 1024;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = 1 + data[0] % size;
  data += 1;
  size -= 1;
  const vkube::http::Limits limits = FuzzLimits();
  vkube::http::RequestParser parser;
  vkube::http::ConfigureParser(parser, limits);
  parser.eager(true);
  boost::beast::error_code ec;
  // Feed like the socket loop does: unconsumed bytes stay buffered and are offered again with the
  // next piece.
  std::size_t consumed = 0;
  std::size_t available = std::min(split, size);
  while (!ec && !parser.is_done()) {
    std::size_t n = parser.put(boost::asio::buffer(data + consumed, available - consumed), ec);
    consumed += n;
    if (ec == boost::beast::http::error::need_more) {
      if (available == size) break;
      ec = {};
      available = size;
    } else if (n == 0 && !ec) {
      if (available == size) break;
      available = size;
    }
  }
  if (!ec && parser.is_done()) {
    const auto& h = parser.get();
    if (h.has_content_length() && parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
      __builtin_trap();  // the body limit must hold
    }
    vkube::http::Request req = vkube::http::FromBeast(parser.release(), nullptr);
    if (req.body.size() > limits.max_body_bytes) __builtin_trap();
    if (req.path.size() + req.query.size() > req.target.size()) __builtin_trap();
    for (const auto& hd : req.headers) {
      for (char c : hd.name) {
        if (c >= 'A' && c <= 'Z') __builtin_trap();  // names are lower-case
      }
    }
    (void)req.header("content-type");
  }
  return 0;
}
