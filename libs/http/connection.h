#pragma once
// What the server hands to a protocol codec for one accepted, handshaken TLS connection.
// Everything here lives on the connection's executor (one io_context thread); nothing is shared
// across threads except through asio::post.
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "libs/http/handler.h"
#include "libs/http/limits.h"
#include "libs/http/message.h"

namespace vkube::http {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Drain notification for one connection. The server calls Begin() (posted onto the connection's
// executor) when it starts a graceful shutdown; codecs stop reading new requests (HTTP/1.1:
// `Connection: close` after the current response; HTTP/2: GOAWAY) and mark open streams closing.
class DrainState {
 public:
  bool draining() const { return draining_; }
  void Begin() {
    if (draining_) return;
    draining_ = true;
    auto fns = std::move(listeners_);
    for (auto& fn : fns) fn();
  }
  // Drops every listener: a codec calls this before its frame (captured by listeners) goes away.
  void Clear() { listeners_.clear(); }
  // Runs fn when draining begins (immediately if it already has).
  void Subscribe(std::function<void()> fn) {
    if (draining_) {
      fn();
    } else {
      listeners_.push_back(std::move(fn));
    }
  }

 private:
  bool draining_ = false;
  std::vector<std::function<void()>> listeners_;
};

struct ConnectionContext {
  std::shared_ptr<const PeerInfo> peer;
  const Limits* limits = nullptr;
  Handler* handler = nullptr;
  std::shared_ptr<DrainState> drain;
};

// Serve one connection until the peer closes, an error or deadline hits, or a drain completes.
// Neither returns before every request handler it started has finished (no detached work).
boost::asio::awaitable<void> ServeHttp1(TlsStream& stream, ConnectionContext ctx);
boost::asio::awaitable<void> ServeHttp2(TlsStream& stream, ConnectionContext ctx);
// Whether the HTTP/2 codec is built in (ALPN offers h2 only then).
bool Http2Available();

}  // namespace vkube::http
