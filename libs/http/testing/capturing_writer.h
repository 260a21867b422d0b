#pragma once
// Test-only ResponseWriter that records what a handler sends (whole responses and streamed
// chunks), so handlers can be driven without sockets.
#include <functional>
#include <string>

#include "libs/http/handler.h"

namespace vkube::http::testing {

class CapturingWriter final : public ResponseWriter {
 public:
  boost::asio::awaitable<void> Send(Response r) override {
    response = std::move(r);
    done = true;
    co_return;
  }
  boost::asio::awaitable<bool> Start(int status, Headers headers) override {
    response.status = status;
    response.headers = std::move(headers);
    co_return true;
  }
  boost::asio::awaitable<bool> Write(std::string chunk) override {
    response.body += chunk;
    co_return true;
  }
  boost::asio::awaitable<void> Finish() override {
    done = true;
    co_return;
  }
  bool closing() const override { return closing_; }
  void on_closing(std::function<void()> fn) override { on_closing_ = std::move(fn); }
  // Simulates the peer going away (ends watches).
  void Close() {
    closing_ = true;
    if (on_closing_) on_closing_();
  }

  Response response;
  bool done = false;

 private:
  bool closing_ = false;
  std::function<void()> on_closing_;
};

}  // namespace vkube::http::testing
