#pragma once
// The tenants of one process: which exist (DATA_DIR/tenants/NAME/tenant.json, durable before a
// create is acknowledged), which run (started lazily on first use), create and delete.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tenancy/platform.h"
#include "tenancy/tenant.h"
#include "tenancy/tenant_info.h"

namespace vkube::tenancy {

class TenantManager {
 public:
  // Reads the tenants recorded under platform.data_dir; starts none of them.
  static Result<std::unique_ptr<TenantManager>> Open(Platform platform);
  ~TenantManager();

  // kInvalid for a bad name, kAlreadyExists if present. The tenant is started before returning,
  // so it answers at once.
  Result<TenantInfo> Create(const std::string& name, const TenantSpec& spec = {});
  // Stops the tenant, then removes its data (store partition, credentials) and its host objects
  // (Platform::on_tenant_deleted). kNotFound if absent. Until it returns, Create() of the same
  // name answers kAlreadyExists ("is being deleted").
  Status Delete(const std::string& name);
  std::vector<TenantInfo> List() const;
  // Lock-free (every routed request asks, for the fair-turns decision).
  std::size_t Count() const;
  std::optional<TenantInfo> Find(const std::string& name) const;
  // The running tenant, started on first use; kNotFound if there is no such tenant.
  Result<std::shared_ptr<Tenant>> Acquire(const std::string& name);
  // The running tenant, or null when absent or not started yet: never blocks (request fast path).
  std::shared_ptr<Tenant> Running(const std::string& name) const;
  void StopAll();

  const Platform& platform() const { return platform_; }

 private:
  struct Entry {
    TenantInfo info;
    std::mutex start_mu;  // one start at a time per tenant, without blocking other tenants
    std::shared_ptr<Tenant> running;
  };
  explicit TenantManager(Platform platform) : platform_(std::move(platform)) {}
  std::string DirOf(const std::string& name) const { return platform_.data_dir + "/tenants/" + name; }

  Platform platform_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> tenants_;
  std::atomic<std::size_t> count_{0};  // tenants_.size(), written under mu_
  std::set<std::string, std::less<>> deleting_;  // names whose Delete() has not returned yet
};

}  // namespace vkube::tenancy
