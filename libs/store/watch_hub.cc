#include "libs/store/watch_hub.h"

namespace vkube::store {

std::optional<Event> FilterEvent(const WatchOptions& opts, const Event& ev) {
  const Object& obj = *ev.object;
  if (!opts.resource.empty() && obj.key.resource != opts.resource) return std::nullopt;
  if (opts.ns && obj.key.ns != *opts.ns) return std::nullopt;
  if (!opts.predicate) return ev;
  bool now = opts.predicate(obj);
  bool before = ev.prev_object && opts.predicate(*ev.prev_object);
  switch (ev.type) {
    case EventType::kAdded:
      if (now) return ev;
      return std::nullopt;
    case EventType::kDeleted:
      if (before || (!ev.prev_object && now)) return ev;
      return std::nullopt;
    case EventType::kModified:
      if (now && before) return ev;
      if (now) return Event{EventType::kAdded, ev.object, nullptr};
      if (before) {
        // Left the selection: the watcher sees it deleted, with the new state's revision.
        return Event{EventType::kDeleted, ev.object, ev.prev_object};
      }
      return std::nullopt;
  }
  return std::nullopt;
}

void WatchHub::StartAt(Revision revision) {
  {
    std::lock_guard lock(mu_);
    history_.clear();
    compacted_ = revision;
  }
  Publish({}, revision);
}

void WatchHub::Publish(const std::vector<Event>& events, Revision revision) {
  std::vector<std::shared_ptr<QueueWatcher>> to_notify;
  {
    std::lock_guard lock(mu_);
    for (const auto& ev : events) {
      history_.emplace_back(ev.object->revision, ev);
      if (history_.size() > history_size_) {
        compacted_ = history_.front().first;
        history_.pop_front();
      }
    }
    last_published_ = revision;
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      auto w = it->lock();
      if (!w) {
        it = watchers_.erase(it);
        continue;
      }
      bool any = false;
      for (const auto& ev : events) any = w->Offer(ev, ev.object->revision) || any;
      w->SetProgress(revision);
      if (any || w->close_reason() != WatchCloseReason::kNone) to_notify.push_back(w);
      ++it;
    }
  }
  for (auto& w : to_notify) w->Notify();  // outside the hub lock
}

Result<std::shared_ptr<QueueWatcher>> WatchHub::Register(const WatchOptions& opts, std::vector<ObjectPtr> initial,
                                                         Revision snapshot_revision) {
  auto w = std::make_shared<QueueWatcher>(weak_from_this(), opts);
  std::lock_guard lock(mu_);
  if (closed_) return Error::Make(ErrorCode::kServiceUnavailable, "store is closed");
  Revision from = opts.send_initial || opts.from_revision == 0 ? snapshot_revision : opts.from_revision;
  if (from < compacted_) {
    return Error::Make(ErrorCode::kGone, "too old resource version: " + std::to_string(opts.from_revision) + " (" +
                                             std::to_string(compacted_ + 1) + ")");
  }
  w->SetStart(from);
  for (auto& obj : initial) w->PushRaw(Event{EventType::kAdded, std::move(obj), nullptr});
  // Replay history after `from`; everything up to last_published_ is in history (from >= compacted_).
  for (const auto& [rev, ev] : history_) {
    if (rev > from) w->Offer(ev, rev);
  }
  w->SetProgress(std::max(from, last_published_));
  watchers_.push_back(w);
  return w;
}

void WatchHub::Unregister(QueueWatcher* w) {
  std::lock_guard lock(mu_);
  for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
    auto sp = it->lock();
    if (!sp || sp.get() == w) {
      watchers_.erase(it);
      return;
    }
  }
}

void WatchHub::CloseAll() {
  std::vector<std::shared_ptr<QueueWatcher>> ws;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& weak : watchers_) {
      if (auto w = weak.lock()) ws.push_back(std::move(w));
    }
    watchers_.clear();
  }
  for (auto& w : ws) {
    w->Close(WatchCloseReason::kStoreClosed);
    w->Notify();
  }
}

Revision WatchHub::oldest_revision() const {
  std::lock_guard lock(mu_);
  return compacted_;
}

QueueWatcher::~QueueWatcher() = default;

bool QueueWatcher::Offer(const Event& ev, Revision rev) {
  if (rev <= start_) return false;  // start_ is immutable after Register
  auto filtered = FilterEvent(opts_, ev);
  std::lock_guard lock(mu_);
  if (progress_ < rev) progress_ = rev;
  if (!filtered || reason_ != WatchCloseReason::kNone) return false;
  if (queue_.size() >= opts_.max_queue) {
    reason_ = WatchCloseReason::kTooSlow;  // consumer ends the stream; client re-lists
    return true;
  }
  queue_.push_back(std::move(*filtered));
  return true;
}

void QueueWatcher::PushRaw(Event ev) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(ev));
}

void QueueWatcher::SetProgress(Revision rev) {
  std::lock_guard lock(mu_);
  if (progress_ < rev) progress_ = rev;
}

void QueueWatcher::Close(WatchCloseReason reason) {
  std::lock_guard lock(mu_);
  if (reason_ == WatchCloseReason::kNone) reason_ = reason;
}

void QueueWatcher::Notify() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    fn = notify_;
  }
  if (fn) fn();
}

std::size_t QueueWatcher::Poll(std::vector<Event>& out, std::size_t max) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  while (n < max && !queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
    ++n;
  }
  return n;
}

void QueueWatcher::SetNotify(std::function<void()> notify) {
  bool pending;
  {
    std::lock_guard lock(mu_);
    notify_ = std::move(notify);
    pending = !queue_.empty() || reason_ != WatchCloseReason::kNone;
  }
  if (pending) Notify();
}

WatchCloseReason QueueWatcher::close_reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

Revision QueueWatcher::progress_revision() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void QueueWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (reason_ == WatchCloseReason::kNone) reason_ = WatchCloseReason::kStopped;
    notify_ = nullptr;
  }
  if (auto hub = hub_.lock()) hub->Unregister(this);
}

}  // namespace vkube::store
