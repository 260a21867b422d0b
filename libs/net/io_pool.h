#pragma once
// A fixed set of io_contexts, one thread each. A connection is pinned to one context for its whole
// life (no cross-thread handoff on the data path, nghttpx-style).
#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace vkube::net {

class IoPool {
 public:
  explicit IoPool(std::size_t threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Round-robin choice for a new connection (thread-safe).
  boost::asio::io_context& Next();
  boost::asio::io_context& At(std::size_t i);
  std::size_t size() const;

  void Start();  // starts one thread per context
  void Stop();   // stops contexts and joins threads (idempotent)

 private:
  struct Slot;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};  // several servers may share one pool
};

}  // namespace vkube::net
