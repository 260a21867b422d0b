#pragma once
// Counts callbacks running on pool threads so that an owner can stop and then wait for the ones
// already started before it frees what they use (Envoy's "drain before destroy"). A callback that
// stops its own owner does not wait for itself.
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace vkube {

class InFlight {
 public:
  // Scope of one callback; `entered()` is false once CloseAndWait has begun (skip the work).
  class Scope {
   public:
    explicit Scope(InFlight& f) : f_(f), entered_(f.Enter()) {}
    ~Scope() {
      if (entered_) f_.Exit();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    bool entered() const { return entered_; }

   private:
    InFlight& f_;
    bool entered_;
  };

  // Refuses new scopes and blocks until every running one (other than the caller's) has left.
  void CloseAndWait() {
    std::unique_lock lock(mu_);
    closed_ = true;
    const std::size_t own = OwnDepth(this, 0);
    cv_.wait(lock, [&] { return running_ <= own; });
  }

 private:
  bool Enter() {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    ++running_;
    OwnDepth(this, +1);
    return true;
  }
  void Exit() {
    std::lock_guard lock(mu_);
    --running_;
    OwnDepth(this, -1);
    cv_.notify_all();
  }
  // Adds `delta` to the number of scopes of `f` the calling thread is inside; returns the result.
  static std::size_t OwnDepth(const InFlight* f, int delta);

  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t running_ = 0;
  bool closed_ = false;
};

}  // namespace vkube
