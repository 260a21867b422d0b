#include "libs/store/sqlite_store.h"

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

}  // namespace

std::string FullKey(const Key& key) {
  std::string k = key.resource;
  k.push_back('\0');
  k += CollectionKey(key.ns, key.name);
  return k;
}

SqliteStore::SqliteStore(std::shared_ptr<SqliteDatabase> db, std::string partition, std::size_t history_size)
    : db_(std::move(db)), partition_(std::move(partition)), hub_(std::make_shared<WatchHub>(history_size)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  auto db = SqliteDatabase::Open(SqliteDatabaseOptions{options.path, options.max_batch});
  if (!db) return db.take_error();
  auto store = (*db)->OpenPartition(options.partition, options.history_size);
  if (!store) return store.take_error();
  (*store)->owns_db_ = true;
  return store;
}

void SqliteStore::Load(ObjectPtr obj) {
  latest_[FullKey(obj->key)] = obj;
  committed_[obj->key.resource][CollectionKey(obj->key.ns, obj->key.name)] = std::move(obj);
}

void SqliteStore::FinishLoad(Revision revision) {
  committed_revision_ = next_revision_ = revision;
  hub_->StartAt(committed_revision_);
}

SqliteStore::~SqliteStore() {
  Close();
  if (owns_db_) db_->Close();
}

void SqliteStore::Close() {
  {
    std::unique_lock lock(write_mu_);
    closing_ = true;
    drained_cv_.wait(lock, [&] { return in_flight_ == 0; });
    if (released_) return;
    released_ = true;
  }
  hub_->CloseAll();
  // Closed for writes: the partition may be dropped or reopened while this object still lives.
  db_->Release(partition_);
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
  auto pending = std::make_shared<SqliteDatabase::PendingWrite>();
  std::future<Status> done = pending->done.get_future();
  {
    std::lock_guard lock(write_mu_);
    if (closing_) return Error::Make(ErrorCode::kServiceUnavailable, "store is not accepting writes");
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
    pending->partition = this;
    pending->type = type;
    pending->object = o;
    pending->prev = cur;
    // Enqueued under write_mu_: the database commits this partition's writes in revision order.
    if (auto s = db_->Enqueue(pending); !s) return s.take_error();
    next_revision_ = rev;
    ++in_flight_;
    if (type == EventType::kDeleted) {
      latest_.erase(full);
    } else {
      latest_[full] = o;
    }
  }
  Status st = done.get();  // durable (or failed) when this returns
  if (!st) return st.take_error();
  return pending->object;
}

void SqliteStore::Apply(const std::vector<const SqliteDatabase::PendingWrite*>& writes) {
  std::vector<Event> events;
  events.reserve(writes.size());
  {
    std::unique_lock lock(read_mu_);
    for (const auto* w : writes) {
      auto& coll = committed_[w->object->key.resource];
      auto ck = CollectionKey(w->object->key.ns, w->object->key.name);
      if (w->type == EventType::kDeleted) {
        coll.erase(ck);
      } else {
        coll[ck] = w->object;
      }
      events.push_back(Event{w->type, w->object, w->prev});
    }
    committed_revision_ = writes.back()->object->revision;
  }
  hub_->Publish(events, writes.back()->object->revision);
  Finished(writes.size());
}

void SqliteStore::Finished(std::size_t n) {
  std::lock_guard lock(write_mu_);
  in_flight_ -= n;
  if (in_flight_ == 0) drained_cv_.notify_all();
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
