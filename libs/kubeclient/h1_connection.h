#pragma once
// Client side of one HTTP/1.1 keep-alive connection (Beast): one exchange at a time. Used when the
// host API does not offer h2 in ALPN. A streaming response holds its connection until it ends.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "libs/kubeclient/h2_session.h"  // TlsSocket
#include "libs/kubeclient/response_stream.h"

namespace vkube::kube {

class H1Connection : public std::enable_shared_from_this<H1Connection> {
 public:
  H1Connection(std::shared_ptr<TlsSocket> socket, std::string host, std::size_t max_response_bytes);
  H1Connection(const H1Connection&) = delete;
  H1Connection& operator=(const H1Connection&) = delete;

  bool idle() const { return !busy_ && !dead_; }
  bool dead() const { return dead_; }
  // Claims the connection for `request`; the caller then runs Exchange() as a tracked task.
  std::shared_ptr<ResponseStream> Begin(HttpRequest request);
  boost::asio::awaitable<void> Exchange(std::shared_ptr<ResponseStream> stream);
  void Close();
  // Called when the connection becomes idle or dies (the transport wakes waiting requests).
  std::function<void()> on_released;

 private:
  void Fail(ResponseStream& stream, const std::string& why);

  std::shared_ptr<TlsSocket> socket_;
  std::string host_;
  std::size_t max_response_bytes_;
  boost::beast::flat_buffer buffer_;
  bool busy_ = false;
  bool dead_ = false;
};

}  // namespace vkube::kube
