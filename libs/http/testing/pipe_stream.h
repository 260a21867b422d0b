#pragma once
// Test-only: two connected in-memory UpgradedStreams (a socketpair without sockets) on one
// executor, for driving WebSocket/SPDY sessions and stream protocols without TLS.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/http/upgrade.h"

namespace vkube::http::testing {

class PipeStream final : public UpgradedStream {
 public:
  struct Channel {  // one direction
    explicit Channel(boost::asio::any_io_executor ex) : wake(ex, boost::asio::steady_timer::time_point::max()) {}
    std::string bytes;
    bool closed = false;
    boost::asio::steady_timer wake;
  };

  PipeStream(boost::asio::any_io_executor ex, std::shared_ptr<Channel> in, std::shared_ptr<Channel> out)
      : ex_(std::move(ex)), in_(std::move(in)), out_(std::move(out)) {}
  ~PipeStream() override { Close(); }

  static std::pair<std::unique_ptr<PipeStream>, std::unique_ptr<PipeStream>> Make(boost::asio::any_io_executor ex) {
    auto a = std::make_shared<Channel>(ex), b = std::make_shared<Channel>(ex);
    return {std::make_unique<PipeStream>(ex, a, b), std::make_unique<PipeStream>(ex, b, a)};
  }

  boost::asio::awaitable<IoResult> ReadSome(boost::asio::mutable_buffer buf) override {
    IoResult r;
    while (in_->bytes.empty() && !in_->closed && !closed_) {
      co_await in_->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (closed_) {
      r.ec = boost::asio::error::operation_aborted;
    } else if (in_->bytes.empty()) {
      r.ec = boost::asio::error::eof;
    } else {
      r.bytes = std::min(buf.size(), in_->bytes.size());
      std::memcpy(buf.data(), in_->bytes.data(), r.bytes);
      in_->bytes.erase(0, r.bytes);
      total_read += r.bytes;
    }
    co_return r;
  }

  boost::asio::awaitable<boost::system::error_code> Write(boost::asio::const_buffer data) override {
    if (closed_ || out_->closed) co_return boost::asio::error::broken_pipe;
    out_->bytes.append(static_cast<const char*>(data.data()), data.size());
    out_->wake.cancel();
    co_return boost::system::error_code();
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    in_->closed = out_->closed = true;
    in_->wake.cancel();
    out_->wake.cancel();
  }
  bool is_open() const override { return !closed_; }
  void set_limits(StreamLimits limits) override { limits_ = limits; }
  boost::asio::any_io_executor get_executor() override { return ex_; }

  StreamLimits limits_;
  std::size_t total_read = 0;

 private:
  boost::asio::any_io_executor ex_;
  std::shared_ptr<Channel> in_, out_;
  bool closed_ = false;
};

}  // namespace vkube::http::testing
