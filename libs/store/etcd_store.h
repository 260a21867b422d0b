#pragma once
// One partition (tenant) kept in etcd, the role of k8s.io/apiserver's storage/etcd3 plus a small
// watch cache. Reads go to etcd (linearizable ranges); writes are etcd transactions; one prefix
// watch per store feeds a WatchHub that fans events out to this store's watchers.
//
// Layout: every object is the etcd key  PREFIX RESOURCE "/" NS "!" NAME  (PREFIX =
// "<etcd-prefix>/<partition>/"; NS empty for cluster-scoped objects; '!' sorts below every
// character of a namespace, so etcd's key order is the (namespace, name) order lists promise).
// Its value is the envelope
//   "vk1 " RV_OFFSET " " ATTRS_JSON "\n" OBJECT_JSON
// where OBJECT_JSON is the object with metadata.resourceVersion "" and RV_OFFSET the byte offset
// (inside OBJECT_JSON) between that value's quotes: on every read the key's mod_revision is spliced
// in there, so metadata.resourceVersion always equals the etcd revision of the write without
// re-serializing. ATTRS_JSON is {"l":[[k,v]...],"f":[[k,v]...]} (labels and selectable fields as
// the caller computed them at write time), so list/watch predicates never parse objects.
//
// Revisions are etcd's (global to the etcd cluster, so they grow with other partitions' writes
// too): increasing per store, not contiguous.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libs/store/backend.h"
#include "libs/store/etcd_client.h"
#include "libs/store/store.h"

namespace vkube::store {

class WatchHub;
class QueueWatcher;

struct EtcdStoreOptions {
  std::string prefix;                // "<etcd-prefix>/<partition>/" (ends with '/')
  std::size_t history_size = 10000;  // events kept in memory for watch resume (like the watch cache)
  // A write returns once its own event went through this store's watch (so watchers have it
  // queued), or after this long if the watch stream is down (the write is durable either way).
  std::chrono::milliseconds publish_wait{5000};
  std::size_t list_chunk = 500;  // keys per range request while listing
  // Largest envelope + key accepted (etcd's default --max-request-bytes, 1.5 MiB, minus framing).
  std::size_t max_value_bytes = 1536 * 1024 - 1024;
  std::chrono::milliseconds max_backoff{5000};  // watch reconnect back-off ceiling
};

class EtcdStore final : public PartitionStore {
 public:
  // Reads the current revision and starts the prefix watch from just after it. `on_close` runs
  // once when the store is closed (gives the partition back to its backend).
  static Result<std::unique_ptr<EtcdStore>> Open(std::shared_ptr<EtcdClient> client, EtcdStoreOptions options,
                                                 std::function<void()> on_close = nullptr);
  ~EtcdStore() override;
  EtcdStore(const EtcdStore&) = delete;
  EtcdStore& operator=(const EtcdStore&) = delete;

  Result<ObjectPtr> Get(const Key& key) override;
  Result<ListResult> List(const ListOptions& opts) override;
  Result<ObjectPtr> Create(const Key& key, nlohmann::json obj, Attrs attrs) override;
  Result<ObjectPtr> Update(const Key& key, Revision expected_revision, nlohmann::json obj, Attrs attrs) override;
  Result<ObjectPtr> Delete(const Key& key, Revision expected_revision) override;
  Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& opts) override;
  // The newest etcd revision this store has seen (≥ every write it acknowledged).
  Revision CurrentRevision() override;
  // Watches and continue tokens from older revisions get kGone / kExpired: events before the
  // store's watch started (or before a compaction gap) are not in its history.
  Revision CompactedRevision() override;
  void Close() override;
  std::size_t ObjectCount() override;

  const std::string& prefix() const { return options_.prefix; }
  // Test hook: how many times the watch stream (re)connected.
  std::size_t watch_connects() const { return watch_connects_.load(); }
  // Test hook: drops the watch stream and keeps it down while paused (simulates a long outage).
  void PauseWatchForTest(bool paused);

  // The etcd key of `key` under `prefix` (see the layout above).
  static std::string EtcdKey(const std::string& prefix, const Key& key);

 private:
  EtcdStore(std::shared_ptr<EtcdClient> client, EtcdStoreOptions options, std::function<void()> on_close);
  Result<ObjectPtr> Write(EventType type, const Key& key, Revision expected, nlohmann::json* obj, Attrs attrs);
  Result<Revision> FetchRevision();
  void NoteRevision(Revision rev);
  void WaitPublished(Revision rev);
  void WatchLoop();
  // One watch answer's events → the hub. False if the stream must be restarted.
  void Publish(const nlohmann::json& events);
  // The watch cannot resume (compacted): watchers end (kTooSlow, clients re-list), history restarts.
  void RestartAfterGap();
  bool SleepBackoff(std::chrono::milliseconds d);
  Result<std::vector<ObjectPtr>> Snapshot(const WatchOptions& opts, Revision* revision);
  Status Closed() const;

  std::shared_ptr<EtcdClient> client_;
  const EtcdStoreOptions options_;
  std::function<void()> on_close_;

  std::atomic<Revision> known_revision_{0};
  std::atomic<std::size_t> watch_connects_{0};
  std::atomic<std::size_t> last_count_{0};

  // Hub and the revision its history starts after; swapped after a compaction gap.
  std::mutex hub_mu_;
  std::shared_ptr<WatchHub> hub_;
  Revision watch_start_ = 0;
  std::vector<std::weak_ptr<QueueWatcher>> registered_;

  // Newest revision published to the hub; writes wait on it.
  std::mutex pub_mu_;
  std::condition_variable pub_cv_;
  Revision published_ = 0;

  // Writes in flight (Close waits for them) and the closed flag.
  std::mutex write_mu_;
  std::condition_variable write_cv_;
  std::size_t in_flight_ = 0;
  bool closing_ = false;
  bool closed_ = false;

  // The watch thread and its current stream (Cancel()ed by Close).
  std::atomic<bool> stopping_{false};
  std::atomic<bool> watch_paused_{false};
  std::mutex stream_mu_;
  std::condition_variable stop_cv_;
  EtcdClient::Stream* stream_ = nullptr;
  Revision next_watch_revision_ = 0;  // watch thread only
  std::thread watch_thread_;
};

}  // namespace vkube::store
