#include "libs/store/etcd_store.h"

#include <algorithm>

#include "libs/core/log.h"
#include "libs/store/watch_hub.h"

namespace vkube::store {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic = "vk1 ";
constexpr char kNameSeparator = '!';  // between namespace and name in a key

Error KeyError(ErrorCode code, const Key& key, std::string what) {
  Error e = Error::Make(code, std::move(what));
  auto slash = key.resource.find('/');
  e.details.group = slash == std::string::npos ? "" : key.resource.substr(0, slash);
  e.details.kind = slash == std::string::npos ? key.resource : key.resource.substr(slash + 1);
  e.details.name = key.name;
  return e;
}

std::string B64(std::string_view s) { return EtcdClient::Base64Encode(s); }

std::string EncodeAttrs(const Attrs& a) { return json{{"l", a.labels}, {"f", a.fields}}.dump(); }

Attrs DecodeAttrs(std::string_view text) {
  Attrs a;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return a;
  for (const auto& p : j.value("l", json::array())) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string()) a.labels.emplace_back(p[0], p[1]);
  }
  for (const auto& p : j.value("f", json::array())) {
    if (p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_string()) a.fields.emplace_back(p[0], p[1]);
  }
  return a;
}

// `obj` serialized byte for byte as obj.dump() would, except that metadata.resourceVersion is ""
// and *slot receives the offset between its quotes.
Result<std::string> SerializeWithRvSlot(json& obj, std::size_t* slot) {
  json& meta = obj["metadata"];
  if (!meta.is_object()) return Error::Make(ErrorCode::kBadRequest, "metadata must be a JSON object");
  meta["resourceVersion"] = "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : obj.items()) {
    if (!first) out += ',';
    first = false;
    out += json(k).dump();
    out += ':';
    if (k != "metadata") {
      out += v.dump();
      continue;
    }
    out += '{';
    bool first_meta = true;
    for (const auto& [mk, mv] : v.items()) {
      if (!first_meta) out += ',';
      first_meta = false;
      out += json(mk).dump();
      out += ':';
      if (mk == "resourceVersion") {
        out += '"';
        *slot = out.size();
        out += '"';
      } else {
        out += mv.dump();
      }
    }
    out += '}';
  }
  out += '}';
  return out;
}

std::string Splice(std::string_view object, std::size_t slot, Revision rev) {
  const std::string digits = std::to_string(rev);
  std::string out;
  out.reserve(object.size() + digits.size());
  out.append(object.substr(0, slot)).append(digits).append(object.substr(slot));
  return out;
}

std::string Envelope(std::size_t slot, const std::string& attrs, const std::string& object) {
  std::string v;
  v.reserve(kMagic.size() + 12 + attrs.size() + object.size());
  v.append(kMagic).append(std::to_string(slot)).append(" ").append(attrs).append("\n").append(object);
  return v;
}

struct Decoded {
  std::string_view object;  // with resourceVersion ""
  std::size_t slot = 0;
  Attrs attrs;
};

Result<Decoded> DecodeEnvelope(std::string_view value) {
  auto corrupt = [] { return Error::Make(ErrorCode::kInternal, "stored value is not a vkube object envelope"); };
  if (value.substr(0, kMagic.size()) != kMagic) return corrupt();
  std::size_t i = kMagic.size(), slot = 0;
  const std::size_t digits_start = i;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9' && i - digits_start < 12) {
    slot = slot * 10 + static_cast<std::size_t>(value[i] - '0');
    ++i;
  }
  if (i == digits_start || i >= value.size() || value[i] != ' ') return corrupt();
  const std::size_t nl = value.find('\n', i + 1);
  if (nl == std::string_view::npos) return corrupt();
  Decoded d;
  d.attrs = DecodeAttrs(value.substr(i + 1, nl - i - 1));
  d.object = value.substr(nl + 1);
  if (slot == 0 || slot >= d.object.size() || d.object[slot - 1] != '"' || d.object[slot] != '"') return corrupt();
  d.slot = slot;
  return d;
}

// PREFIX RESOURCE "/" NS "!" NAME → Key (resource may itself contain '/': "apps/deployments").
Result<Key> ParseEtcdKey(std::string_view prefix, std::string_view k) {
  auto bad = [&] { return Error::Make(ErrorCode::kInternal, "unexpected etcd key under " + std::string(prefix)); };
  if (k.substr(0, prefix.size()) != prefix) return bad();
  k.remove_prefix(prefix.size());
  const auto slash = k.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return bad();
  std::string_view tail = k.substr(slash + 1);
  const auto sep = tail.find(kNameSeparator);
  if (sep == std::string_view::npos || sep + 1 == tail.size()) return bad();
  return Key{std::string(k.substr(0, slash)), std::string(tail.substr(0, sep)), std::string(tail.substr(sep + 1))};
}

// A gateway KeyValue → Object. `stamp` != 0 replaces the revision (a DELETE's last state).
Result<ObjectPtr> DecodeKv(const std::string& prefix, const json& kv, Revision stamp) {
  auto key_bytes = EtcdClient::Base64Decode(kv.value("key", ""));
  if (!key_bytes) return key_bytes.take_error();
  auto key = ParseEtcdKey(prefix, *key_bytes);
  if (!key) return key.take_error();
  auto value = EtcdClient::Base64Decode(kv.value("value", ""));
  if (!value) return value.take_error();
  auto d = DecodeEnvelope(*value);
  if (!d) return KeyError(ErrorCode::kInternal, *key, d.error().message);
  auto o = std::make_shared<Object>();
  o->key = std::move(*key);
  o->revision = stamp != 0 ? stamp : static_cast<Revision>(EtcdClient::Int(kv, "mod_revision"));
  o->create_revision = static_cast<Revision>(EtcdClient::Int(kv, "create_revision"));
  o->json = Splice(d->object, d->slot, o->revision);
  o->attrs = std::move(d->attrs);
  return ObjectPtr(std::move(o));
}

const json& Field(const json& j, std::string_view name) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(name);
  return it == j.end() ? kNull : *it;
}

Revision HeaderRevision(const json& answer) {
  return static_cast<Revision>(EtcdClient::Int(Field(answer, "header"), "revision"));
}

}  // namespace

std::string EtcdStore::EtcdKey(const std::string& prefix, const Key& key) {
  std::string k;
  k.reserve(prefix.size() + key.resource.size() + key.ns.size() + key.name.size() + 2);
  k.append(prefix).append(key.resource).append("/").append(key.ns);
  k.push_back(kNameSeparator);
  k.append(key.name);
  return k;
}

EtcdStore::EtcdStore(std::shared_ptr<EtcdClient> client, EtcdStoreOptions options, std::function<void()> on_close)
    : client_(std::move(client)),
      options_(std::move(options)),
      on_close_(std::move(on_close)),
      hub_(std::make_shared<WatchHub>(options_.history_size)) {}

Result<std::unique_ptr<EtcdStore>> EtcdStore::Open(std::shared_ptr<EtcdClient> client, EtcdStoreOptions options,
                                                   std::function<void()> on_close) {
  if (options.prefix.empty() || options.prefix.back() != '/') {
    if (on_close) on_close();
    return Error::Make(ErrorCode::kBadRequest, "etcd store prefix must end with '/'");
  }
  std::unique_ptr<EtcdStore> s(new EtcdStore(std::move(client), std::move(options), std::move(on_close)));
  auto rev = s->FetchRevision();
  if (!rev) return rev.take_error();  // ~EtcdStore gives the partition back
  s->hub_->Publish({}, *rev);
  s->watch_start_ = *rev;
  s->published_ = *rev;
  s->NoteRevision(*rev);
  s->watch_thread_ = std::thread([p = s.get()] { p->WatchLoop(); });
  return s;
}

EtcdStore::~EtcdStore() { Close(); }

void EtcdStore::Close() {
  {
    std::unique_lock lock(write_mu_);
    closing_ = true;
    write_cv_.wait(lock, [&] { return in_flight_ == 0; });
    if (closed_) return;
    closed_ = true;
  }
  {
    std::lock_guard lock(stream_mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->Cancel();
  }
  stop_cv_.notify_all();
  if (watch_thread_.joinable()) watch_thread_.join();
  pub_cv_.notify_all();
  std::shared_ptr<WatchHub> hub;
  {
    std::lock_guard lock(hub_mu_);
    hub = hub_;
    registered_.clear();
  }
  hub->CloseAll();
  if (on_close_) {
    auto release = std::move(on_close_);
    on_close_ = nullptr;
    release();
  }
}

Status EtcdStore::Closed() const {
  if (stopping_.load()) return Error::Make(ErrorCode::kServiceUnavailable, "store is closed");
  return {};
}

void EtcdStore::NoteRevision(Revision rev) {
  Revision cur = known_revision_.load();
  while (cur < rev && !known_revision_.compare_exchange_weak(cur, rev)) {
  }
}

Result<Revision> EtcdStore::FetchRevision() {
  json req = {
      {"key", B64(options_.prefix)}, {"range_end", B64(EtcdClient::PrefixEnd(options_.prefix))}, {"count_only", true}};
  auto res = client_->Call("/v3/kv/range", req, true);
  if (!res) return res.take_error();
  last_count_ = static_cast<std::size_t>(EtcdClient::Int(*res, "count"));
  const Revision rev = HeaderRevision(*res);
  NoteRevision(rev);
  return rev;
}

std::size_t EtcdStore::ObjectCount() {
  if (auto rev = FetchRevision(); !rev) {
    VKUBE_LOG(kWarn) << "etcd object count of " << options_.prefix << ": " << rev.error().message;
  }
  return last_count_.load();
}

Revision EtcdStore::CurrentRevision() { return known_revision_.load(); }

Revision EtcdStore::CompactedRevision() {
  std::lock_guard lock(hub_mu_);
  return std::max(watch_start_, hub_->oldest_revision());
}

// ---- reads ----

Result<ObjectPtr> EtcdStore::Get(const Key& key) {
  if (auto s = Closed(); !s) return s.take_error();
  auto res = client_->Call("/v3/kv/range", json{{"key", B64(EtcdKey(options_.prefix, key))}}, true);
  if (!res) return KeyError(res.error().code, key, res.error().message);
  NoteRevision(HeaderRevision(*res));
  const json& kvs = Field(*res, "kvs");
  if (!kvs.is_array() || kvs.empty()) return KeyError(ErrorCode::kNotFound, key, "not found");
  return DecodeKv(options_.prefix, kvs[0], 0);
}

Result<ListResult> EtcdStore::List(const ListOptions& opts) {
  if (auto s = Closed(); !s) return s.take_error();
  ListResult out;
  const std::string collection = options_.prefix + opts.resource + "/";
  const std::string begin = opts.ns ? collection + *opts.ns + kNameSeparator : collection;
  const std::string end = EtcdClient::PrefixEnd(begin);
  std::string from = begin;
  if (!opts.continue_after.empty()) {
    std::string after = collection + opts.continue_after;
    after.push_back('\0');  // strictly after the last returned key
    from = std::max(from, after);
  }
  Revision rev = opts.at_revision.value_or(0);
  // Without a predicate etcd pages and counts for us; with one, chunks are filtered here.
  const bool etcd_pages = !opts.predicate && opts.limit != 0;
  const std::size_t chunk = etcd_pages ? opts.limit : std::max(options_.list_chunk, opts.limit + 1);
  bool first = true;
  bool overflow = false;  // a match beyond the page exists
  std::string last_key;   // last etcd key looked at
  for (;;) {
    json req = {{"key", B64(from)}, {"range_end", B64(end)}, {"limit", chunk}};
    if (rev != 0) req["revision"] = rev;
    auto res = client_->Call("/v3/kv/range", req, true);
    if (!res) {
      Error e = res.take_error();
      if (e.code == ErrorCode::kGone && !opts.continue_after.empty()) e.code = ErrorCode::kExpired;
      return e;
    }
    if (first) {
      NoteRevision(HeaderRevision(*res));
      if (rev == 0) rev = HeaderRevision(*res);
      out.revision = rev;
      first = false;
    }
    const bool more = Field(*res, "more").is_boolean() && Field(*res, "more").get<bool>();
    const json& kvs = Field(*res, "kvs");
    const std::size_t n = kvs.is_array() ? kvs.size() : 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto k = EtcdClient::Base64Decode(kvs[i].value("key", ""));
      if (k) last_key = std::move(*k);
      auto obj = DecodeKv(options_.prefix, kvs[i], 0);
      if (!obj) {
        VKUBE_LOG(kWarn) << "etcd list " << begin << ": skipping " << obj.error().message;
        continue;
      }
      if ((*obj)->key.resource != opts.resource) continue;  // "apps" must not list "apps/deployments"
      if (opts.predicate && !opts.predicate(**obj)) continue;
      if (opts.limit != 0 && out.items.size() == opts.limit) {
        overflow = true;
        ++out.remaining;
        continue;
      }
      out.items.push_back(std::move(*obj));
    }
    if (etcd_pages) {
      if (more && last_key.size() > collection.size()) {
        const std::size_t count = static_cast<std::size_t>(EtcdClient::Int(*res, "count"));
        out.remaining = count > n ? count - n : 0;
        out.continue_after = last_key.substr(collection.size());  // "NS!NAME" of the last key read
      }
      return out;
    }
    if (!more || n == 0) break;
    if (overflow) {
      out.remaining = 0;  // unknown beyond this chunk (kube omits remainingItemCount with selectors)
      break;
    }
    from = last_key;
    from.push_back('\0');
  }
  if (overflow && !out.items.empty()) {
    const Key& k = out.items.back()->key;
    out.continue_after = k.ns + kNameSeparator + k.name;
  }
  return out;
}

// ---- writes ----

Result<ObjectPtr> EtcdStore::Create(const Key& key, nlohmann::json obj, Attrs attrs) {
  return Write(EventType::kAdded, key, 0, &obj, std::move(attrs));
}

Result<ObjectPtr> EtcdStore::Update(const Key& key, Revision expected, nlohmann::json obj, Attrs attrs) {
  return Write(EventType::kModified, key, expected, &obj, std::move(attrs));
}

Result<ObjectPtr> EtcdStore::Delete(const Key& key, Revision expected) {
  return Write(EventType::kDeleted, key, expected, nullptr, {});
}

Result<ObjectPtr> EtcdStore::Write(EventType type, const Key& key, Revision expected, nlohmann::json* obj,
                                   Attrs attrs) {
  {
    std::lock_guard lock(write_mu_);
    if (closing_) return Error::Make(ErrorCode::kServiceUnavailable, "store is not accepting writes");
    ++in_flight_;
  }
  struct InFlight {
    EtcdStore* s;
    ~InFlight() {
      std::lock_guard lock(s->write_mu_);
      if (--s->in_flight_ == 0) s->write_cv_.notify_all();
    }
  } in_flight{this};

  const std::string etcd_key = EtcdKey(options_.prefix, key);
  const std::string key64 = B64(etcd_key);
  std::string object_json;
  std::size_t slot = 0;
  json op;
  if (type == EventType::kDeleted) {
    op = {{"request_delete_range", {{"key", key64}, {"prev_kv", true}}}};
  } else {
    if (!obj->is_object()) return KeyError(ErrorCode::kBadRequest, key, "object must be a JSON object");
    auto serialized = SerializeWithRvSlot(*obj, &slot);
    if (!serialized) return KeyError(ErrorCode::kBadRequest, key, serialized.error().message);
    object_json = std::move(*serialized);
    const std::string value = Envelope(slot, EncodeAttrs(attrs), object_json);
    if (value.size() + etcd_key.size() > options_.max_value_bytes) {
      return KeyError(ErrorCode::kRequestEntityTooLarge, key,
                      "object is too large to store: " + std::to_string(value.size()) + " bytes (limit " +
                          std::to_string(options_.max_value_bytes) + ")");
    }
    op = {{"request_put", {{"key", key64}, {"value", B64(value)}, {"prev_kv", type == EventType::kModified}}}};
  }
  json cmp;
  if (type == EventType::kAdded) {
    cmp = {{"key", key64}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}};
  } else if (expected != 0) {
    cmp = {{"key", key64}, {"target", "MOD"}, {"result", "EQUAL"}, {"mod_revision", std::to_string(expected)}};
  } else {
    cmp = {{"key", key64}, {"target", "CREATE"}, {"result", "GREATER"}, {"create_revision", "0"}};
  }
  json txn = {{"compare", json::array({cmp})}, {"success", json::array({op})}};
  if (type != EventType::kAdded && expected != 0) {
    // On failure, tell Conflict (exists, other revision) from NotFound.
    txn["failure"] = json::array({json{{"request_range", {{"key", key64}, {"keys_only", true}}}}});
  }
  auto res = client_->Call("/v3/kv/txn", txn, /*idempotent=*/false);
  if (!res) return KeyError(res.error().code, key, res.error().message);
  const Revision rev = HeaderRevision(*res);
  NoteRevision(rev);
  const bool succeeded = Field(*res, "succeeded").is_boolean() && Field(*res, "succeeded").get<bool>();
  const json& responses = Field(*res, "responses");
  const json& first = responses.is_array() && !responses.empty() ? responses[0] : Field(json(), "");
  if (!succeeded) {
    if (type == EventType::kAdded) return KeyError(ErrorCode::kAlreadyExists, key, "already exists");
    const json& kvs = Field(Field(first, "response_range"), "kvs");
    if (expected != 0 && kvs.is_array() && !kvs.empty()) {
      return KeyError(ErrorCode::kConflict, key, "the object has been modified");
    }
    return KeyError(ErrorCode::kNotFound, key, "not found");
  }
  ObjectPtr result;
  if (type == EventType::kDeleted) {
    const json& prev = Field(Field(first, "response_delete_range"), "prev_kvs");
    if (!prev.is_array() || prev.empty()) return KeyError(ErrorCode::kInternal, key, "etcd returned no previous state");
    auto last = DecodeKv(options_.prefix, prev[0], rev);  // last state stamped with the delete revision
    if (!last) return KeyError(ErrorCode::kInternal, key, last.error().message);
    result = std::move(*last);
  } else {
    auto o = std::make_shared<Object>();
    o->key = key;
    o->revision = rev;
    o->create_revision = rev;
    if (type == EventType::kModified) {
      const json& prev = Field(Field(first, "response_put"), "prev_kv");
      if (auto c = EtcdClient::Int(prev, "create_revision"); c > 0) o->create_revision = static_cast<Revision>(c);
    }
    o->json = Splice(object_json, slot, rev);
    o->attrs = std::move(attrs);
    result = std::move(o);
  }
  WaitPublished(rev);
  return result;
}

void EtcdStore::WaitPublished(Revision rev) {
  std::unique_lock lock(pub_mu_);
  if (!pub_cv_.wait_for(lock, options_.publish_wait, [&] { return published_ >= rev || stopping_.load(); })) {
    VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << " has not delivered revision " << rev
                     << " yet; acknowledging the (durable) write anyway";
  }
}

// ---- watch ----

Result<std::vector<ObjectPtr>> EtcdStore::Snapshot(const WatchOptions& opts, Revision* revision) {
  std::vector<ObjectPtr> out;
  const std::string begin = opts.resource.empty() ? options_.prefix
                            : opts.ns.has_value() ? options_.prefix + opts.resource + "/" + *opts.ns + kNameSeparator
                                                  : options_.prefix + opts.resource + "/";
  const std::string end = EtcdClient::PrefixEnd(begin);
  std::string from = begin;
  Revision rev = 0;
  for (;;) {
    json req = {{"key", B64(from)}, {"range_end", B64(end)}, {"limit", options_.list_chunk}};
    if (rev != 0) req["revision"] = rev;
    auto res = client_->Call("/v3/kv/range", req, true);
    if (!res) return res.take_error();
    if (rev == 0) {
      rev = HeaderRevision(*res);
      NoteRevision(rev);
    }
    const json& kvs = Field(*res, "kvs");
    const std::size_t n = kvs.is_array() ? kvs.size() : 0;
    for (std::size_t i = 0; i < n; ++i) {
      auto obj = DecodeKv(options_.prefix, kvs[i], 0);
      if (!obj) {
        VKUBE_LOG(kWarn) << "etcd watch snapshot " << begin << ": skipping " << obj.error().message;
        continue;
      }
      if (!opts.resource.empty() && (*obj)->key.resource != opts.resource) continue;
      if (opts.ns && (*obj)->key.ns != *opts.ns) continue;
      if (opts.predicate && !opts.predicate(**obj)) continue;
      out.push_back(std::move(*obj));
    }
    const bool more = Field(*res, "more").is_boolean() && Field(*res, "more").get<bool>();
    if (!more || n == 0) break;
    auto last = EtcdClient::Base64Decode(kvs[n - 1].value("key", ""));
    if (!last) return last.take_error();
    from = std::move(*last);
    from.push_back('\0');
  }
  *revision = rev;
  return out;
}

Result<std::unique_ptr<Watcher>> EtcdStore::Watch(const WatchOptions& opts) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (auto s = Closed(); !s) return s.take_error();
    std::vector<ObjectPtr> initial;
    Revision snapshot = 0;
    if (opts.send_initial) {
      auto objs = Snapshot(opts, &snapshot);
      if (!objs) return objs.take_error();
      initial = std::move(*objs);
    } else {
      snapshot = known_revision_.load();  // "now": after every write acknowledged so far
    }
    std::lock_guard lock(hub_mu_);
    if (opts.send_initial && snapshot < watch_start_) continue;  // history restarted meanwhile
    if (!opts.send_initial && opts.from_revision != 0 && opts.from_revision < watch_start_) {
      return Error::Make(ErrorCode::kGone, "too old resource version: " + std::to_string(opts.from_revision) + " (" +
                                               std::to_string(watch_start_ + 1) + ")");
    }
    snapshot = std::max(snapshot, watch_start_);
    auto w = hub_->Register(opts, std::move(initial), snapshot);
    if (!w) return w.take_error();
    std::erase_if(registered_, [](const std::weak_ptr<QueueWatcher>& p) { return p.expired(); });
    registered_.push_back(*w);
    return std::unique_ptr<Watcher>(new WatcherHandle(std::move(*w)));
  }
  return Error::Make(ErrorCode::kServiceUnavailable, "etcd watch history is restarting, retry");
}

void EtcdStore::PauseWatchForTest(bool paused) {
  watch_paused_ = paused;
  while (paused) {  // returns once no stream is open
    {
      std::lock_guard lock(stream_mu_);
      if (stream_ == nullptr) return;
      stream_->Cancel();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool EtcdStore::SleepBackoff(std::chrono::milliseconds d) {
  std::unique_lock lock(stream_mu_);
  stop_cv_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_.load();
}

void EtcdStore::WatchLoop() {
  const std::chrono::milliseconds initial_backoff(100);
  auto backoff = initial_backoff;
  const std::string range_end = B64(EtcdClient::PrefixEnd(options_.prefix));
  while (!stopping_) {
    if (watch_paused_) {
      SleepBackoff(std::chrono::milliseconds(20));
      continue;
    }
    Revision from = 0;
    {
      std::lock_guard lock(pub_mu_);
      from = published_ + 1;  // resume right after the last event delivered
    }
    json create = {{"create_request",
                    {{"key", B64(options_.prefix)},
                     {"range_end", range_end},
                     {"start_revision", std::to_string(from)},
                     {"prev_kv", true}}}};
    auto opened = client_->OpenStream("/v3/watch", create);
    if (!opened) {
      VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << ": " << opened.error().message << " (retrying in "
                       << backoff.count() << "ms)";
      if (!SleepBackoff(backoff)) break;
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    std::unique_ptr<EtcdClient::Stream> stream = std::move(*opened);
    {
      std::lock_guard lock(stream_mu_);
      if (stopping_) break;
      stream_ = stream.get();
    }
    bool gap = false;
    while (!stopping_ && !watch_paused_) {
      auto msg = stream->Next(std::chrono::seconds(30));  // Close() and pauses Cancel() it
      if (!msg) {
        if (!stopping_) {
          VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << ": " << msg.error().message;
        }
        break;
      }
      if (!*msg) continue;
      const json& m = **msg;
      if (m.contains("error")) {
        VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << " failed: " << Field(m, "error").dump();
        break;
      }
      const json& r = Field(m, "result");
      if (EtcdClient::Int(r, "compact_revision") != 0) {
        gap = true;
        break;
      }
      if (Field(r, "canceled").is_boolean() && Field(r, "canceled").get<bool>()) {
        VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << " canceled: " << r.value("cancel_reason", "");
        break;
      }
      if (Field(r, "created").is_boolean() && Field(r, "created").get<bool>()) {
        ++watch_connects_;
        backoff = initial_backoff;
        continue;
      }
      if (const json& events = Field(r, "events"); events.is_array()) Publish(events);
    }
    {
      std::lock_guard lock(stream_mu_);
      stream_ = nullptr;
    }
    stream.reset();
    if (stopping_) break;
    if (gap) {
      RestartAfterGap();
      continue;
    }
    if (watch_paused_) continue;
    if (!SleepBackoff(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void EtcdStore::Publish(const nlohmann::json& events) {
  Revision base = 0;
  {
    std::lock_guard lock(pub_mu_);
    base = published_;
  }
  std::vector<Event> out;
  out.reserve(events.size());
  Revision last = base;
  for (const auto& e : events) {
    const json& kv = Field(e, "kv");
    const auto rev = static_cast<Revision>(EtcdClient::Int(kv, "mod_revision"));
    if (rev <= base) continue;  // already delivered before a reconnect
    last = std::max(last, rev);
    ObjectPtr prev;
    if (const json& pk = Field(e, "prev_kv"); pk.is_object()) {
      if (auto p = DecodeKv(options_.prefix, pk, 0)) prev = std::move(*p);
    }
    if (e.value("type", "") == "DELETE") {
      const json& pk = Field(e, "prev_kv");
      auto gone = DecodeKv(options_.prefix, pk, rev);
      if (!gone || !prev) {
        VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << ": delete at " << rev
                         << " without readable prior state";
        continue;
      }
      out.push_back(Event{EventType::kDeleted, std::move(*gone), std::move(prev)});
      continue;
    }
    auto obj = DecodeKv(options_.prefix, kv, 0);
    if (!obj) {
      VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << ": skipping " << obj.error().message;
      continue;
    }
    if (EtcdClient::Int(kv, "version") == 1) {
      out.push_back(Event{EventType::kAdded, std::move(*obj), nullptr});
    } else {
      out.push_back(Event{EventType::kModified, std::move(*obj), std::move(prev)});
    }
  }
  if (last == base) return;
  std::shared_ptr<WatchHub> hub;
  {
    std::lock_guard lock(hub_mu_);
    hub = hub_;
  }
  hub->Publish(out, last);
  NoteRevision(last);
  {
    std::lock_guard lock(pub_mu_);
    published_ = last;
  }
  pub_cv_.notify_all();
}

void EtcdStore::RestartAfterGap() {
  Revision rev = 0;
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    auto r = FetchRevision();
    if (r) {
      rev = *r;
      break;
    }
    if (!SleepBackoff(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  auto fresh = std::make_shared<WatchHub>(options_.history_size);
  fresh->Publish({}, rev);
  std::shared_ptr<WatchHub> old;
  std::vector<std::shared_ptr<QueueWatcher>> ended;
  {
    std::lock_guard lock(hub_mu_);
    old = std::exchange(hub_, fresh);
    watch_start_ = rev;
    for (auto& weak : registered_) {
      if (auto w = weak.lock()) ended.push_back(std::move(w));
    }
    registered_.clear();
  }
  // Events between the last delivered revision and `rev` are compacted away: every watcher ends
  // as a slow one does (the client re-lists) and resumes below `rev` become kGone.
  for (auto& w : ended) {
    w->Close(WatchCloseReason::kTooSlow);
    w->Notify();
  }
  old->CloseAll();
  {
    std::lock_guard lock(pub_mu_);
    published_ = std::max(published_, rev);
  }
  pub_cv_.notify_all();
  VKUBE_LOG(kWarn) << "etcd watch of " << options_.prefix << " resumed after a compaction at revision " << rev << "; "
                   << ended.size() << " watchers must re-list";
}

}  // namespace vkube::store
