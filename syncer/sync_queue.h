#pragma once
// The syncer's work queue: client-go's rate-limited queue semantics (a key queued twice is
// processed once, never by two workers at once, failures retried with per-key exponential
// backoff) with coroutine workers, so a reconcile waiting on the host API holds no pool thread.
// Workers exist only while there is work: an idle tenant's queue has no task and no timer.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "libs/net/task_group.h"

namespace vkube::syncer {

enum class SyncOutcome : std::uint8_t { kDone, kRetry };

struct SyncQueueOptions {
  std::size_t max_workers = 64;  // concurrent reconciles (host requests overlap on one HTTP/2 connection)
  std::chrono::milliseconds base_delay{10};
  std::chrono::milliseconds max_delay{std::chrono::seconds(60)};
};

class SyncQueue : public std::enable_shared_from_this<SyncQueue> {
 public:
  using Process = std::function<boost::asio::awaitable<SyncOutcome>(std::string key)>;

  SyncQueue(boost::asio::any_io_executor executor, Process process, SyncQueueOptions options);
  ~SyncQueue();

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Workers start only after this (the syncer first waits for its caches to fill).
  void Start();
  // Drops pending keys, cancels retry timers and waits for running reconciles. Not from a thread
  // that runs `executor`... unless that thread is not needed for them to finish (a pool).
  void ShutDown();

  std::size_t Len() const;
  std::size_t Failures(const std::string& key) const;

 private:
  void MaybeStartWorker();  // mu_ held
  boost::asio::awaitable<void> Worker();
  boost::asio::awaitable<void> Delayed(std::string key, std::chrono::milliseconds delay);

  boost::asio::any_io_executor executor_;
  Process process_;
  SyncQueueOptions options_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::unordered_map<std::string, std::size_t> failures_;
  std::size_t workers_ = 0;
  bool started_ = false;
  bool shutting_down_ = false;
  net::TaskGroup tasks_;
};

}  // namespace vkube::syncer
