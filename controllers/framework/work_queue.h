#pragma once
// client-go's rate-limited work queue, driven by an executor instead of worker threads: keys are
// de-duplicated (a key queued twice is processed once), a key is never processed by two workers
// at once (re-added while processing = processed again after), failures are retried with
// per-key exponential backoff, and at most `max_workers` tasks of this queue occupy the shared
// pool at a time. An idle queue holds no task and no timer.
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "libs/core/in_flight.h"

namespace vkube::controllers {

struct WorkQueueOptions {
  std::size_t max_workers = 2;
  std::chrono::milliseconds base_delay{5};  // first retry; doubles per failure
  std::chrono::milliseconds max_delay{std::chrono::seconds(300)};
  std::size_t batch = 16;  // keys per task before yielding the pool thread (fairness across tenants)
};

// Outcome of processing one key.
enum class Outcome : std::uint8_t {
  kDone,     // success: forget the key's failure history
  kRetry,    // failure: re-queue with backoff
};

class WorkQueue : public std::enable_shared_from_this<WorkQueue> {
 public:
  using Process = std::function<Outcome(const std::string& key)>;

  static std::shared_ptr<WorkQueue> Create(boost::asio::any_io_executor executor, Process process,
                                           WorkQueueOptions options = {});

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Drops queued keys and pending retries and waits for keys being processed (so that the owner
  // of `process` may be destroyed next); callable from inside `process`.
  void ShutDown();

  std::size_t Len() const;
  std::size_t Failures(const std::string& key) const;

  WorkQueue(boost::asio::any_io_executor executor, Process process, WorkQueueOptions options);

 private:
  void MaybeStartWorker();  // mu_ held
  void Work();

  boost::asio::any_io_executor executor_;
  Process process_;
  WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;       // queued (or to re-queue after processing)
  std::unordered_set<std::string> processing_;
  std::unordered_map<std::string, std::size_t> failures_;
  // Pending AddAfter timers, cancelled by ShutDown so that the pool can drain at once.
  std::unordered_set<std::shared_ptr<boost::asio::steady_timer>> timers_;
  std::size_t workers_ = 0;
  bool shutting_down_ = false;
  InFlight in_flight_;  // Work() calls running on the pool
};

}  // namespace vkube::controllers
