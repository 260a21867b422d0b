#pragma once
// One SQLite file holding many independent stores ("partitions", one per tenant): a single
// committer thread group-commits the writes of every partition together, so a thousand tenants
// cost one fsync stream and one thread, not a thousand. Each partition keeps its own revision
// sequence, in-memory index and watch history (see SqliteStore).
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libs/store/backend.h"
#include "libs/store/store.h"

struct sqlite3;

namespace vkube::store {

class SqliteStore;

struct SqliteDatabaseOptions {
  std::string path;              // database file (WAL and SHM files beside it)
  std::size_t max_batch = 1024;  // writes per group-commit transaction
};

class SqliteDatabase : public Backend, public std::enable_shared_from_this<SqliteDatabase> {
 public:
  static Result<std::shared_ptr<SqliteDatabase>> Open(const SqliteDatabaseOptions& options);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Loads partition `name` (empty if new). A partition can be open once at a time: two handles
  // would hand out the same revisions. kAlreadyExists if it is open.
  Result<std::unique_ptr<SqliteStore>> OpenPartition(const std::string& name, std::size_t history_size = 10000);
  // Removes every object of a partition durably. kConflict while it is open.
  Status DropPartition(const std::string& name) override;
  // Names of the partitions holding data or a revision.
  Result<std::vector<std::string>> Partitions() override;
  // Drains queued writes and stops the committer; later writes fail with kServiceUnavailable.
  void Close() override;
  bool failed() override;

 protected:
  // Backend: OpenPartition(name) with the default history.
  Result<std::unique_ptr<PartitionStore>> DoOpenPartition(const std::string& name) override;

 private:
  friend class SqliteStore;
  // A write admitted by a partition (revision assigned), waiting for the group commit. A null
  // `partition` with `drop` set removes a whole partition.
  struct PendingWrite {
    SqliteStore* partition = nullptr;
    EventType type = EventType::kAdded;
    ObjectPtr object;
    ObjectPtr prev;
    std::string drop;
    std::promise<Status> done;
  };

  explicit SqliteDatabase(SqliteDatabaseOptions options) : options_(std::move(options)) {}
  Status Init();
  // Called with the partition's write lock held so that queue order is revision order.
  Status Enqueue(std::shared_ptr<PendingWrite> write);
  void Release(const std::string& partition);
  void CommitLoop();
  Status CommitBatch(const std::vector<std::shared_ptr<PendingWrite>>& batch);

  SqliteDatabaseOptions options_;
  sqlite3* db_ = nullptr;      // committer thread only (after Init)
  sqlite3* reader_ = nullptr;  // partition loads and listings, under reader_mu_
  std::mutex reader_mu_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<PendingWrite>> queue_;
  std::set<std::string, std::less<>> open_;
  bool closing_ = false;
  bool failed_ = false;
  std::thread committer_;
};

}  // namespace vkube::store
