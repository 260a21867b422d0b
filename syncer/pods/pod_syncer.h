#pragma once
// Pods, both ways. Down: a tenant pod becomes its translated host pod (after the configmaps,
// secrets and PVCs it references), label/image changes follow, deletion (graceful, with the
// tenant's grace period) is carried out on the host first and finished in the tenant once the
// host pod is gone. Up: the host scheduler's node becomes the tenant pod's binding, the host
// pod's status becomes the tenant pod's. A host pod deleted out of band takes its tenant pod with
// it (owners recreate it, as when a node loses a pod); a finished pod stays as it finished. The
// pod's service account tokens follow it down, in a Secret of their own (pod_token_secret.h).
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "syncer/pods/pod_token_secret.h"
#include "syncer/sync_context.h"

namespace vkube::syncer {

class PodSyncer final : public KindSyncer {
 public:
  // `ensure_dependent(resource, ns, name)` puts a referenced object on the host before the pod.
  using EnsureDependent =
      std::function<boost::asio::awaitable<Status>(std::string resource, std::string ns, std::string name)>;
  PodSyncer(SyncContext& ctx, EnsureDependent ensure_dependent);

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer& informer) override;
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

 private:
  boost::asio::awaitable<SyncOutcome> SyncDown(const nlohmann::json& vpod);
  boost::asio::awaitable<SyncOutcome> SyncUp(const nlohmann::json& vpod, const nlohmann::json& hpod);
  boost::asio::awaitable<SyncOutcome> DeleteHost(std::string host_name, std::string uid,
                                                 std::optional<std::int64_t> grace);
  boost::asio::awaitable<Status> EnsureDependents(std::string resource, std::string ns, std::set<std::string> names);
  SyncOutcome FinishVirtualDelete(const nlohmann::json& vpod);

  SyncContext& ctx_;
  EnsureDependent ensure_dependent_;
  PodTokenSecret tokens_{ctx_};
  const std::string resource_ = "pods";
};

}  // namespace vkube::syncer
