#pragma once
// Client side of one HTTP/2 connection (nghttp2): many concurrent streams over one TLS socket.
// A read loop feeds nghttp2_session_mem_recv, a write loop drains nghttp2_session_mem_send; both
// run on the transport's strand, as does every public call. Response bodies are flow controlled
// per stream: a watch whose reader stalls stops its own stream, never the connection. Idle
// connections are probed with PING so a vanished server is noticed (client-go's ReadIdleTimeout).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "libs/core/result.h"
#include "libs/kubeclient/response_stream.h"
#include "libs/kubeclient/wait_list.h"

struct nghttp2_session;

namespace vkube::kube {

using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

struct H2SessionOptions {
  std::string authority;                       // host:port for :authority
  std::uint32_t max_concurrent_streams = 250;  // ours; the server's SETTINGS may lower it
  std::uint32_t stream_window = 4 * 1024 * 1024;
  std::uint32_t connection_window = 64 * 1024 * 1024;
  std::size_t max_response_bytes = 64 * 1024 * 1024;  // non-streaming bodies
  std::chrono::milliseconds ping_interval{30'000};    // PING after this long without a frame
  std::chrono::milliseconds ping_timeout{15'000};     // ... and give up this long after
  // Called (on the strand) when a stream slot frees up or the session ends: the transport's
  // requests waiting for a slot on any of its connections.
  std::function<void()> on_capacity;
};

class H2Session : public std::enable_shared_from_this<H2Session> {
 public:
  H2Session(std::shared_ptr<TlsSocket> socket, H2SessionOptions options);
  ~H2Session();
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  // Creates the nghttp2 session and queues the preface + SETTINGS.
  Status Init();
  // Read and write loops; completes when the connection is gone (every stream failed by then).
  boost::asio::awaitable<void> Run();

  // Usable for new streams: alive and no GOAWAY received.
  bool usable() const { return !dead_ && !goaway_; }
  bool dead() const { return dead_; }
  bool has_capacity() const;
  std::size_t active_streams() const { return streams_.size(); }

  // Waits (until `deadline`) for a free stream slot, then submits the request, which moves into
  // the returned stream (fed by this session; the caller waits on it). On failure nothing was
  // sent and `request` is left as it was.
  boost::asio::awaitable<Result<std::shared_ptr<ResponseStream>>> Submit(HttpRequest& request,
                                                                         ResponseStream::Clock::time_point deadline);
  // Fails every stream and closes the socket.
  void Close(const std::string& why);

 private:
  friend struct H2Callbacks;  // nghttp2 callbacks (h2_session.cc)

  boost::asio::awaitable<void> ReadLoop();
  boost::asio::awaitable<void> WriteLoop();
  void Kick();
  void NotifyCapacity();
  void Fail(const std::string& why);

  std::shared_ptr<TlsSocket> socket_;
  H2SessionOptions options_;
  nghttp2_session* session_ = nullptr;
  struct Slot {
    std::shared_ptr<ResponseStream> stream;
    int status = 0;       // :status being received
    HttpHeaders headers;  // headers being received
  };
  Slot* Find(std::int32_t id);
  std::map<std::int32_t, Slot> streams_;
  boost::asio::steady_timer wake_;  // write loop: more to send
  WaitList capacity_;               // Submit: a stream slot was freed (or the session ended)
  std::string out_;
  bool dead_ = false;
  bool goaway_ = false;
  std::chrono::steady_clock::time_point last_frame_;
  std::chrono::steady_clock::time_point ping_sent_{};
  bool ping_outstanding_ = false;
};

}  // namespace vkube::kube
