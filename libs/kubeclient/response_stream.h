#pragma once
// One response in flight, shared by the connection that produces it (HTTP/2 stream or HTTP/1.1
// exchange) and the caller that consumes it. Lives on the transport's strand: every member is
// touched only there, so a cancelled timer is a race-free "something changed" signal.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "libs/core/result.h"
#include "libs/kubeclient/http_types.h"

namespace vkube::kube {

class ResponseStream {
 public:
  using Clock = std::chrono::steady_clock;

  ResponseStream(boost::asio::any_io_executor strand, HttpRequest request);
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // ---- producer (connection) side ----
  void OnHead(int status, HttpHeaders headers);
  void OnData(const char* data, std::size_t n);
  void OnEnd();
  void OnError(Error error);  // no effect once ended or failed
  // Flow control: called with the number of bytes the consumer took (HTTP/2 WINDOW_UPDATE, or
  // wakes an HTTP/1.1 reader that stopped at the buffer limit).
  std::function<void(std::size_t)> on_consumed;
  // Abandons the exchange (RST_STREAM, or closing an HTTP/1.1 connection).
  std::function<void()> on_cancel;
  // A producer waiting for the consumer (HTTP/1.1 backpressure).
  boost::asio::awaitable<void> WaitConsumed();

  // ---- consumer side ----
  // Completes when the head arrived, the exchange failed, or `deadline` passed (kTimeout).
  boost::asio::awaitable<Status> WaitHead(Clock::time_point deadline);
  // Next body bytes; "" at the end of the body. `deadline` = Clock::time_point::max() for none.
  boost::asio::awaitable<Result<std::string>> Read(Clock::time_point deadline);
  // Whole remaining body, at most `limit` bytes (else an error and the exchange is cancelled).
  boost::asio::awaitable<Result<std::string>> ReadAll(Clock::time_point deadline, std::size_t limit);
  void Cancel();

  HttpRequest& request() { return request_; }
  std::size_t request_body_offset = 0;  // HTTP/2 data provider progress
  int status() const { return status_; }
  const HttpHeaders& headers() const { return headers_; }
  std::size_t buffered() const { return buffer_.size(); }
  bool finished() const { return ended_ || error_.has_value(); }
  bool head_received() const { return head_; }
  bool cancelled() const { return cancelled_; }
  // The server refused the stream before processing it (HTTP/2 REFUSED_STREAM, or above a
  // GOAWAY's last stream id): safe to send again whatever the method.
  void MarkUnprocessed() { unprocessed_ = true; }
  bool unprocessed() const { return unprocessed_; }

 private:
  void Wake();
  // Waits for a change; false when `deadline` passed or the waiting coroutine was cancelled.
  boost::asio::awaitable<bool> WaitChange(Clock::time_point deadline);

  HttpRequest request_;
  int status_ = 0;
  HttpHeaders headers_;
  std::string buffer_;
  bool head_ = false;
  bool ended_ = false;
  bool cancelled_ = false;
  bool unprocessed_ = false;
  std::optional<Error> error_;
  boost::asio::steady_timer consumer_wake_;
  boost::asio::steady_timer producer_wake_;
};

}  // namespace vkube::kube
