#include "libs/store/sqlite_store.h"

#include <sqlite3.h>

#include <future>

#include "libs/core/log.h"
#include "libs/store/watch_hub.h"

namespace vkube::store {
namespace {

// '\0' separates namespace and name so that ordering is by (namespace, name).
std::string CollectionKey(std::string_view ns, std::string_view name) {
  std::string k;
  k.reserve(ns.size() + name.size() + 1);
  k.append(ns).push_back('\0');
  k.append(name);
  return k;
}

Error KeyError(ErrorCode code, const Key& key, std::string what) {
  Error e = Error::Make(code, std::move(what));
  auto slash = key.resource.find('/');
  e.details.group = slash == std::string::npos ? "" : key.resource.substr(0, slash);
  e.details.kind = slash == std::string::npos ? key.resource : key.resource.substr(slash + 1);
  e.details.name = key.name;
  return e;
}

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

}  // namespace

std::string FullKey(const Key& key) {
  std::string k = key.resource;
  k.push_back('\0');
  k += CollectionKey(key.ns, key.name);
  return k;
}

struct SqliteStore::PendingWrite {
  EventType type;
  ObjectPtr object;
  ObjectPtr prev;
  std::promise<Status> done;
};

SqliteStore::SqliteStore(SqliteStoreOptions options)
    : options_(std::move(options)), hub_(std::make_shared<WatchHub>(options_.history_size)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(options));
  if (auto s = store->Init(); !s) return s.take_error();
  store->committer_ = std::thread([s = store.get()] { s->CommitLoop(); });
  return store;
}

Status SqliteStore::Init() {
  if (sqlite3_open_v2(options_.path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Error::Make(ErrorCode::kInternal, "sqlite: cannot open " + options_.path);
  }
  // WAL + synchronous=FULL: a COMMIT returns only after the WAL is fsync'd.
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=FULL;"
      // Reads are served from memory; SQLite's page cache only helps writes, so keep it small.
      "PRAGMA cache_size=-256;"
      "CREATE TABLE IF NOT EXISTS objects (resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
      " revision INTEGER NOT NULL, create_revision INTEGER NOT NULL, json TEXT NOT NULL, attrs TEXT NOT NULL,"
      " PRIMARY KEY (resource, ns, name)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
      "INSERT OR IGNORE INTO meta VALUES ('revision', 0);";
  char* err = nullptr;
  if (sqlite3_exec(db_, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    return Error::Make(ErrorCode::kInternal, "sqlite schema: " + msg);
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, "SELECT v FROM meta WHERE k='revision'", -1, &st, nullptr);
  if (sqlite3_step(st) == SQLITE_ROW) committed_revision_ = static_cast<Revision>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_prepare_v2(db_, "SELECT resource, ns, name, revision, create_revision, json, attrs FROM objects", -1, &st,
                     nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto obj = std::make_shared<Object>();
    obj->key = Key{Column(st, 0), Column(st, 1), Column(st, 2)};
    obj->revision = static_cast<Revision>(sqlite3_column_int64(st, 3));
    obj->create_revision = static_cast<Revision>(sqlite3_column_int64(st, 4));
    obj->json = Column(st, 5);
    obj->attrs = DecodeAttrs(Column(st, 6));
    committed_[obj->key.resource][CollectionKey(obj->key.ns, obj->key.name)] = obj;
    latest_[FullKey(obj->key)] = obj;
    if (obj->revision > committed_revision_) committed_revision_ = obj->revision;
  }
  sqlite3_finalize(st);
  next_revision_ = committed_revision_;
  hub_->Publish({}, committed_revision_);
  return {};
}

SqliteStore::~SqliteStore() {
  Close();
  if (db_ != nullptr) sqlite3_close(db_);
}

void SqliteStore::Close() {
  {
    std::lock_guard lock(write_mu_);
    if (closing_ && !committer_.joinable()) return;
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  hub_->CloseAll();
}

Result<ObjectPtr> SqliteStore::Get(const Key& key) {
  std::shared_lock lock(read_mu_);
  auto c = committed_.find(key.resource);
  if (c != committed_.end()) {
    auto it = c->second.find(CollectionKey(key.ns, key.name));
    if (it != c->second.end()) return it->second;
  }
  return KeyError(ErrorCode::kNotFound, key, "not found");
}

Result<ListResult> SqliteStore::List(const ListOptions& opts) {
  ListResult out;
  std::shared_lock lock(read_mu_);
  out.revision = committed_revision_;
  // Serving "not older than" at_revision: the in-memory state is always the newest.
  auto c = committed_.find(opts.resource);
  if (c == committed_.end()) return out;
  const Collection& coll = c->second;
  std::string prefix = opts.ns ? CollectionKey(*opts.ns, "") : std::string();
  auto it = opts.continue_after.empty() ? coll.lower_bound(prefix) : coll.upper_bound(opts.continue_after);
  for (; it != coll.end(); ++it) {
    if (opts.ns && it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (opts.predicate && !opts.predicate(*it->second)) continue;
    if (opts.limit != 0 && out.items.size() == opts.limit) {
      ++out.remaining;
      continue;
    }
    out.items.push_back(it->second);
  }
  if (out.remaining > 0) out.continue_after = CollectionKey(out.items.back()->key.ns, out.items.back()->key.name);
  return out;
}

Result<ObjectPtr> SqliteStore::Create(const Key& key, nlohmann::json obj, Attrs attrs) {
  return Write(EventType::kAdded, key, 0, &obj, std::move(attrs));
}

Result<ObjectPtr> SqliteStore::Update(const Key& key, Revision expected, nlohmann::json obj, Attrs attrs) {
  return Write(EventType::kModified, key, expected, &obj, std::move(attrs));
}

Result<ObjectPtr> SqliteStore::Delete(const Key& key, Revision expected) {
  return Write(EventType::kDeleted, key, expected, nullptr, {});
}

Result<ObjectPtr> SqliteStore::Write(EventType type, const Key& key, Revision expected, nlohmann::json* obj,
                                     Attrs attrs) {
  auto pending = std::make_shared<PendingWrite>();
  std::future<Status> done = pending->done.get_future();
  {
    std::lock_guard lock(write_mu_);
    if (closing_ || failed_) return Error::Make(ErrorCode::kServiceUnavailable, "store is not accepting writes");
    const std::string full = FullKey(key);
    auto it = latest_.find(full);
    ObjectPtr cur = it == latest_.end() ? nullptr : it->second;
    if (type == EventType::kAdded && cur) return KeyError(ErrorCode::kAlreadyExists, key, "already exists");
    if (type != EventType::kAdded && !cur) return KeyError(ErrorCode::kNotFound, key, "not found");
    if (type != EventType::kAdded && expected != 0 && expected != cur->revision) {
      return KeyError(ErrorCode::kConflict, key, "the object has been modified");
    }
    const Revision rev = next_revision_ + 1;
    auto o = std::make_shared<Object>();
    o->key = key;
    o->revision = rev;
    o->create_revision = cur ? cur->create_revision : rev;
    if (type == EventType::kDeleted) {
      // DELETED carries the last state stamped with the delete's revision (kube semantics).
      auto last = nlohmann::json::parse(cur->json, nullptr, false);
      if (!last.is_object()) return KeyError(ErrorCode::kInternal, key, "stored object is corrupt");
      last["metadata"]["resourceVersion"] = std::to_string(rev);
      o->json = last.dump();
      o->attrs = cur->attrs;
    } else {
      if (!obj->is_object()) return KeyError(ErrorCode::kBadRequest, key, "object must be a JSON object");
      (*obj)["metadata"]["resourceVersion"] = std::to_string(rev);
      o->json = obj->dump();
      o->attrs = std::move(attrs);
    }
    next_revision_ = rev;
    if (type == EventType::kDeleted) {
      latest_.erase(full);
    } else {
      latest_[full] = o;
    }
    pending->type = type;
    pending->object = o;
    pending->prev = cur;
    queue_.push_back(pending);
  }
  queue_cv_.notify_one();
  Status st = done.get();  // durable (or failed) when this returns
  if (!st) return st.take_error();
  return pending->object;
}

void SqliteStore::CommitLoop() {
  for (;;) {
    std::vector<std::shared_ptr<PendingWrite>> batch;
    {
      std::unique_lock lock(write_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing and drained
      std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    Status st = CommitBatch(batch);
    if (!st) {
      VKUBE_LOG(kError) << "store commit failed, store is now read-only: " << st.error().message;
      {
        std::lock_guard lock(write_mu_);
        failed_ = true;
      }
      for (auto& p : batch) p->done.set_value(st);
      continue;
    }
    std::vector<Event> events;
    events.reserve(batch.size());
    {
      std::unique_lock lock(read_mu_);
      for (auto& p : batch) {
        auto& coll = committed_[p->object->key.resource];
        auto ck = CollectionKey(p->object->key.ns, p->object->key.name);
        if (p->type == EventType::kDeleted) {
          coll.erase(ck);
        } else {
          coll[ck] = p->object;
        }
        events.push_back(Event{p->type, p->object, p->prev});
      }
      committed_revision_ = batch.back()->object->revision;
    }
    hub_->Publish(events, batch.back()->object->revision);
    for (auto& p : batch) p->done.set_value(Status());
  }
}

Status SqliteStore::CommitBatch(std::vector<std::shared_ptr<PendingWrite>>& batch) {
  auto fail = [&](const char* what) {
    std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Error::Make(ErrorCode::kInternal, "sqlite " + msg);
  };
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("begin");
  sqlite3_stmt* put = nullptr;
  sqlite3_stmt* del = nullptr;
  sqlite3_stmt* meta = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO objects VALUES (?,?,?,?,?,?,?)", -1, &put, nullptr);
  sqlite3_prepare_v2(db_, "DELETE FROM objects WHERE resource=? AND ns=? AND name=?", -1, &del, nullptr);
  sqlite3_prepare_v2(db_, "UPDATE meta SET v=? WHERE k='revision'", -1, &meta, nullptr);
  bool ok = true;
  for (auto& p : batch) {
    const Object& o = *p->object;
    sqlite3_stmt* st = p->type == EventType::kDeleted ? del : put;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, o.key.resource.data(), static_cast<int>(o.key.resource.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o.key.ns.data(), static_cast<int>(o.key.ns.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o.key.name.data(), static_cast<int>(o.key.name.size()), SQLITE_STATIC);
    std::string attrs;
    if (st == put) {
      attrs = EncodeAttrs(o.attrs);
      sqlite3_bind_int64(st, 4, static_cast<sqlite3_int64>(o.revision));
      sqlite3_bind_int64(st, 5, static_cast<sqlite3_int64>(o.create_revision));
      sqlite3_bind_text(st, 6, o.json.data(), static_cast<int>(o.json.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 7, attrs.data(), static_cast<int>(attrs.size()), SQLITE_STATIC);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
      ok = false;
      break;
    }
  }
  if (ok) {
    sqlite3_bind_int64(meta, 1, static_cast<sqlite3_int64>(batch.back()->object->revision));
    ok = sqlite3_step(meta) == SQLITE_DONE;
  }
  sqlite3_finalize(put);
  sqlite3_finalize(del);
  sqlite3_finalize(meta);
  if (!ok) return fail("write");
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  return {};
}

Result<std::unique_ptr<Watcher>> SqliteStore::Watch(const WatchOptions& opts) {
  std::vector<ObjectPtr> initial;
  Revision snapshot = 0;
  {
    // Holding the read lock keeps the snapshot and the hub registration gap-free: the committer
    // publishes only after it has taken this lock exclusively.
    std::shared_lock lock(read_mu_);
    snapshot = committed_revision_;
    if (opts.send_initial) {
      const std::string prefix = opts.ns ? CollectionKey(*opts.ns, "") : std::string();
      auto add_from = [&](const Collection& coll) {
        for (auto it = coll.lower_bound(prefix); it != coll.end(); ++it) {
          if (opts.ns && it->first.compare(0, prefix.size(), prefix) != 0) break;
          if (!opts.predicate || opts.predicate(*it->second)) initial.push_back(it->second);
        }
      };
      if (opts.resource.empty()) {
        for (const auto& [_, coll] : committed_) add_from(coll);
      } else if (auto c = committed_.find(opts.resource); c != committed_.end()) {
        add_from(c->second);
      }
    }
    auto w = hub_->Register(opts, std::move(initial), snapshot);
    if (!w) return w.take_error();
    return std::unique_ptr<Watcher>(new WatcherHandle(std::move(*w)));
  }
}

Revision SqliteStore::CurrentRevision() {
  std::shared_lock lock(read_mu_);
  return committed_revision_;
}

Revision SqliteStore::CompactedRevision() { return hub_->oldest_revision(); }

std::size_t SqliteStore::ObjectCount() {
  std::shared_lock lock(read_mu_);
  std::size_t n = 0;
  for (const auto& [_, c] : committed_) n += c.size();
  return n;
}

std::size_t SqliteStore::ApproxMemoryBytes() {
  std::shared_lock lock(read_mu_);
  std::size_t n = 0;
  for (const auto& [_, c] : committed_) {
    for (const auto& [k, o] : c) n += o->json.capacity() + k.capacity() + sizeof(Object) + 96;
  }
  return n;
}

}  // namespace vkube::store
