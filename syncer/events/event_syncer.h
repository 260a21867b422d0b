#pragma once
// Host Events about the tenant's synced pods come up into the tenant (scheduling, image pulls,
// container starts, probe failures), about the virtual pod and in its namespace, so `kubectl
// describe pod` and `kubectl get events` tell the tenant what the host did. Host Events cannot be
// selected by tenant, so the host namespace's Events are observed (not cached) and those about
// this tenant's pods are kept until written up. Written at most `qps` per second (burst `burst`):
// like a kubelet's --event-qps, so a burst of pod starts (five events each) spends its CPU on the
// pods first; a repeated event waiting its turn is written once, in its latest form.
#include <map>
#include <mutex>
#include <string>

#include "libs/kubeclient/token_bucket.h"
#include "syncer/sync_context.h"

namespace vkube::syncer {

class EventSyncer final : public KindSyncer {
 public:
  EventSyncer(SyncContext& ctx, double qps, int burst);

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer&) override {}  // tenant Events never go down
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

 private:
  SyncContext& ctx_;
  const std::string resource_ = "events";
  // Host event name → its tenant form, from OnHostChange until written (bounded: beyond the limit
  // new events are dropped, as kube's recorder drops under pressure).
  static constexpr std::size_t kMaxPending = 10000;
  std::mutex mu_;
  std::map<std::string, nlohmann::json> pending_;
  kube::TokenBucket writes_;
};

}  // namespace vkube::syncer
