#include "tenancy/tenant_manager.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/resource/meta.h"
#include "libs/resource/validation.h"
#include "tenancy/tenant_name.h"

namespace vkube::tenancy {
namespace {

Error NotFound(const std::string& name) {
  Error e = Error::Make(ErrorCode::kNotFound, "tenants.vkube.io \"" + name + "\" not found");
  e.details.group = "vkube.io";
  e.details.kind = "tenants";
  e.details.name = name;
  return e;
}

}  // namespace

Result<std::unique_ptr<TenantManager>> TenantManager::Open(Platform platform) {
  std::unique_ptr<TenantManager> m(new TenantManager(std::move(platform)));
  const std::string root = m->platform_.data_dir + "/tenants";
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return Error::Make(ErrorCode::kInternal, "cannot create " + root + ": " + ec.message());
  for (const auto& d : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = d.path().filename().string();
    auto text = pki::ReadFile(d.path().string() + "/tenant.json");
    if (!text || !ValidateTenantName(name)) continue;  // a create that never completed
    auto info = ParseTenantRecord(name, *text);
    if (!info) continue;
    auto e = std::make_shared<Entry>();
    e->info = std::move(*info);
    m->tenants_.emplace(name, std::move(e));
    m->count_.store(m->tenants_.size(), std::memory_order_relaxed);
  }
  if (ec) return Error::Make(ErrorCode::kInternal, "cannot list " + root + ": " + ec.message());
  return m;
}

TenantManager::~TenantManager() { StopAll(); }

Result<TenantInfo> TenantManager::Create(const std::string& name, const TenantSpec& spec) {
  if (auto s = ValidateTenantName(name); !s) return s.take_error();
  if (!spec.host_namespace.empty()) {
    if (auto errs = resource::validation::IsDns1123Label(spec.host_namespace); !errs.empty()) {
      return Error::Make(ErrorCode::kInvalid,
                         "spec.hostNamespace: Invalid value: \"" + spec.host_namespace + "\": " + errs[0]);
    }
  }
  auto e = std::make_shared<Entry>();
  e->info = TenantInfo{.name = name,
                       .uid = resource::NewUid(),
                       .created = FormatRfc3339(std::chrono::system_clock::now()),
                       .spec = spec};
  std::lock_guard start(e->start_mu);  // requests for it wait until it runs
  {
    std::unique_lock lock(mu_);
    if (tenants_.contains(name) || deleting_.contains(name)) {
      // A name being deleted stays taken until its data and host objects are gone (kube answers
      // 409 AlreadyExists too): a new tenant must not meet the old one's cleanup.
      Error err = Error::Make(
          ErrorCode::kAlreadyExists,
          "tenants.vkube.io \"" + name + (deleting_.contains(name) ? "\" is being deleted" : "\" already exists"));
      err.details.group = "vkube.io";
      err.details.kind = "tenants";
      err.details.name = name;
      return err;
    }
    tenants_.emplace(name, e);
    count_.store(tenants_.size(), std::memory_order_relaxed);
  }
  auto fail = [&](Error err) {
    std::unique_lock lock(mu_);
    tenants_.erase(name);
    count_.store(tenants_.size(), std::memory_order_relaxed);
    return err;
  };
  const std::string dir = DirOf(name);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // leftovers of a create that crashed before tenant.json
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error::Make(ErrorCode::kInternal, "cannot create " + dir + ": " + ec.message()));
  // Data a delete interrupted after tenant.json (crash, store error) left under this name belongs
  // to the old tenant, maybe another team's: a new tenant starts empty.
  if (auto s = platform_.database->DropPartition(name); !s) return fail(s.error());
  auto started = Tenant::Start(platform_, e->info);
  if (!started) return fail(started.error());
  // tenant.json last: its presence is what makes the tenant exist after a restart.
  const nlohmann::json record = TenantRecord(e->info);
  if (auto s = pki::WriteFileAtomic(dir + "/tenant.json", record.dump(2) + "\n", 0600); !s) {
    (*started)->Stop();
    return fail(s.error());
  }
  e->running = std::move(*started);
  e->info.running = true;
  VKUBE_LOG(kInfo) << "tenant " << name << " created";
  return e->info;
}

Status TenantManager::Delete(const std::string& name) {
  std::shared_ptr<Entry> e;
  {
    std::unique_lock lock(mu_);
    auto it = tenants_.find(name);
    if (it == tenants_.end()) return NotFound(name);
    e = it->second;
    tenants_.erase(it);  // from here on, requests for it are refused
    count_.store(tenants_.size(), std::memory_order_relaxed);
    deleting_.insert(name);
  }
  struct Release {
    TenantManager* m;
    const std::string& name;
    ~Release() {
      std::unique_lock lock(m->mu_);
      m->deleting_.erase(name);
    }
  } release{this, name};
  std::lock_guard start(e->start_mu);
  if (e->running) {
    e->running->Stop();
    e->running.reset();
  }
  const std::string dir = DirOf(name);
  std::error_code ec;
  // tenant.json first: a crash mid-delete leaves no half tenant that would come back.
  std::filesystem::remove(dir + "/tenant.json", ec);
  if (auto s = platform_.database->DropPartition(name); !s) return s;
  std::filesystem::remove_all(dir, ec);
  if (platform_.metrics) platform_.metrics->Forget(name);
  if (platform_.on_tenant_deleted) {
    if (auto s = platform_.on_tenant_deleted(e->info); !s) {
      VKUBE_LOG(kError) << "tenant " << name << ": removing its host objects: " << s.error().message;
    }
  }
  VKUBE_LOG(kInfo) << "tenant " << name << " deleted";
  return {};
}

std::size_t TenantManager::Count() const { return count_.load(std::memory_order_relaxed); }

std::vector<TenantInfo> TenantManager::List() const {
  std::shared_lock lock(mu_);
  std::vector<TenantInfo> out;
  out.reserve(tenants_.size());
  for (const auto& [_, e] : tenants_) {
    out.push_back(e->info);
    if (e->start_mu.try_lock()) {  // a tenant being started is reported as not running yet
      out.back().running = e->running != nullptr;
      e->start_mu.unlock();
    }
  }
  return out;
}

std::optional<TenantInfo> TenantManager::Find(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = tenants_.find(name);
  if (it == tenants_.end()) return std::nullopt;
  return it->second->info;
}

Result<std::shared_ptr<Tenant>> TenantManager::Acquire(const std::string& name) {
  std::shared_ptr<Entry> e;
  {
    std::shared_lock lock(mu_);
    auto it = tenants_.find(name);
    if (it == tenants_.end()) return NotFound(name);
    e = it->second;
  }
  std::lock_guard start(e->start_mu);
  if (e->running) return e->running;
  {
    std::shared_lock lock(mu_);
    if (!tenants_.contains(name)) return NotFound(name);  // deleted while we waited
  }
  auto started = Tenant::Start(platform_, e->info);
  if (!started) {
    VKUBE_LOG(kError) << "tenant " << name << " failed to start: " << started.error().message;
    return started.take_error();
  }
  e->running = *started;
  return e->running;
}

std::shared_ptr<Tenant> TenantManager::Running(const std::string& name) const {
  std::shared_ptr<Entry> e;
  {
    std::shared_lock lock(mu_);
    auto it = tenants_.find(name);
    if (it == tenants_.end()) return nullptr;
    e = it->second;
  }
  if (!e->start_mu.try_lock()) return nullptr;
  std::shared_ptr<Tenant> t = e->running;
  e->start_mu.unlock();
  return t;
}

void TenantManager::StopAll() {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [_, e] : tenants_) all.push_back(e);
  }
  for (auto& e : all) {
    std::lock_guard start(e->start_mu);
    if (e->running) e->running->Stop();
  }
}

}  // namespace vkube::tenancy
