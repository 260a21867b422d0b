// Temporary: until the nghttp2 codec lands, h2 is not offered in ALPN, so this is never reached.
#include "libs/http/connection.h"

namespace vkube::http {

bool Http2Available() { return false; }

boost::asio::awaitable<void> ServeHttp2(TlsStream& stream, ConnectionContext ctx) {
  co_await ServeHttp1(stream, std::move(ctx));
}

}  // namespace vkube::http
