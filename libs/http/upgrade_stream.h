#pragma once
// Internal to libs/http: the socket-backed UpgradedStream shared by the server codec (a stream it
// lends to a handler) and DialUpgrade (a stream the caller owns).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "libs/http/upgrade.h"

namespace vkube::http {

// Idle and write deadlines of one stream, enforced by closing its socket. One timer per stream,
// armed for the earliest deadline; its pending wait holds this state (not the stream), so the
// stream may go away at any time.
class StreamWatchdog : public std::enable_shared_from_this<StreamWatchdog> {
 public:
  using Clock = std::chrono::steady_clock;
  StreamWatchdog(boost::asio::any_io_executor ex, StreamLimits limits) : timer_(std::move(ex)), limits_(limits) {}

  // Starts watching; `kill` closes the socket.
  void Start(std::function<void()> kill) {
    kill_ = std::move(kill);
    last_ = Clock::now();
    Arm();
  }
  void Stop() {
    kill_ = nullptr;
    timer_.cancel();
  }
  void SetLimits(StreamLimits limits) {
    limits_ = limits;
    if (kill_) Arm();
  }
  void Touch() { last_ = Clock::now(); }
  void BeginWrite() {
    write_since_ = Clock::now();
    if (kill_ && Deadline() < timer_.expiry()) Arm();
  }
  void EndWrite() {
    write_since_.reset();
    last_ = Clock::now();
  }
  bool fired() const { return fired_; }

 private:
  Clock::time_point Deadline() const {
    Clock::time_point d = last_ + limits_.idle_timeout;
    if (write_since_) d = std::min(d, *write_since_ + limits_.write_timeout);
    return d;
  }
  void Arm() {
    timer_.expires_at(Deadline());  // cancels an earlier wait (its handler sees operation_aborted)
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) { self->OnTimer(ec); });
  }
  void OnTimer(const boost::system::error_code& ec) {
    if (ec || !kill_) return;
    if (Clock::now() < Deadline()) {
      Arm();  // there was activity since this wait was armed
      return;
    }
    fired_ = true;
    auto kill = std::move(kill_);
    kill_ = nullptr;
    kill();
  }

  boost::asio::steady_timer timer_;
  StreamLimits limits_;
  Clock::time_point last_;
  std::optional<Clock::time_point> write_since_;
  std::function<void()> kill_;
  bool fired_ = false;
};

// Where a stream's socket lives. The server codec lends `stream` (and clears it when the handler
// returns); a dialled stream owns it.
template <class S>
struct StreamSlot {
  S* stream = nullptr;
  std::unique_ptr<S> owned;
  std::shared_ptr<boost::asio::ssl::context> keep;  // a TLS stream must not outlive its context
};

template <class S>
class SocketStream final : public UpgradedStream {
 public:
  SocketStream(std::shared_ptr<StreamSlot<S>> slot, std::string prefix, StreamLimits limits)
      : slot_(std::move(slot)),
        executor_(slot_->stream->get_executor()),
        prefix_(std::move(prefix)),
        watchdog_(std::make_shared<StreamWatchdog>(executor_, limits)) {
    std::weak_ptr<StreamSlot<S>> weak = slot_;
    watchdog_->Start([weak] {
      if (auto s = weak.lock(); s && s->stream != nullptr) CloseSocket(*s->stream);
    });
  }
  // An owned (dialled) stream closes its socket. A lent one leaves it to the codec, which ends the
  // connection with a TLS close_notify once the handler returns (an abrupt close would make
  // clients report a truncated stream).
  ~SocketStream() override {
    if (slot_->owned) {
      Close();
    } else {
      watchdog_->Stop();
    }
  }
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  boost::asio::awaitable<IoResult> ReadSome(boost::asio::mutable_buffer buf) override {
    IoResult out;
    if (buf.size() == 0) co_return out;
    if (pos_ < prefix_.size()) {
      out.bytes = std::min(buf.size(), prefix_.size() - pos_);
      std::memcpy(buf.data(), prefix_.data() + pos_, out.bytes);
      pos_ += out.bytes;
      if (pos_ == prefix_.size()) std::string().swap(prefix_);
      co_return out;
    }
    S* s = live();
    if (s == nullptr) {
      out.ec = boost::asio::error::not_connected;
      co_return out;
    }
    auto [ec, n] = co_await s->async_read_some(buf, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (n > 0) watchdog_->Touch();
    out.ec = ec && watchdog_->fired() ? boost::asio::error::timed_out : ec;
    out.bytes = n;
    co_return out;
  }

  boost::asio::awaitable<boost::system::error_code> Write(boost::asio::const_buffer data) override {
    S* s = live();
    if (s == nullptr) co_return boost::asio::error::not_connected;
    watchdog_->BeginWrite();
    auto [ec, n] = co_await boost::asio::async_write(*s, data, boost::asio::as_tuple(boost::asio::use_awaitable));
    watchdog_->EndWrite();
    if (ec && watchdog_->fired()) co_return boost::asio::error::timed_out;
    co_return ec;
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    watchdog_->Stop();
    if (slot_->stream != nullptr) CloseSocket(*slot_->stream);
  }

  bool is_open() const override {
    return !closed_ && slot_->stream != nullptr && boost::beast::get_lowest_layer(*slot_->stream).socket().is_open();
  }
  void set_limits(StreamLimits limits) override { watchdog_->SetLimits(limits); }
  boost::asio::any_io_executor get_executor() override { return executor_; }

 private:
  S* live() const { return closed_ ? nullptr : slot_->stream; }
  static void CloseSocket(S& s) {
    boost::system::error_code ec;
    auto& sock = boost::beast::get_lowest_layer(s).socket();
    sock.shutdown(boost::asio::socket_base::shutdown_both, ec);
    sock.close(ec);
  }

  std::shared_ptr<StreamSlot<S>> slot_;
  boost::asio::any_io_executor executor_;
  std::string prefix_;  // bytes read past the HTTP head before the switch
  std::size_t pos_ = 0;
  std::shared_ptr<StreamWatchdog> watchdog_;
  bool closed_ = false;
};

}  // namespace vkube::http
