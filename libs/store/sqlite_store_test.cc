#include "libs/store/sqlite_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "libs/store/store_conformance.h"

namespace vkube::store {
namespace {

std::unique_ptr<Store> OpenSqlite(const std::string& dir, std::size_t history) {
  auto s = SqliteStore::Open(SqliteStoreOptions{dir + "/store.db", history});
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(StoreFactory{"sqlite", OpenSqlite}),
                         [](const auto& p) { return p.param.name; });

// kill -9 while writing: every write acknowledged to the parent must survive.
TEST(SqliteStore, KillNineLosesNoAcknowledgedWrite) {
  char tmpl[] = "/tmp/vkube-crash-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto s = SqliteStore::Open(SqliteStoreOptions{dir + "/store.db"});
    for (int i = 0;; ++i) {
      nlohmann::json o = {{"metadata", {{"name", "o" + std::to_string(i)}}}};
      if (!(*s)->Create(Key{"configmaps", "d", "o" + std::to_string(i)}, o, {}).ok()) _exit(1);
      int v = i;
      if (write(fds[1], &v, sizeof v) != sizeof v) _exit(1);
    }
  }
  close(fds[1]);
  int last = -1, v = 0;
  while (last < 200 && read(fds[0], &v, sizeof v) == sizeof v) last = v;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  while (read(fds[0], &v, sizeof v) == sizeof v) last = v;  // acks sent before the kill
  close(fds[0]);
  auto s = SqliteStore::Open(SqliteStoreOptions{dir + "/store.db"});
  ASSERT_TRUE(s.ok());
  for (int i = 0; i <= last; ++i) {
    EXPECT_TRUE((*s)->Get(Key{"configmaps", "d", "o" + std::to_string(i)}).ok()) << i;
  }
  EXPECT_GE((*s)->CurrentRevision(), static_cast<Revision>(last + 1));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vkube::store
