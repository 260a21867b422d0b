#include "libs/kubeclient/response_stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::kube {

namespace asio = boost::asio;

std::string_view FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

ResponseStream::ResponseStream(asio::any_io_executor strand, HttpRequest request)
    : request_(std::move(request)), consumer_wake_(strand), producer_wake_(strand) {}

void ResponseStream::Wake() { consumer_wake_.cancel(); }

void ResponseStream::OnHead(int status, HttpHeaders headers) {
  if (head_) return;
  head_ = true;
  status_ = status;
  headers_ = std::move(headers);
  Wake();
}

void ResponseStream::OnData(const char* data, std::size_t n) {
  buffer_.append(data, n);
  Wake();
}

void ResponseStream::OnEnd() {
  if (finished()) return;
  ended_ = true;
  Wake();
  producer_wake_.cancel();
}

void ResponseStream::OnError(Error error) {
  if (finished()) return;
  error_ = std::move(error);
  Wake();
  producer_wake_.cancel();
}

asio::awaitable<void> ResponseStream::WaitConsumed() {
  producer_wake_.expires_at(Clock::time_point::max());
  co_await producer_wake_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<bool> ResponseStream::WaitChange(Clock::time_point deadline) {
  if (Clock::now() >= deadline) co_return false;
  consumer_wake_.expires_at(deadline);
  auto [ec] = co_await consumer_wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  auto state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) co_return false;
  if (!ec) co_return false;  // the deadline passed
  co_return true;
}

asio::awaitable<Status> ResponseStream::WaitHead(Clock::time_point deadline) {
  while (!head_ && !finished()) {
    if (!co_await WaitChange(deadline) && !head_ && !finished()) {
      auto state = co_await asio::this_coro::cancellation_state;
      const bool cancelled = state.cancelled() != asio::cancellation_type::none;
      Cancel();
      if (cancelled) co_return Error::Make(ErrorCode::kServiceUnavailable, "request cancelled");
      co_return Error::Make(ErrorCode::kTimeout, "client timeout waiting for the response");
    }
  }
  if (!head_ && error_) co_return *error_;
  co_return Status{};
}

asio::awaitable<Result<std::string>> ResponseStream::Read(Clock::time_point deadline) {
  while (buffer_.empty() && !finished()) {
    if (!co_await WaitChange(deadline) && buffer_.empty() && !finished()) {
      auto state = co_await asio::this_coro::cancellation_state;
      const bool cancelled = state.cancelled() != asio::cancellation_type::none;
      Cancel();
      if (cancelled) co_return Error::Make(ErrorCode::kServiceUnavailable, "request cancelled");
      co_return Error::Make(ErrorCode::kTimeout, "client timeout reading the response");
    }
  }
  if (!buffer_.empty()) {
    std::string out;
    out.swap(buffer_);
    if (on_consumed) on_consumed(out.size());
    producer_wake_.cancel();
    co_return out;
  }
  if (error_) co_return *error_;
  co_return std::string();
}

asio::awaitable<Result<std::string>> ResponseStream::ReadAll(Clock::time_point deadline, std::size_t limit) {
  std::string body;
  for (;;) {
    auto chunk = co_await Read(deadline);
    if (!chunk) co_return chunk.take_error();
    if (chunk->empty()) break;
    if (body.size() + chunk->size() > limit) {
      Cancel();
      co_return Error::Make(ErrorCode::kRequestEntityTooLarge,
                            "response body exceeds the client limit of " + std::to_string(limit) + " bytes");
    }
    if (body.empty()) {
      body = std::move(*chunk);
    } else {
      body += *chunk;
    }
  }
  co_return body;
}

void ResponseStream::Cancel() {
  if (cancelled_) return;
  cancelled_ = true;
  const bool was_finished = finished();
  if (!was_finished) error_ = Error::Make(ErrorCode::kServiceUnavailable, "request cancelled");
  if (!was_finished && on_cancel) on_cancel();
  producer_wake_.cancel();
  Wake();
}

}  // namespace vkube::kube
