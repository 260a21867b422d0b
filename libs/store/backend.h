#pragma once
// Where the stores of every tenant of one vkube process live: the embedded SQLite file
// (SqliteDatabase) or an etcd cluster (EtcdBackend). A backend hands out one Store per partition
// (= tenant); the platform only ever sees this interface.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::store {

// A partition's Store plus what the platform measures about it (quota admission, metrics).
class PartitionStore : public Store {
 public:
  // Objects currently stored in this partition (every resource).
  virtual std::size_t ObjectCount() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Opens partition `name` (empty if new). A partition can be open once at a time per backend:
  // kAlreadyExists while it is open. (Non-virtual so that a backend may also offer a typed
  // overload under the same name; see DoOpenPartition.)
  Result<std::unique_ptr<PartitionStore>> OpenPartition(const std::string& name) { return DoOpenPartition(name); }
  // Removes every object of a partition durably. kConflict while it is open.
  virtual Status DropPartition(const std::string& name) = 0;
  // Names of the partitions holding data (or opened and never dropped), sorted.
  virtual Result<std::vector<std::string>> Partitions() = 0;
  // Stops accepting writes; open partitions' stores should be closed first.
  virtual void Close() = 0;
  // True once the backend can no longer make writes durable (the process should be restarted).
  virtual bool failed() = 0;
  // True when partitions live outside this process (etcd): every read is a network round trip
  // (callers on an event loop must run reads on a blocking pool), and other processes may open
  // the same partitions (a tenant's controllers need leader election).
  virtual bool remote() const { return false; }

 protected:
  virtual Result<std::unique_ptr<PartitionStore>> DoOpenPartition(const std::string& name) = 0;
};

}  // namespace vkube::store
