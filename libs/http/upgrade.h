#pragma once
// Protocol upgrades (HTTP/1.1 `Connection: Upgrade`, RFC 9110 §7.8): a handler that answers
// 101 Switching Protocols takes the connection's byte stream out of HTTP processing and speaks
// the new protocol (WebSocket, SPDY) on it itself.
//
//   server side   AcceptUpgrade(request, response_101) → the raw stream of that connection
//   client side   DialUpgrade(executor, request)       → an upstream's 101 and its raw stream
//   proxying      Splice(a, b)                         → bytes both ways until either side ends
//
// No protocol knowledge beyond HTTP/1.1 here: WebSocket and SPDY framing live in websocket.h and
// spdy.h, what runs over them belongs to the layer above.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "libs/core/result.h"
#include "libs/http/message.h"

namespace boost::asio::ssl {
class context;
}

namespace vkube::http {

// Deadlines of an upgraded stream. Both are enforced by closing the connection.
struct StreamLimits {
  // No byte read or written for this long (kubelet's --streaming-connection-idle-timeout default).
  std::chrono::milliseconds idle_timeout{std::chrono::hours(4)};
  // One Write() that the peer does not take within this is a peer that stopped reading.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
};

struct IoResult {
  boost::system::error_code ec;
  std::size_t bytes = 0;
};

// A full-duplex byte stream after a successful upgrade: one reader and one writer may be active at
// the same time (not two of either). It runs on one executor (the connection's); every call must
// come from it. Close() closes the connection at once; destroying a dialled stream closes it too,
// while a server-side stream's connection is closed gracefully by the codec when the handler
// returns.
class UpgradedStream {
 public:
  virtual ~UpgradedStream() = default;

  // Reads what is available (at least one byte) into `buf`: bytes the HTTP parser had already
  // buffered after the request come first. ec is set once nothing more can be read: eof when the
  // peer closed its side, timed_out after StreamLimits::idle_timeout, operation_aborted/bad_descriptor
  // after Close().
  virtual boost::asio::awaitable<IoResult> ReadSome(boost::asio::mutable_buffer buf) = 0;
  // Writes all of `data` (bounded by write_timeout); an error means the stream is finished.
  virtual boost::asio::awaitable<boost::system::error_code> Write(boost::asio::const_buffer data) = 0;
  // Closes the connection at once: a pending ReadSome/Write completes with an error. Idempotent.
  virtual void Close() = 0;
  virtual bool is_open() const = 0;
  virtual void set_limits(StreamLimits limits) = 0;
  virtual boost::asio::any_io_executor get_executor() = 0;
};

// Implemented by the HTTP/1.1 codec; a request carries one (Request::upgrader) only while its
// handler runs and only when the client asked for an upgrade.
class Upgrader {
 public:
  virtual ~Upgrader() = default;
  virtual boost::asio::awaitable<std::unique_ptr<UpgradedStream>> Upgrade(Response switching) = 0;
};

// Whether the request asks to switch protocols: a `Connection` header with the `upgrade` token and
// an `Upgrade` header (RFC 9110 §7.8), the test kube-apiserver's httpstream.IsUpgradeRequest makes.
bool IsUpgradeRequest(const Request& request);

// Answers `request` with `switching` (status 101 and its headers: `Connection: Upgrade` is added
// when missing, framing headers are dropped) and returns the connection's raw stream. nullptr when
// the transport cannot switch: an HTTP/2 request (RFC 9113 §8.6 has no Upgrade), a request that
// did not ask (IsUpgradeRequest), a response already started, or a status other than 101; then
// nothing was written and the handler still answers through its ResponseWriter.
//
// The stream belongs to the handler until its Handle() returns: the handler drives it to the end
// (or hands it to work that it awaits) before returning. Afterwards the codec closes the
// connection; a stream that escaped fails every call with not_connected instead of touching
// freed memory. The connection's limits apply (Limits::stream_idle_timeout/write_timeout) until
// set_limits().
boost::asio::awaitable<std::unique_ptr<UpgradedStream>> AcceptUpgrade(Request& request, Response switching);

// ---- client side ----------------------------------------------------------------------------

struct UpgradeRequest {
  // Scheme, host and port of the upstream: https://HOST[:PORT] or http://HOST[:PORT] (any path is
  // ignored: `target` is sent as given).
  std::string url;
  std::string method = "GET";
  std::string target = "/";  // path and query, already encoded
  // Sent as given, plus Host (when absent) and `Connection: Upgrade` (when absent). The caller
  // supplies Upgrade, credentials and the protocol's own headers (Sec-WebSocket-*, X-Stream-...).
  Headers headers;
  // Required for https: CA and verification mode are the caller's; the certificate's name is
  // checked against `server_name` (default: the URL's host) when the context verifies peers.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string server_name;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds response_timeout{std::chrono::seconds(30)};  // the upstream's response head
  std::size_t max_response_header_bytes = 64 * 1024;
  std::size_t max_error_body_bytes = 64 * 1024;  // a non-101 answer's body is read up to this
  StreamLimits limits;
};

struct UpgradeResponse {
  Response response;                       // status, headers; body only when status != 101
  std::unique_ptr<UpgradedStream> stream;  // set exactly when status == 101
};

// Opens a connection to the upstream, sends the upgrade request and reads the response head. A
// 101 comes back with the raw stream (bytes the upstream sent right after its head included); any
// other status with its (bounded) body, the connection closed. Errors: connection or TLS failure,
// timeouts, a malformed response (ErrorCode::kServiceUnavailable / kBadRequest for a bad URL).
boost::asio::awaitable<Result<UpgradeResponse>> DialUpgrade(boost::asio::any_io_executor executor,
                                                            UpgradeRequest request);

struct SpliceLimits {
  std::size_t buffer_bytes = 32 * 1024;  // per direction: at most this much is in flight
};

struct SpliceResult {
  std::uint64_t a_to_b = 0;
  std::uint64_t b_to_a = 0;
};

// Copies bytes both ways until either side ends (EOF, error, timeout, Close()), then closes both.
// Both streams must run on the calling coroutine's executor.
boost::asio::awaitable<SpliceResult> Splice(UpgradedStream& a, UpgradedStream& b, SpliceLimits limits = {});

}  // namespace vkube::http
