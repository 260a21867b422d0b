#include "controllers/framework/leader_elector.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;
using Json = nlohmann::json;

namespace {

// MicroTime, as kube writes renewTime/acquireTime.
std::string MicroTime(SystemTime t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string s = FormatRfc3339(t);  // ...Z
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%06lld", static_cast<long long>(us));
  return s.substr(0, s.size() - 1) + frac + "Z";
}

}  // namespace

std::shared_ptr<LeaderElector> LeaderElector::Start(std::shared_ptr<registry::GenericRegistry> objects,
                                                    boost::asio::any_io_executor executor,
                                                    LeaderElectionOptions options, Callback on_started,
                                                    Callback on_stopped) {
  auto e = std::make_shared<LeaderElector>(std::move(objects), executor, std::move(options), std::move(on_started),
                                           std::move(on_stopped));
  boost::asio::post(executor, [e] { e->Tick(); });
  return e;
}

LeaderElector::LeaderElector(std::shared_ptr<registry::GenericRegistry> objects, boost::asio::any_io_executor executor,
                             LeaderElectionOptions options, Callback on_started, Callback on_stopped)
    : objects_(std::move(objects)),
      lease_kind_(objects_->Find("coordination.k8s.io", "leases")),
      options_(std::move(options)),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)),
      timer_(executor) {}

bool LeaderElector::leading() const {
  std::lock_guard lock(mu_);
  return leading_;
}

void LeaderElector::Schedule(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([self = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto e = self.lock()) e->Tick();
  });
}

void LeaderElector::Tick() {
  std::lock_guard callbacks(callback_mu_);
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
  }
  const bool held = TryAcquireOrRenew();
  const auto now = std::chrono::steady_clock::now();
  bool started = false, lost = false;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    if (held) {
      last_renew_ = now;
      started = !leading_;
      leading_ = true;
    } else if (leading_ && now - last_renew_ >= options_.renew_deadline) {
      // Could not renew in time: another replica may take over at any moment now.
      leading_ = false;
      lost = true;
    }
  }
  if (started) {
    VKUBE_LOG(kInfo) << "leader election: " << options_.identity << " leads " << options_.ns << "/" << options_.name;
    if (on_started_) on_started_();
  }
  if (lost) {
    VKUBE_LOG(kWarn) << "leader election: " << options_.identity << " lost " << options_.ns << "/" << options_.name;
    if (on_stopped_) on_stopped_();
  }
  Schedule(options_.retry_period);
}

bool LeaderElector::TryAcquireOrRenew() {
  if (lease_kind_ == nullptr) return false;
  const auto now_steady = std::chrono::steady_clock::now();
  const std::string now = MicroTime(std::chrono::system_clock::now());
  // Whole seconds in the record (at least 1, as validation requires); our own judgement of
  // expiry uses the exact duration.
  const auto duration_s =
      std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(options_.lease_duration).count());
  auto current = objects_->GetJson(*lease_kind_, options_.ns, options_.name);
  if (!current) {
    if (current.error().code != ErrorCode::kNotFound) return false;
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", {{"name", options_.name}, {"namespace", options_.ns}}},
                  {"spec",
                   {{"holderIdentity", options_.identity},
                    {"leaseDurationSeconds", duration_s},
                    {"acquireTime", now},
                    {"renewTime", now},
                    {"leaseTransitions", 0}}}};
    auto created = objects_->Create(*lease_kind_, options_.ns, std::move(lease));
    if (!created) {
      VKUBE_LOG(kWarn) << "leader election: " << options_.identity << ": " << created.error().message;
      return false;
    }
    std::lock_guard lock(mu_);
    observed_rv_ = std::to_string((*created)->revision);
    observed_time_ = now_steady;
    return true;
  }
  const std::string rv = jsonx::Str(*current, "metadata.resourceVersion");
  const std::string holder = jsonx::Str(*current, "spec.holderIdentity");
  {
    std::lock_guard lock(mu_);
    if (rv != observed_rv_) {
      observed_rv_ = rv;
      observed_time_ = now_steady;
    }
    const bool expired = now_steady > observed_time_ + options_.lease_duration;
    if (!holder.empty() && holder != options_.identity && !expired) return false;
  }
  Json next = *current;
  Json& spec = next["spec"];
  if (holder != options_.identity) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = jsonx::Int(*current, "spec.leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = options_.identity;
  spec["leaseDurationSeconds"] = duration_s;
  spec["renewTime"] = now;
  // The resourceVersion we judged from is the precondition: a competing write wins, we lose.
  auto updated = objects_->Update(*lease_kind_, options_.ns, options_.name, std::move(next));
  if (!updated) {
    if (updated.error().code != ErrorCode::kConflict) {
      VKUBE_LOG(kWarn) << "leader election: " << options_.identity << ": " << updated.error().message;
    }
    return false;
  }
  std::lock_guard lock(mu_);
  observed_rv_ = std::to_string((*updated)->revision);
  observed_time_ = now_steady;
  return true;
}

void LeaderElector::Release() {
  auto current = objects_->GetJson(*lease_kind_, options_.ns, options_.name);
  if (!current || jsonx::Str(*current, "spec.holderIdentity") != options_.identity) return;
  Json next = *current;
  next["spec"]["holderIdentity"] = "";
  next["spec"]["leaseDurationSeconds"] = 1;
  (void)objects_->Update(*lease_kind_, options_.ns, options_.name, std::move(next));
}

void LeaderElector::Stop() {
  std::lock_guard callbacks(callback_mu_);  // waits for a Tick in progress
  bool was_leading = false;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    was_leading = leading_;
    leading_ = false;
    timer_.cancel();
  }
  if (was_leading) {
    if (on_stopped_) on_stopped_();
    if (lease_kind_ != nullptr) Release();
  }
}

}  // namespace vkube::controllers
