#include "syncer/events/event_syncer.h"

#include "libs/resource/json_access.h"
#include "libs/translate/event_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

EventSyncer::EventSyncer(SyncContext& ctx, double qps, int burst) : ctx_(ctx), writes_(qps, burst) {}

void EventSyncer::OnHostChange(const std::string& host_resource, const json*, const json* obj) {
  if (host_resource != resource_ || obj == nullptr) return;  // a host event's expiry is the host's affair
  if (Str(*obj, "involvedObject.kind") != "Pod") return;
  const std::string host_pod = Str(*obj, "involvedObject.name");
  const kube::SharedObject hpod = ctx_.cache->Get("pods", host_pod);
  if (!hpod) return;  // not one of this tenant's pods (or gone already)
  auto ref = VirtualRefOf(*hpod, ctx_.tenant);
  if (!ref) return;
  auto vev = translate::VirtualEvent(*obj, ctx_.host_namespace, host_pod, *ref);
  if (!vev) return;
  const std::string name = Str(*obj, "metadata.name");
  {
    std::lock_guard lock(mu_);
    if (pending_.size() >= kMaxPending && pending_.count(name) == 0) return;
    pending_[name] = std::move(*vev);
  }
  ctx_.enqueue(SyncKey(resource_, "", name));
}

std::vector<std::string> EventSyncer::AllKeys() {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [name, ev] : pending_) keys.push_back(SyncKey(resource_, "", name));
  return keys;
}

asio::awaitable<SyncOutcome> EventSyncer::Reconcile(std::string, std::string name) {
  co_await writes_.Acquire();  // (a timer, no thread: the low-priority queue's worker waits)
  json vev;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(name);
    if (it == pending_.end()) co_return SyncOutcome::kDone;
    vev = std::move(it->second);
    pending_.erase(it);
  }
  const resource::Kind* kind = ctx_.virt.objects->Find("", resource_);
  if (kind == nullptr) co_return SyncOutcome::kDone;
  const std::string ns = Str(vev, "metadata.namespace");
  const std::string vname = Str(vev, "metadata.name");
  constexpr const char* kFollowed[] = {"count", "lastTimestamp", "message", "type", "reason", "source"};
  auto current = ctx_.virt.objects->GetJson(*kind, ns, vname);
  if (current) {
    // A repeated host event (count, lastTimestamp, message) updates the tenant's copy; one seen
    // before (a restart re-lists them all) costs no write.
    json next = *current;
    for (const char* f : kFollowed) {
      if (vev.contains(f)) next[f] = vev[f];
    }
    if (next == *current) co_return SyncOutcome::kDone;
    (void)ctx_.virt.objects->Update(*kind, ns, vname, std::move(next));  // a conflict: a newer copy won
    co_return SyncOutcome::kDone;
  }
  // An event that cannot be written (already there, namespace gone) is dropped, as kube's recorder does.
  (void)ctx_.virt.objects->Create(*kind, ns, std::move(vev));
  co_return SyncOutcome::kDone;
}

}  // namespace vkube::syncer
