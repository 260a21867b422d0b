#pragma once
// Embedded durable Store: SQLite (WAL, synchronous=FULL) for durability, an in-memory index for
// reads, a single committer thread doing group commit, and a WatchHub for events.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libs/store/store.h"

struct sqlite3;

namespace vkube::store {

class WatchHub;

struct SqliteStoreOptions {
  std::string path;                  // database file
  std::size_t history_size = 10000;  // events kept for watch resume
  std::size_t max_batch = 1024;      // writes per group-commit transaction
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;

  Result<ObjectPtr> Get(const Key& key) override;
  Result<ListResult> List(const ListOptions& opts) override;
  Result<ObjectPtr> Create(const Key& key, nlohmann::json obj, Attrs attrs) override;
  Result<ObjectPtr> Update(const Key& key, Revision expected_revision, nlohmann::json obj, Attrs attrs) override;
  Result<ObjectPtr> Delete(const Key& key, Revision expected_revision) override;
  Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& opts) override;
  Revision CurrentRevision() override;
  Revision CompactedRevision() override;
  void Close() override;

  std::size_t ObjectCount();
  std::size_t ApproxMemoryBytes();

 private:
  // Objects of one resource, ordered by "ns/name" (the list and continue order).
  using Collection = std::map<std::string, ObjectPtr, std::less<>>;
  struct PendingWrite;

  explicit SqliteStore(SqliteStoreOptions options);
  Status Init();
  Result<ObjectPtr> Write(EventType type, const Key& key, Revision expected, nlohmann::json* obj, Attrs attrs);
  void CommitLoop();
  Status CommitBatch(std::vector<std::shared_ptr<PendingWrite>>& batch);

  SqliteStoreOptions options_;
  sqlite3* db_ = nullptr;
  std::shared_ptr<WatchHub> hub_;

  // Committed, readable state.
  std::shared_mutex read_mu_;
  std::unordered_map<std::string, Collection> committed_;
  Revision committed_revision_ = 0;

  // Write admission: latest accepted state (committed + queued) for precondition checks.
  std::mutex write_mu_;
  std::unordered_map<std::string, ObjectPtr> latest_;  // full key → object (null = deleted)
  Revision next_revision_ = 0;
  std::vector<std::shared_ptr<PendingWrite>> queue_;
  std::condition_variable queue_cv_;
  bool closing_ = false;
  bool failed_ = false;
  std::thread committer_;
};

std::string FullKey(const Key& key);  // "resource/ns/name"

}  // namespace vkube::store
