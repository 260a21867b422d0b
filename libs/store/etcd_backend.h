#pragma once
// Every tenant's store in one etcd cluster (vkube serve --store=etcd): partition NAME is the key
// prefix "<prefix>/NAME/" (see EtcdStore for the layout of one partition), and
// "<prefix>/.partitions/NAME" marks that the partition exists. Durability, replication and
// compaction are etcd's; vkube keeps no local state.
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "libs/store/backend.h"
#include "libs/store/etcd_client.h"
#include "libs/store/etcd_store.h"

namespace vkube::store {

struct EtcdBackendOptions {
  EtcdClientOptions client;
  std::string prefix = "/vkube";     // --etcd-prefix (a trailing '/' is dropped)
  std::size_t history_size = 10000;  // watch events kept in memory per partition
};

class EtcdBackend final : public Backend, public std::enable_shared_from_this<EtcdBackend> {
 public:
  // Connects (checks that an endpoint answers /v3/maintenance/status).
  static Result<std::shared_ptr<EtcdBackend>> Open(EtcdBackendOptions options);
  ~EtcdBackend() override;
  EtcdBackend(const EtcdBackend&) = delete;
  EtcdBackend& operator=(const EtcdBackend&) = delete;

  // Like Backend::OpenPartition, typed and with this partition's watch history size.
  Result<std::unique_ptr<EtcdStore>> OpenPartition(const std::string& name, std::size_t history_size);
  using Backend::OpenPartition;
  Status DropPartition(const std::string& name) override;
  Result<std::vector<std::string>> Partitions() override;
  void Close() override;
  bool failed() override { return false; }
  bool remote() const override { return true; }  // etcd keeps durability; a lost etcd is an error per call

  const std::shared_ptr<EtcdClient>& client() const { return client_; }
  // "<prefix>/NAME/"
  std::string PartitionPrefix(const std::string& name) const { return options_.prefix + "/" + name + "/"; }

 protected:
  Result<std::unique_ptr<PartitionStore>> DoOpenPartition(const std::string& name) override;

 private:
  EtcdBackend(EtcdBackendOptions options, std::shared_ptr<EtcdClient> client)
      : options_(std::move(options)), client_(std::move(client)) {}
  void Release(const std::string& name);
  std::string MarkerKey(const std::string& name) const { return options_.prefix + "/.partitions/" + name; }

  EtcdBackendOptions options_;
  std::shared_ptr<EtcdClient> client_;
  std::mutex mu_;
  std::set<std::string, std::less<>> open_;
  bool closed_ = false;
};

}  // namespace vkube::store
