#pragma once
// Fan-out of committed events to live watchers, with a bounded history ring for resume.
// Mirrors the kube watch cache: events carry prev state so predicate transitions become
// ADDED/DELETED; slow watchers are closed, never buffered without bound.
#include <deque>
#include <optional>
#include <memory>
#include <mutex>
#include <vector>

#include "libs/store/store.h"

namespace vkube::store {

class QueueWatcher;

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  explicit WatchHub(std::size_t history_size) : history_size_(history_size) {}

  // Publishes committed events (in revision order). Called by the single committer thread.
  void Publish(const std::vector<Event>& events, Revision revision);
  // The store was loaded at `revision` with no event history before it (a restart): watches
  // from an older revision get kGone, since the changes in between cannot be replayed.
  void StartAt(Revision revision);

  // Registers a watcher starting after `opts.from_revision`. `initial` (already filtered by the
  // caller at `snapshot_revision`) is delivered first when opts.send_initial.
  Result<std::shared_ptr<QueueWatcher>> Register(const WatchOptions& opts, std::vector<ObjectPtr> initial,
                                                 Revision snapshot_revision);
  void Unregister(QueueWatcher* w);
  void CloseAll();
  Revision oldest_revision() const;  // oldest event still in history (0 if none)

 private:
  std::size_t history_size_;
  mutable std::mutex mu_;
  std::deque<std::pair<Revision, Event>> history_;
  Revision last_published_ = 0;
  Revision compacted_ = 0;  // events with revision <= this are gone from history
  std::vector<std::weak_ptr<QueueWatcher>> watchers_;
  bool closed_ = false;

  friend class QueueWatcher;
};

// The Watcher handed to callers.
class QueueWatcher final : public Watcher, public std::enable_shared_from_this<QueueWatcher> {
 public:
  QueueWatcher(std::weak_ptr<WatchHub> hub, WatchOptions opts) : hub_(std::move(hub)), opts_(std::move(opts)) {}
  ~QueueWatcher() override;

  std::size_t Poll(std::vector<Event>& out, std::size_t max) override;
  void SetNotify(std::function<void()> notify) override;
  WatchCloseReason close_reason() const override;
  Revision progress_revision() const override;
  void Stop() override;

  // Hub side. Returns true if the consumer should be notified.
  bool Offer(const Event& ev, Revision rev);
  void Close(WatchCloseReason reason);
  void Notify();
  const WatchOptions& options() const { return opts_; }
  void SetProgress(Revision rev);
  void PushRaw(Event ev);
  // Events at or before this revision were already covered (snapshot or client's resourceVersion).
  void SetStart(Revision rev) { start_ = rev; }

 private:
  std::weak_ptr<WatchHub> hub_;  // the hub may be gone before a late Stop()
  WatchOptions opts_;
  mutable std::mutex mu_;
  std::deque<Event> queue_;
  std::function<void()> notify_;
  WatchCloseReason reason_ = WatchCloseReason::kNone;
  Revision progress_ = 0;
  bool stopped_ = false;
  Revision start_ = 0;
};

// Owning handle returned by Store::Watch: stops the watcher when dropped.
class WatcherHandle final : public Watcher {
 public:
  explicit WatcherHandle(std::shared_ptr<QueueWatcher> w) : w_(std::move(w)) {}
  ~WatcherHandle() override { w_->Stop(); }
  WatcherHandle(const WatcherHandle&) = delete;
  WatcherHandle& operator=(const WatcherHandle&) = delete;
  std::size_t Poll(std::vector<Event>& out, std::size_t max) override { return w_->Poll(out, max); }
  void SetNotify(std::function<void()> notify) override { w_->SetNotify(std::move(notify)); }
  WatchCloseReason close_reason() const override { return w_->close_reason(); }
  Revision progress_revision() const override { return w_->progress_revision(); }
  void Stop() override { w_->Stop(); }

 private:
  std::shared_ptr<QueueWatcher> w_;
};

// Filters one raw event through a watch's scope and predicate (nullopt = not delivered).
std::optional<Event> FilterEvent(const WatchOptions& opts, const Event& ev);

}  // namespace vkube::store
