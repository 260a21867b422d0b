#pragma once
// List + watch of one collection, kept in step with the host API (client-go's Reflector feeding
// an informer): a paged LIST, then WATCH from the list's resourceVersion; a watch that ends is
// resumed from the last version seen (events and bookmarks advance it); 410 Gone/Expired (HTTP or
// an ERROR event) re-lists, and the re-list is diffed against what was delivered so handlers see
// exactly the Added/Modified/Deleted that bring them to the new state. Errors back off with
// jitter. One tracked coroutine on `executor`, where every handler runs; Stop() ends it.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/kubeclient/backoff.h"
#include "libs/kubeclient/kube_client.h"
#include "libs/net/task_group.h"

namespace vkube::kube {

struct ReflectorOptions {
  ResourceRef resource;
  std::string label_selector;
  std::string field_selector;
  std::int64_t page_size = 500;
  bool allow_bookmarks = true;
  std::chrono::seconds min_watch_timeout{300};  // each watch asks to end after [t, 2t) (client-go)
  BackoffOptions backoff;
};

// Objects are delivered immutable and shared: a consumer's cache keeps the very object the
// reflector knows (one copy per host object, none per event or read).
using SharedObject = std::shared_ptr<const nlohmann::json>;

struct ReflectorHandlers {
  std::function<void(const SharedObject& object)> on_add;
  std::function<void(const SharedObject& old_object, const SharedObject& object)> on_update;
  std::function<void(const SharedObject& last_known)> on_delete;
  std::function<void()> on_synced;  // a complete (re)list has been delivered
};

struct ReflectorStats {
  std::uint64_t lists = 0;    // complete lists (the first one and every re-list)
  std::uint64_t watches = 0;  // watches started
  std::uint64_t gone = 0;     // 410 answers that forced a re-list
  std::uint64_t errors = 0;   // failures that backed off
  std::uint64_t events = 0;   // watch events handled (bookmarks included)
  std::uint64_t bookmarks = 0;
  std::string resource_version;  // last version seen
  std::size_t objects = 0;       // objects currently known
};

class Reflector {
 public:
  // `client` must outlive the reflector.
  Reflector(KubeClient& client, boost::asio::any_io_executor executor, ReflectorOptions options,
            ReflectorHandlers handlers);
  ~Reflector();  // Stop()
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void Start();
  // Cancels the loop (and the request it waits on) and waits until it is gone. Not from a thread
  // that runs `executor`. Idempotent.
  void Stop();

  bool synced() const { return synced_.load(); }
  ReflectorStats stats() const;

 private:
  boost::asio::awaitable<void> Run();
  boost::asio::awaitable<Status> ListAndReplace();
  // Ok when the server ended the watch normally.
  boost::asio::awaitable<Status> WatchOnce(Backoff& backoff);
  void Replace(std::map<std::string, SharedObject> fresh, std::string resource_version);
  void Apply(WatchEventType type, nlohmann::json object);
  void SetResourceVersion(std::string rv);

  KubeClient& client_;
  boost::asio::any_io_executor executor_;
  ReflectorOptions options_;
  ReflectorHandlers handlers_;
  net::TaskGroup tasks_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> synced_{false};
  // loop-only state
  std::map<std::string, SharedObject> known_;  // "namespace/name" → last delivered state
  std::string resource_version_;
  mutable std::mutex stats_mu_;
  ReflectorStats stats_;
};

}  // namespace vkube::kube
