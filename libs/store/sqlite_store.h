#pragma once
// Embedded durable Store: SQLite (WAL, synchronous=FULL) for durability, an in-memory index for
// reads, group commit by the database's committer thread, and a WatchHub for events.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "libs/store/backend.h"
#include "libs/store/sqlite_database.h"
#include "libs/store/store.h"

namespace vkube::store {

class WatchHub;

struct SqliteStoreOptions {
  std::string path;                  // database file
  std::size_t history_size = 10000;  // events kept for watch resume
  std::size_t max_batch = 1024;      // writes per group-commit transaction
  std::string partition = "default"; // which store of the file (see SqliteDatabase)
};

// One partition of a SqliteDatabase: its own revision sequence, in-memory index (reads never
// touch SQLite) and WatchHub. Writes are admitted here and made durable by the database's
// group commit.
class SqliteStore final : public PartitionStore {
 public:
  // A private database holding this one partition (single-tenant use, tests, benchmarks).
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
  // Waits for this partition's queued writes, then closes its watchers and gives the partition
  // name back to the database (it can be dropped or reopened).
  void Close() override;

  const std::string& partition() const { return partition_; }
  std::size_t ObjectCount() override;
  std::size_t ApproxMemoryBytes();

 private:
  friend class SqliteDatabase;
  // Objects of one resource, ordered by "ns/name" (the list and continue order).
  using Collection = std::map<std::string, ObjectPtr, std::less<>>;

  SqliteStore(std::shared_ptr<SqliteDatabase> db, std::string partition, std::size_t history_size);
  void Load(ObjectPtr obj);
  void FinishLoad(Revision revision);
  Result<ObjectPtr> Write(EventType type, const Key& key, Revision expected, nlohmann::json* obj, Attrs attrs);
  // Committer thread: the writes of one batch that belong to this partition, in revision order.
  void Apply(const std::vector<const SqliteDatabase::PendingWrite*>& writes);
  void Finished(std::size_t n);  // n queued writes done (committed or failed)

  std::shared_ptr<SqliteDatabase> db_;
  const std::string partition_;
  bool owns_db_ = false;
  std::shared_ptr<WatchHub> hub_;

  // Committed, readable state.
  std::shared_mutex read_mu_;
  std::unordered_map<std::string, Collection> committed_;
  Revision committed_revision_ = 0;

  // Write admission: latest accepted state (committed + queued) for precondition checks.
  std::mutex write_mu_;
  std::condition_variable drained_cv_;
  std::unordered_map<std::string, ObjectPtr> latest_;  // full key → object (null = deleted)
  Revision next_revision_ = 0;
  std::size_t in_flight_ = 0;
  bool closing_ = false;
  bool released_ = false;  // Close() done
};

std::string FullKey(const Key& key);  // "resource/ns/name"

}  // namespace vkube::store
