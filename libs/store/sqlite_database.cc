#include "libs/store/sqlite_database.h"

#include <sqlite3.h>

#include <map>

#include "libs/core/log.h"
#include "libs/store/sqlite_store.h"

namespace vkube::store {
namespace {

std::string EncodeAttrs(const Attrs& a) {
  nlohmann::json j = {{"l", a.labels}, {"f", a.fields}};
  return j.dump();
}

Attrs DecodeAttrs(std::string_view text) {
  Attrs a;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return a;
  for (const auto& p : j.value("l", nlohmann::json::array())) a.labels.emplace_back(p[0], p[1]);
  for (const auto& p : j.value("f", nlohmann::json::array())) a.fields.emplace_back(p[0], p[1]);
  return a;
}

std::string Column(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : std::string();
}

void Bind(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return Error::Make(ErrorCode::kInternal, "sqlite " + std::string(what) + ": " + msg);
}

// Prepared statement freed on scope exit.
struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &st, nullptr); }
  ~Stmt() { sqlite3_finalize(st); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};

// Session-1 files had one store per file (no partition column): their rows become partition
// "default", the name single-tenant vkube has always used.
constexpr const char* kMigrateV1 =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE objects RENAME TO objects_v1;"
    "CREATE TABLE objects (part TEXT NOT NULL, resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
    " revision INTEGER NOT NULL, create_revision INTEGER NOT NULL, json TEXT NOT NULL, attrs TEXT NOT NULL,"
    " PRIMARY KEY (part, resource, ns, name)) WITHOUT ROWID;"
    "INSERT INTO objects SELECT 'default', * FROM objects_v1;"
    "DROP TABLE objects_v1;"
    "CREATE TABLE IF NOT EXISTS revisions (part TEXT PRIMARY KEY, revision INTEGER NOT NULL);"
    "INSERT OR REPLACE INTO revisions SELECT 'default', v FROM meta WHERE k='revision';"
    "DROP TABLE meta;"
    "COMMIT;";

}  // namespace

Result<std::shared_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteDatabaseOptions& options) {
  std::shared_ptr<SqliteDatabase> db(new SqliteDatabase(options));
  if (auto s = db->Init(); !s) return s.take_error();
  db->committer_ = std::thread([d = db.get()] { d->CommitLoop(); });
  return db;
}

Status SqliteDatabase::Init() {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options_.path.c_str(), &db_, flags, nullptr) != SQLITE_OK ||
      sqlite3_open_v2(options_.path.c_str(), &reader_, flags, nullptr) != SQLITE_OK) {
    return Error::Make(ErrorCode::kInternal, "sqlite: cannot open " + options_.path);
  }
  // busy_timeout first: a previous process or database object closing the same file checkpoints
  // under an exclusive lock, and switching to WAL without a busy handler fails at once ("database
  // is locked"). WAL + synchronous=FULL: a COMMIT returns only after the WAL is fsync'd. Reads are
  // served from memory; SQLite's page cache only helps writes and loads, so keep it small.
  const char* pragmas = "PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        "PRAGMA cache_size=-256;";
  if (auto s = Exec(db_, pragmas, "pragmas"); !s) return s;
  if (auto s = Exec(reader_, "PRAGMA busy_timeout=5000; PRAGMA cache_size=-128;", "pragmas"); !s) return s;
  bool legacy = false;
  {
    Stmt st(db_, "SELECT 1 FROM pragma_table_info('objects') WHERE name='resource'");
    Stmt part(db_, "SELECT 1 FROM pragma_table_info('objects') WHERE name='part'");
    legacy = sqlite3_step(st.st) == SQLITE_ROW && sqlite3_step(part.st) != SQLITE_ROW;
  }
  if (legacy) {
    if (auto s = Exec(db_, kMigrateV1, "migrate"); !s) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    VKUBE_LOG(kInfo) << "store: migrated " << options_.path << " to partitioned schema";
  }
  return Exec(db_,
              "CREATE TABLE IF NOT EXISTS objects (part TEXT NOT NULL, resource TEXT NOT NULL, ns TEXT NOT NULL,"
              " name TEXT NOT NULL, revision INTEGER NOT NULL, create_revision INTEGER NOT NULL, json TEXT NOT NULL,"
              " attrs TEXT NOT NULL, PRIMARY KEY (part, resource, ns, name)) WITHOUT ROWID;"
              "CREATE TABLE IF NOT EXISTS revisions (part TEXT PRIMARY KEY, revision INTEGER NOT NULL);",
              "schema");
}

SqliteDatabase::~SqliteDatabase() {
  Close();
  if (reader_ != nullptr) sqlite3_close(reader_);
  if (db_ != nullptr) sqlite3_close(db_);
}

void SqliteDatabase::Close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (committer_.joinable() && committer_.get_id() != std::this_thread::get_id()) committer_.join();
}

bool SqliteDatabase::failed() {
  std::lock_guard lock(mu_);
  return failed_;
}

Result<std::unique_ptr<SqliteStore>> SqliteDatabase::OpenPartition(const std::string& name,
                                                                   std::size_t history_size) {
  {
    std::lock_guard lock(mu_);
    if (closing_ || failed_) return Error::Make(ErrorCode::kServiceUnavailable, "store is closed");
    if (!open_.insert(name).second) {
      return Error::Make(ErrorCode::kAlreadyExists, "store partition \"" + name + "\" is already open");
    }
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(shared_from_this(), name, history_size));
  std::lock_guard lock(reader_mu_);
  Revision revision = 0;
  {
    Stmt st(reader_, "SELECT revision FROM revisions WHERE part=?");
    Bind(st.st, 1, name);
    if (sqlite3_step(st.st) == SQLITE_ROW) revision = static_cast<Revision>(sqlite3_column_int64(st.st, 0));
  }
  Stmt st(reader_,
          "SELECT resource, ns, name, revision, create_revision, json, attrs FROM objects WHERE part=?");
  Bind(st.st, 1, name);
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    auto obj = std::make_shared<Object>();
    obj->key = Key{Column(st.st, 0), Column(st.st, 1), Column(st.st, 2)};
    obj->revision = static_cast<Revision>(sqlite3_column_int64(st.st, 3));
    obj->create_revision = static_cast<Revision>(sqlite3_column_int64(st.st, 4));
    obj->json = Column(st.st, 5);
    obj->attrs = DecodeAttrs(Column(st.st, 6));
    revision = std::max(revision, obj->revision);
    store->Load(std::move(obj));
  }
  if (rc != SQLITE_DONE) {
    return Error::Make(ErrorCode::kInternal, std::string("sqlite load: ") + sqlite3_errmsg(reader_));
  }
  store->FinishLoad(revision);
  return store;
}

Result<std::unique_ptr<PartitionStore>> SqliteDatabase::DoOpenPartition(const std::string& name) {
  auto store = OpenPartition(name);
  if (!store) return store.take_error();
  return std::unique_ptr<PartitionStore>(std::move(*store));
}

Status SqliteDatabase::DropPartition(const std::string& name) {
  auto drop = std::make_shared<PendingWrite>();
  drop->drop = name;
  std::future<Status> done = drop->done.get_future();
  {
    std::lock_guard lock(mu_);
    if (open_.contains(name)) {
      return Error::Make(ErrorCode::kConflict, "store partition \"" + name + "\" is open");
    }
  }
  if (auto s = Enqueue(std::move(drop)); !s) return s;
  return done.get();
}

Result<std::vector<std::string>> SqliteDatabase::Partitions() {
  std::lock_guard lock(reader_mu_);
  Stmt st(reader_, "SELECT part FROM revisions UNION SELECT DISTINCT part FROM objects ORDER BY 1");
  std::vector<std::string> out;
  while (sqlite3_step(st.st) == SQLITE_ROW) out.push_back(Column(st.st, 0));
  return out;
}

Status SqliteDatabase::Enqueue(std::shared_ptr<PendingWrite> write) {
  {
    std::lock_guard lock(mu_);
    if (closing_ || failed_) return Error::Make(ErrorCode::kServiceUnavailable, "store is not accepting writes");
    queue_.push_back(std::move(write));
  }
  cv_.notify_one();
  return {};
}

void SqliteDatabase::Release(const std::string& partition) {
  std::lock_guard lock(mu_);
  open_.erase(partition);
}

void SqliteDatabase::CommitLoop() {
  for (;;) {
    std::vector<std::shared_ptr<PendingWrite>> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing and drained
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    // Per partition, in queue (= revision) order.
    std::map<SqliteStore*, std::vector<const PendingWrite*>> by_partition;
    for (const auto& w : batch) {
      if (w->partition != nullptr) by_partition[w->partition].push_back(w.get());
    }
    Status st = CommitBatch(batch);
    if (!st) {
      VKUBE_LOG(kError) << "store commit failed, store is now read-only: " << st.error().message;
      {
        std::lock_guard lock(mu_);
        failed_ = true;
      }
      for (auto& [p, writes] : by_partition) p->Finished(writes.size());
      for (auto& w : batch) w->done.set_value(st);
      continue;
    }
    for (auto& [p, writes] : by_partition) p->Apply(writes);
    for (auto& w : batch) w->done.set_value(Status());
  }
}

Status SqliteDatabase::CommitBatch(const std::vector<std::shared_ptr<PendingWrite>>& batch) {
  auto fail = [&](const char* what) {
    std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Error::Make(ErrorCode::kInternal, "sqlite " + msg);
  };
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  bool ok = true;
  {
    Stmt put(db_, "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?,?)");
    Stmt del(db_, "DELETE FROM objects WHERE part=? AND resource=? AND ns=? AND name=?");
    Stmt rev(db_, "INSERT OR REPLACE INTO revisions VALUES (?,?)");
    Stmt drop_objects(db_, "DELETE FROM objects WHERE part=?");
    Stmt drop_revision(db_, "DELETE FROM revisions WHERE part=?");
    std::map<const std::string*, Revision> revisions;  // partition name → newest revision
    for (const auto& w : batch) {
      if (w->partition == nullptr) {
        for (sqlite3_stmt* st : {drop_objects.st, drop_revision.st}) {
          sqlite3_reset(st);
          Bind(st, 1, w->drop);
          ok = ok && sqlite3_step(st) == SQLITE_DONE;
        }
        continue;
      }
      const Object& o = *w->object;
      sqlite3_stmt* st = w->type == EventType::kDeleted ? del.st : put.st;
      sqlite3_reset(st);
      Bind(st, 1, w->partition->partition());
      Bind(st, 2, o.key.resource);
      Bind(st, 3, o.key.ns);
      Bind(st, 4, o.key.name);
      std::string attrs;
      if (st == put.st) {
        attrs = EncodeAttrs(o.attrs);
        sqlite3_bind_int64(st, 5, static_cast<sqlite3_int64>(o.revision));
        sqlite3_bind_int64(st, 6, static_cast<sqlite3_int64>(o.create_revision));
        Bind(st, 7, o.json);
        Bind(st, 8, attrs);
      }
      ok = ok && sqlite3_step(st) == SQLITE_DONE;
      revisions[&w->partition->partition()] = o.revision;
      if (!ok) break;
    }
    for (const auto& [name, r] : revisions) {
      if (!ok) break;
      sqlite3_reset(rev.st);
      Bind(rev.st, 1, *name);
      sqlite3_bind_int64(rev.st, 2, static_cast<sqlite3_int64>(r));
      ok = sqlite3_step(rev.st) == SQLITE_DONE;
    }
  }
  if (!ok) return fail("write");
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  return {};
}

}  // namespace vkube::store
