#pragma once
// Test-only: a TenantManager over real pieces (a database file and instance credentials in `dir`,
// the built-in kinds) for tenancy tests. The pools must outlive the manager.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "libs/store/sqlite_database.h"
#include "tenancy/tenant_manager.h"

namespace vkube::tenancy::testing {

inline std::unique_ptr<TenantManager> OpenTestTenants(const std::string& dir, boost::asio::thread_pool& blocking,
                                                      boost::asio::thread_pool& controllers,
                                                      const std::string& base_domain = "",
                                                      const std::string& default_tenant = "",
                                                      const std::function<void(Platform&)>& customize = nullptr) {
  auto db = store::SqliteDatabase::Open({dir + "/store.db"});
  EXPECT_TRUE(db.ok()) << db.error().message;
  auto instance = pki::LoadOrCreate(dir, {});
  EXPECT_TRUE(instance.ok()) << instance.error().message;
  if (!db || !instance) return nullptr;
  Platform p;
  p.data_dir = dir;
  p.base_domain = base_domain;
  p.default_tenant = default_tenant;
  p.instance = *instance;
  p.database = *db;
  p.registry = resource::Registry::BuiltIn();
  p.blocking = &blocking;
  p.controller_executor = controllers.get_executor();
  if (customize) customize(p);
  auto m = TenantManager::Open(std::move(p));
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m ? std::move(*m) : nullptr;
}

}  // namespace vkube::tenancy::testing
