// libFuzzer: arbitrary bytes through the HTTP/1.1 request parser configuration the server uses
// (header/body limits) and the conversion to vkube::http::Request.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>

#include "libs/http/http1_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t off = 0;
  while (off < size && !ec && !parser.is_done()) {
    std::size_t n = parser.put(boost::asio::buffer(data + off, size - off), ec);
    if (n == 0 && !ec) break;
    off += n;
  }
  if (!ec && parser.is_done()) {
    auto req = vkube::http::FromBeast(parser.release(), nullptr);
    (void)req.header("content-type");
  }
  return 0;
}
