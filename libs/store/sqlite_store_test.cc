#include "libs/store/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "libs/store/store_conformance.h"

namespace vkube::store {
namespace {

std::unique_ptr<Store> OpenSqlite(const std::string& dir, std::size_t history) {
  auto s = SqliteStore::Open(SqliteStoreOptions{dir + "/store.db", history});
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

// A partition of a database shared with another tenant's partition that holds data of its own:
// nothing of the sibling may show through (revisions, lists, watches).
std::unique_ptr<Store> OpenPartition(const std::string& dir, std::size_t history) {
  auto db = SqliteDatabase::Open({dir + "/shared.db"});
  EXPECT_TRUE(db.ok());
  {
    auto sibling = (*db)->OpenPartition("sibling");
    EXPECT_TRUE(sibling.ok());
    for (int i = 0; i < 3; ++i) {
      nlohmann::json o = {{"metadata", {{"name", "noise" + std::to_string(i)}}}};
      (void)(*sibling)->Create(Key{"configmaps", "default", "noise" + std::to_string(i)}, o, {});
    }
  }
  auto s = (*db)->OpenPartition("tenant", history);
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreFactory{"sqlite", OpenSqlite}, StoreFactory{"partition", OpenPartition}),
                         [](const auto& p) { return p.param.name; });

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-db-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static nlohmann::json Named(const std::string& name) { return {{"metadata", {{"name", name}}}}; }
  std::string dir_;
};

TEST_F(SqliteDatabaseTest, PartitionsHaveOwnRevisionsAndDataAndSurviveReopen) {
  {
    auto db = SqliteDatabase::Open({dir_ + "/s.db"});
    ASSERT_TRUE(db.ok());
    auto a = (*db)->OpenPartition("a");
    auto b = (*db)->OpenPartition("b");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ((*db)->OpenPartition("a").error().code, ErrorCode::kAlreadyExists);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*a)->Create(Key{"pods", "ns", "p" + std::to_string(i)}, Named("p"), {}).ok());
    auto w = (*b)->Watch(WatchOptions{});
    ASSERT_TRUE(w.ok());
    auto made = (*b)->Create(Key{"pods", "ns", "only-b"}, Named("only-b"), {});
    ASSERT_TRUE(made.ok());
    EXPECT_EQ((*made)->revision, 1u);  // b's own sequence, untouched by a's five writes
    EXPECT_EQ((*a)->CurrentRevision(), 5u);
    EXPECT_EQ((*b)->List(ListOptions{.resource = "pods"})->items.size(), 1u);
    EXPECT_FALSE((*b)->Get(Key{"pods", "ns", "p0"}).ok());
    std::vector<Event> events;
    (*w)->Poll(events, 100);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].object->key.name, "only-b");
  }
  auto db = SqliteDatabase::Open({dir_ + "/s.db"});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->Partitions(), (std::vector<std::string>{"a", "b"}));
  auto a = (*db)->OpenPartition("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->CurrentRevision(), 5u);
  EXPECT_EQ((*a)->List(ListOptions{.resource = "pods"})->items.size(), 5u);
  // No event history survives a reopen: resuming a watch from before it would silently miss the
  // writes in between, so it is 410 Gone (the client lists again); from the load revision is fine.
  auto stale = (*a)->Watch(WatchOptions{.resource = "pods", .from_revision = 2});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kGone);
  EXPECT_EQ((*a)->CompactedRevision(), 5u);
  auto current = (*a)->Watch(WatchOptions{.resource = "pods", .from_revision = 5});
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*(*a)->Create(Key{"pods", "ns", "p9"}, Named("p9"), {}))->revision, 6u);
  std::vector<Event> events;
  (*current)->Poll(events, 100);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].object->key.name, "p9");
}

TEST_F(SqliteDatabaseTest, DropRemovesOnlyThatPartitionAndRefusesWhileOpen) {
  auto db = SqliteDatabase::Open({dir_ + "/s.db"});
  ASSERT_TRUE(db.ok());
  {
    auto a = (*db)->OpenPartition("a");
    auto b = (*db)->OpenPartition("b");
    ASSERT_TRUE((*a)->Create(Key{"pods", "ns", "x"}, Named("x"), {}).ok());
    ASSERT_TRUE((*b)->Create(Key{"pods", "ns", "y"}, Named("y"), {}).ok());
    EXPECT_EQ((*db)->DropPartition("a").error().code, ErrorCode::kConflict);
  }
  ASSERT_TRUE((*db)->DropPartition("a").ok());
  EXPECT_EQ(*(*db)->Partitions(), (std::vector<std::string>{"b"}));
  auto a = (*db)->OpenPartition("a");
  EXPECT_EQ((*a)->CurrentRevision(), 0u);
  EXPECT_TRUE((*a)->List(ListOptions{.resource = "pods"})->items.empty());
  auto b = (*db)->OpenPartition("b");
  EXPECT_TRUE((*b)->Get(Key{"pods", "ns", "y"}).ok());
}

// A database re-opened while the previous object is still closing (a restart in one process, or a
// new process while the old one exits) waits for the closer's checkpoint instead of failing with
// "database is locked".
TEST_F(SqliteDatabaseTest, OpensWhileThePreviousHandleCloses) {
  for (int i = 0; i < 60; ++i) {
    auto old = SqliteDatabase::Open({dir_ + "/s.db"});
    ASSERT_TRUE(old.ok()) << old.error().message;
    auto part = (*old)->OpenPartition("a");
    ASSERT_TRUE(part.ok());
    ASSERT_TRUE((*part)->Create(Key{"pods", "ns", "p" + std::to_string(i)}, Named("p"), {}).ok());
    part->reset();
    std::thread closer([db = std::move(*old)]() mutable { db.reset(); });
    auto reopened = SqliteDatabase::Open({dir_ + "/s.db"});
    closer.join();
    ASSERT_TRUE(reopened.ok()) << "round " << i << ": " << reopened.error().message;
  }
}

// Files written before partitions existed keep their data as partition "default".
TEST_F(SqliteDatabaseTest, MigratesSingleStoreFiles) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/old.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE objects (resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
                         " revision INTEGER NOT NULL, create_revision INTEGER NOT NULL, json TEXT NOT NULL,"
                         " attrs TEXT NOT NULL, PRIMARY KEY (resource, ns, name)) WITHOUT ROWID;"
                         "CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
                         "INSERT INTO meta VALUES ('revision', 7);"
                         "INSERT INTO objects VALUES ('configmaps','default','c',4,4,"
                         "'{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"4\"}}','{\"l\":[],\"f\":[]}');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto s = SqliteStore::Open({dir_ + "/old.db"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->CurrentRevision(), 7u);
  EXPECT_TRUE((*s)->Get(Key{"configmaps", "default", "c"}).ok());
  EXPECT_EQ((*(*s)->Create(Key{"configmaps", "default", "d"}, Named("d"), {}))->revision, 8u);
}

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
