#include "syncer/sync_queue.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vkube::syncer {

namespace asio = boost::asio;

SyncQueue::SyncQueue(asio::any_io_executor executor, Process process, SyncQueueOptions options)
    : executor_(std::move(executor)), process_(std::move(process)), options_(options) {}

SyncQueue::~SyncQueue() { ShutDown(); }

void SyncQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (shutting_down_ || !dirty_.insert(key).second) return;
  if (processing_.count(key)) return;  // re-queued when its current processing ends
  queue_.push_back(key);
  MaybeStartWorker();
}

void SyncQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return Add(key);
  tasks_.Spawn(executor_, Delayed(key, delay));
}

asio::awaitable<void> SyncQueue::Delayed(std::string key, std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!ec) Add(key);
}

void SyncQueue::Start() {
  std::lock_guard lock(mu_);
  started_ = true;
  while (workers_ < options_.max_workers && workers_ < queue_.size()) {
    const std::size_t before = workers_;
    MaybeStartWorker();
    if (workers_ == before) break;
  }
}

void SyncQueue::ShutDown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    queue_.clear();
    dirty_.clear();
  }
  tasks_.Close();
  tasks_.CancelAll();
  tasks_.WaitEmptyBlocking(std::chrono::seconds(30));
}

std::size_t SyncQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t SyncQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void SyncQueue::MaybeStartWorker() {
  if (!started_ || shutting_down_ || queue_.empty() || workers_ >= options_.max_workers) return;
  if (tasks_.Spawn(executor_, Worker())) ++workers_;
}

asio::awaitable<void> SyncQueue::Worker() {
  // co_spawn may start a coroutine inline (dispatch) on a thread of the executor, and workers are
  // spawned under mu_: yield first so the body never runs while the spawner holds the lock.
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  for (;;) {
    std::string key;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() || shutting_down_) {
        --workers_;
        co_return;
      }
      key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
    }
    SyncOutcome outcome = SyncOutcome::kRetry;
    try {
      outcome = co_await process_(key);
    } catch (...) {
      outcome = SyncOutcome::kRetry;  // a reconcile bug must not take the process down
    }
    std::chrono::milliseconds retry_in{0};
    {
      std::lock_guard lock(mu_);
      processing_.erase(key);
      if (outcome == SyncOutcome::kDone) {
        failures_.erase(key);
      } else {
        const std::size_t n = failures_[key]++;
        auto delay = options_.base_delay * (1LL << std::min<std::size_t>(n, 20));
        retry_in = std::min<std::chrono::milliseconds>(delay, options_.max_delay);
      }
      if (dirty_.count(key) && !shutting_down_) queue_.push_back(key);  // re-added while processing
    }
    if (outcome == SyncOutcome::kRetry) AddAfter(key, retry_in);
  }
}

}  // namespace vkube::syncer
