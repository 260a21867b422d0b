#pragma once
// Per-tenant admission at the router: a token-bucket request rate and a cap on open watches, so
// one busy tenant cannot monopolize the shared listener (429 + Retry-After, like kube's
// max-in-flight filter), and a cap on connections that reach it by SNI (a path-routed connection
// may carry several tenants' requests, so only SNI connections are the tenant's own). In-flight
// caps live in each tenant's ApiServer; object counts in its registry's admission chain.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>

namespace vkube::tenancy {

struct TenantLimits {
  double requests_per_second = 0;   // 0 = unlimited
  double burst = 0;                 // bucket size; 0 = max(1, requests_per_second)
  std::size_t max_watches = 0;      // 0 = unlimited
  std::size_t max_connections = 0;  // SNI-routed connections; 0 = unlimited
  std::size_t max_inflight = 0;     // 0 = the ApiServer default (kube's 400/200)
  std::size_t max_objects = 0;      // 0 = unlimited
};

class TenantGate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TenantGate(const TenantLimits& limits);

  // Takes one request token; false = over the rate (answer 429).
  bool AdmitRequest(Clock::time_point now = Clock::now());

  // An open watch; releases its slot when destroyed.
  class WatchSlot {
   public:
    WatchSlot() = default;
    explicit WatchSlot(std::atomic<std::size_t>* n) : n_(n) {}
    WatchSlot(WatchSlot&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
    WatchSlot& operator=(WatchSlot&&) = delete;
    ~WatchSlot() {
      if (n_ != nullptr) n_->fetch_sub(1);
    }
    bool ok() const { return n_ != nullptr; }

   private:
    std::atomic<std::size_t>* n_ = nullptr;
  };
  // A slot, or one that is !ok() at the cap (answer 429).
  WatchSlot AdmitWatch();
  std::size_t watches() const { return watches_.load(); }

  bool caps_connections() const { return max_connections_ != 0; }
  // A connection slot: a non-null lease that frees the slot when its last reference goes (it may
  // outlive this gate, as a connection can outlive an unloaded tenant); null at the cap.
  std::shared_ptr<void> AdmitConnection();
  std::size_t connections() const { return connections_->load(); }

 private:
  const double rate_;
  const double burst_;
  const std::size_t max_watches_;
  const std::size_t max_connections_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
  std::atomic<std::size_t> watches_{0};
  std::shared_ptr<std::atomic<std::size_t>> connections_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace vkube::tenancy
