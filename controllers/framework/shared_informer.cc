#include "controllers/framework/shared_informer.h"

#include "controllers/framework/object_util.h"

#include <boost/asio/post.hpp>

#include "libs/core/log.h"

namespace vkube::controllers {

namespace asio = boost::asio;

namespace {
// The informer must not be dropped as a slow watcher during a burst; beyond this it re-lists.
constexpr std::size_t kInformerQueueLimit = 200000;
constexpr std::size_t kDrainBatch = 512;
}  // namespace

SharedInformer::SharedInformer(std::shared_ptr<store::Store> store, asio::any_io_executor executor)
    : store_(std::move(store)), strand_(asio::make_strand(std::move(executor))) {}

SharedInformer::~SharedInformer() { Stop(); }

void SharedInformer::AddHandler(EventHandler handler) { handlers_.push_back(std::move(handler)); }

Status SharedInformer::Start() {
  auto w = store_->Watch(store::WatchOptions{.resource = "", .send_initial = true, .max_queue = kInformerQueueLimit});
  if (!w) return w.take_error();
  // The initial snapshot is queued by the time Watch returns: apply it here so that callers see a
  // synced cache (client-go's WaitForCacheSync) before their controllers start.
  std::vector<store::Event> events;
  while ((*w)->Poll(events, kDrainBatch) > 0) {
    for (const auto& ev : events) Apply(ev);
    events.clear();
  }
  std::weak_ptr<SharedInformer> weak = weak_from_this();
  (*w)->SetNotify([weak] {
    if (auto self = weak.lock()) self->ScheduleDrain();
  });
  {
    std::lock_guard lock(watch_mu_);
    watcher_ = std::move(*w);
  }
  ScheduleDrain();  // anything that arrived between the snapshot and SetNotify
  return {};
}

void SharedInformer::Stop() {
  stopped_ = true;
  std::shared_ptr<store::Watcher> w;
  {
    std::lock_guard lock(watch_mu_);
    w = std::move(watcher_);
  }
  if (w) w->Stop();
  in_flight_.CloseAndWait();
}

void SharedInformer::ScheduleDrain() {
  if (stopped_ || scheduled_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] { self->Drain(); });
}

void SharedInformer::Drain() {
  scheduled_ = false;  // a notify from now on schedules another pass (serialized by the strand)
  InFlight::Scope scope(in_flight_);
  if (stopped_ || !scope.entered()) return;
  std::vector<store::Event> events;
  std::shared_ptr<store::Watcher> w;
  {
    std::lock_guard lock(watch_mu_);
    w = watcher_;
  }
  if (w == nullptr) return;
  const std::size_t n = w->Poll(events, kDrainBatch);
  for (const auto& ev : events) Apply(ev);
  if (n == kDrainBatch) {
    ScheduleDrain();  // more queued: yield the thread to other tenants between batches
    return;
  }
  auto reason = w->close_reason();
  if (reason == store::WatchCloseReason::kTooSlow) {
    if (auto s = Rewatch(); !s) {
      VKUBE_LOG(kWarn) << "informer re-list failed: " << s.error().message;
    }
  }
}

void SharedInformer::Apply(const store::Event& ev) {
  const ParseScope parses;  // the handlers of one event share each object's parse
  const store::Key& key = ev.object->key;
  store::ObjectPtr old;
  {
    std::unique_lock lock(mu_);
    Collection& coll = cache_[key.resource];
    auto it = coll.find({key.ns, key.name});
    if (it != coll.end()) old = it->second;
    if (ev.type == store::EventType::kDeleted) {
      if (it != coll.end()) coll.erase(it);
    } else if (it != coll.end()) {
      it->second = ev.object;
    } else {
      coll.emplace(std::make_pair(key.ns, key.name), ev.object);
    }
  }
  for (const auto& h : handlers_) {
    if (!h.resource.empty() && h.resource != key.resource) continue;
    if (ev.type == store::EventType::kDeleted) {
      if (h.on_delete) h.on_delete(old ? old : ev.object);
    } else if (old) {
      if (h.on_update) h.on_update(old, ev.object);
    } else if (h.on_add) {
      h.on_add(ev.object);
    }
  }
}

Status SharedInformer::Rewatch() {
  auto w = store_->Watch(store::WatchOptions{.resource = "", .send_initial = true, .max_queue = kInformerQueueLimit});
  if (!w) return w.take_error();
  // Diff the fresh snapshot against the cache: what vanished meanwhile is a delete.
  std::unordered_map<std::string, Collection> seen;
  std::vector<store::Event> events;
  while ((*w)->Poll(events, kDrainBatch) > 0) {
    for (const auto& ev : events) {
      seen[ev.object->key.resource].emplace(std::make_pair(ev.object->key.ns, ev.object->key.name), ev.object);
      Apply(ev);
    }
    events.clear();
  }
  std::vector<store::ObjectPtr> gone;
  {
    std::shared_lock lock(mu_);
    for (const auto& [res, coll] : cache_) {
      auto s = seen.find(res);
      for (const auto& [k, obj] : coll) {
        if (s == seen.end() || !s->second.count(k)) gone.push_back(obj);
      }
    }
  }
  for (auto& obj : gone) Apply(store::Event{store::EventType::kDeleted, obj, obj});
  std::weak_ptr<SharedInformer> weak = weak_from_this();
  (*w)->SetNotify([weak] {
    if (auto self = weak.lock()) self->ScheduleDrain();
  });
  {
    std::lock_guard lock(watch_mu_);
    watcher_ = std::move(*w);
  }
  ScheduleDrain();
  return {};
}

store::ObjectPtr SharedInformer::Get(const std::string& resource, const std::string& ns, const std::string& name) const {
  std::shared_lock lock(mu_);
  auto c = cache_.find(resource);
  if (c == cache_.end()) return nullptr;
  auto it = c->second.find({ns, name});
  return it == c->second.end() ? nullptr : it->second;
}

std::vector<store::ObjectPtr> SharedInformer::List(const std::string& resource, const std::string& ns) const {
  std::vector<store::ObjectPtr> out;
  std::shared_lock lock(mu_);
  auto c = cache_.find(resource);
  if (c == cache_.end()) return out;
  auto it = ns.empty() ? c->second.begin() : c->second.lower_bound({ns, ""});
  for (; it != c->second.end(); ++it) {
    if (!ns.empty() && it->first.first != ns) break;
    out.push_back(it->second);
  }
  return out;
}

std::size_t SharedInformer::Size() const {
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, c] : cache_) n += c.size();
  return n;
}

}  // namespace vkube::controllers
