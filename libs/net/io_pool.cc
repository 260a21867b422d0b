#include "libs/net/io_pool.h"

#include <boost/asio/executor_work_guard.hpp>

namespace vkube::net {

struct IoPool::Slot {
  boost::asio::io_context ctx{1};  // concurrency hint 1: exactly one thread runs it
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{ctx.get_executor()};
};

IoPool::IoPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) slots_.push_back(std::make_unique<Slot>());
}

IoPool::~IoPool() { Stop(); }

boost::asio::io_context& IoPool::Next() { return slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()]->ctx; }
boost::asio::io_context& IoPool::At(std::size_t i) { return slots_[i % slots_.size()]->ctx; }
std::size_t IoPool::size() const { return slots_.size(); }

void IoPool::Start() {
  for (auto& s : slots_) threads_.emplace_back([ctx = &s->ctx] { ctx->run(); });
}

void IoPool::Stop() {
  for (auto& s : slots_) {
    s->guard.reset();
    s->ctx.stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace vkube::net
