#pragma once
// HTTP transport to one host API server (internal to libs/kubeclient). Offers h2 and http/1.1 in
// ALPN: on h2 every request is a stream of a shared connection, and another connection is opened
// only when every one is at its max concurrent streams (the server's SETTINGS or ours), as Go's
// HTTP/2 transport does — long-lived watches (several per tenant syncer) would otherwise take every
// slot and leave writes waiting forever; without h2 it keeps a bounded pool of HTTP/1.1 keep-alive
// connections.
// A dead connection is replaced on the next request; a GET that failed with its connection
// before any answer is retried once on a fresh one. All connection state lives on one strand;
// calls may come from any executor. Connection loops are tracked tasks, ended by Shutdown().
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/result.h"
#include "libs/kubeclient/h1_connection.h"
#include "libs/kubeclient/h2_session.h"
#include "libs/kubeclient/http_types.h"
#include "libs/kubeclient/response_stream.h"
#include "libs/kubeclient/wait_list.h"
#include "libs/net/task_group.h"

namespace vkube::kube {

struct TransportOptions {
  std::string host;  // from the server URL (no brackets for IPv6)
  std::string port = "443";
  std::string server_name;  // name the certificate must carry (tls-server-name), "" = host
  bool insecure_skip_verify = false;
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool enable_http2 = true;
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  std::uint32_t max_concurrent_streams = 250;  // per HTTP/2 connection
  std::size_t max_h2_connections = 32;         // then requests wait for a free stream
  std::uint32_t h2_stream_window = 4 * 1024 * 1024;
  std::size_t max_http1_connections = 32;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP + TLS handshake
  std::chrono::milliseconds request_timeout{60'000};  // default per request
  std::chrono::milliseconds ping_interval{30'000};
  std::chrono::milliseconds ping_timeout{15'000};
};

class Transport;

// A streaming response (watch) after its head arrived. Destroying it abandons the exchange.
class BodyStream {
 public:
  BodyStream(Transport& transport, std::shared_ptr<ResponseStream> stream);
  ~BodyStream();
  BodyStream(const BodyStream&) = delete;
  BodyStream& operator=(const BodyStream&) = delete;

  int status() const { return status_; }
  const HttpHeaders& headers() const { return headers_; }
  // Next bytes of the body, "" at its end. Not concurrently with itself.
  boost::asio::awaitable<Result<std::string>> Read();
  boost::asio::awaitable<Result<std::string>> ReadAll(std::size_t limit);
  // Abandons the exchange from any thread: a pending or later Read() fails promptly.
  void Cancel();

 private:
  Transport& transport_;
  std::shared_ptr<ResponseStream> stream_;
  int status_;
  HttpHeaders headers_;
};

class Transport {
 public:
  Transport(boost::asio::any_io_executor executor, TransportOptions options);
  ~Transport();  // Shutdown()
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  boost::asio::awaitable<Result<HttpResponse>> RoundTrip(HttpRequest request);
  // Completes when the response head arrived (any status); the body is then read from the stream.
  boost::asio::awaitable<Result<std::unique_ptr<BodyStream>>> Open(HttpRequest request);

  // Closes every connection, fails requests in flight, waits for the connection tasks. Must not
  // be called from a thread that runs the transport's executor.
  void Shutdown();

  // Observability (thread-safe).
  std::uint64_t connections_opened() const { return connections_opened_.load(); }
  // "h2", "http/1.1", or "" before the first connection.
  std::string protocol() const;

  const TransportOptions& options() const { return options_; }
  boost::asio::strand<boost::asio::any_io_executor>& strand() { return strand_; }

 private:
  using Clock = ResponseStream::Clock;
  enum class Proto : int { kUnknown, kH2, kH1 };

  boost::asio::awaitable<Result<HttpResponse>> DoRoundTrip(HttpRequest request);
  boost::asio::awaitable<Result<std::shared_ptr<ResponseStream>>> DoOpen(HttpRequest request);
  // Starts one exchange on a usable connection (dialing if needed). The request moves into the
  // returned stream; on failure it is left in `request` (nothing was sent).
  boost::asio::awaitable<Result<std::shared_ptr<ResponseStream>>> Start(HttpRequest& request,
                                                                        Clock::time_point deadline);
  // Starts `request` and waits for the response head; sends it once more on a fresh connection
  // when that is safe (see ShouldRetry in transport.cc).
  boost::asio::awaitable<Result<std::shared_ptr<ResponseStream>>> StartAndWaitHead(HttpRequest request,
                                                                                   Clock::time_point deadline);
  // Ok once a usable HTTP/2 connection has a free stream, or when none can be added (the caller's
  // Submit then waits for a slot), or when the server turned out to speak only HTTP/1.1.
  boost::asio::awaitable<Status> EnsureH2(Clock::time_point deadline);
  // The connection for a new stream: one with a free slot, else the least loaded. Strand only.
  std::shared_ptr<H2Session> PickH2();
  boost::asio::awaitable<Result<std::shared_ptr<H1Connection>>> AcquireH1(Clock::time_point deadline);
  boost::asio::awaitable<Result<std::shared_ptr<TlsSocket>>> Dial(bool offer_h2, std::string* alpn,
                                                                  Clock::time_point deadline);
  void AdoptH1(std::shared_ptr<TlsSocket> socket);
  Clock::time_point DeadlineFor(const HttpRequest& request) const;

  TransportOptions options_;
  std::string authority_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  net::TaskGroup tasks_;
  // strand-only state
  std::vector<std::shared_ptr<H2Session>> h2_;  // usable ones (closing ones finish as tasks)
  std::vector<std::shared_ptr<H1Connection>> h1_;
  bool dialing_ = false;
  std::optional<Error> dial_error_;
  std::uint64_t dial_generation_ = 0;
  WaitList dial_done_;
  WaitList h1_released_;
  WaitList h2_capacity_;  // a stream slot freed on some connection
  std::size_t h1_dialing_ = 0;
  // Sockets still connecting or handshaking: Shutdown() closes them so no dial outlives it.
  std::list<std::weak_ptr<TlsSocket>> dialing_sockets_;
  bool closed_ = false;
  // readable from any thread
  std::atomic<int> proto_{static_cast<int>(Proto::kUnknown)};
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<bool> shut_down_{false};
};

}  // namespace vkube::kube
