#include "controllers/framework/work_queue.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vkube::controllers {

namespace asio = boost::asio;

std::shared_ptr<WorkQueue> WorkQueue::Create(asio::any_io_executor executor, Process process,
                                             WorkQueueOptions options) {
  return std::make_shared<WorkQueue>(std::move(executor), std::move(process), options);
}

WorkQueue::WorkQueue(asio::any_io_executor executor, Process process, WorkQueueOptions options)
    : executor_(std::move(executor)), process_(std::move(process)), options_(options) {}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (shutting_down_ || !dirty_.insert(key).second) return;
  if (processing_.count(key)) return;  // re-queued when its current processing ends
  queue_.push_back(key);
  MaybeStartWorker();
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return Add(key);
  auto timer = std::make_shared<asio::steady_timer>(executor_, delay);
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    timers_.insert(timer);
  }
  std::weak_ptr<WorkQueue> weak = weak_from_this();
  timer->async_wait([timer, weak, key](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard lock(self->mu_);
      self->timers_.erase(timer);
    }
    if (!ec) self->Add(key);
  });
}

void WorkQueue::ShutDown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    queue_.clear();
    dirty_.clear();
    for (const auto& t : timers_) t->cancel();
  }
  in_flight_.CloseAndWait();
}

std::size_t WorkQueue::Len() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t WorkQueue::Failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::MaybeStartWorker() {
  if (queue_.empty() || workers_ >= options_.max_workers) return;
  ++workers_;
  asio::post(executor_, [self = shared_from_this()] { self->Work(); });
}

void WorkQueue::Work() {
  InFlight::Scope scope(in_flight_);
  if (!scope.entered()) {
    std::lock_guard lock(mu_);
    --workers_;
    return;
  }
  for (std::size_t done = 0;; ++done) {
    std::string key;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() || shutting_down_ || done == options_.batch) {
        --workers_;
        // Yield after a batch: re-post so other tenants' queues get the pool thread too.
        if (!shutting_down_) MaybeStartWorker();
        return;
      }
      key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
    }
    Outcome outcome = Outcome::kRetry;
    try {
      outcome = process_(key);
    } catch (...) {
      outcome = Outcome::kRetry;  // a reconcile bug must not take the process down
    }
    std::chrono::milliseconds retry_in{0};
    {
      std::lock_guard lock(mu_);
      processing_.erase(key);
      if (outcome == Outcome::kDone) {
        failures_.erase(key);
      } else {
        std::size_t n = failures_[key]++;
        auto delay = options_.base_delay * (1LL << std::min<std::size_t>(n, 30));
        retry_in = std::min<std::chrono::milliseconds>(delay, options_.max_delay);
      }
      if (dirty_.count(key) && !shutting_down_) queue_.push_back(key);  // re-added while processing
    }
    if (outcome == Outcome::kRetry) AddAfter(key, retry_in);
  }
}

}  // namespace vkube::controllers
