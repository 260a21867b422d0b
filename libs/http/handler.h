#pragma once
// The one seam between transport and application: a Handler gets a parsed Request and answers
// through a ResponseWriter, either with one complete Response or as a stream (watch, logs).
// Handlers run on the connection's executor (one thread per connection, nghttpx-style), so they
// must never block: blocking work (disk, CPU-heavy) is posted elsewhere and awaited.
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "libs/http/message.h"

namespace vkube::http {

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sends a complete response. Call at most once, and not together with Start().
  virtual boost::asio::awaitable<void> Send(Response response) = 0;

  // Streaming: Start once, Write any number of chunks, then Finish. Write suspends while the
  // connection's buffered output is above its high watermark (backpressure) and returns false
  // when the stream can no longer make progress (peer gone, stream reset, hard drain).
  virtual boost::asio::awaitable<bool> Start(int status, Headers headers) = 0;
  virtual boost::asio::awaitable<bool> Write(std::string chunk) = 0;
  virtual boost::asio::awaitable<void> Finish() = 0;

  // True once the peer went away or the server began draining: long-running handlers should
  // finish promptly (a watch ends its stream cleanly).
  virtual bool closing() const = 0;
  // Registers a callback run on the connection's executor when closing() becomes true (at most
  // one callback; replaces a previous one). Used to wake a handler waiting for events.
  virtual void on_closing(std::function<void()> fn) = 0;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Must answer every request (through `writer`); exceptions escaping here are a bug and are
  // turned into a 500 by the codec.
  virtual boost::asio::awaitable<void> Handle(Request& request, ResponseWriter& writer) = 0;
};

}  // namespace vkube::http
