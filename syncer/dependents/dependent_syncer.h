#pragma once
// ConfigMaps, Secrets and PersistentVolumeClaims go to the host only while a tenant pod in their
// namespace references them (volumes, env, envFrom, imagePullSecrets, claims), and leave when the
// last such pod is gone: the host holds exactly what the tenant's running pods need. Data changes
// follow; a PVC's status (Bound, capacity) comes back up.
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "syncer/sync_context.h"

namespace vkube::syncer {

class DependentSyncer final : public KindSyncer {
 public:
  // resource: "configmaps" | "secrets" | "persistentvolumeclaims".
  DependentSyncer(SyncContext& ctx, std::string resource);

  const std::string& resource() const override { return resource_; }
  void Register(controllers::SharedInformer& informer) override;
  void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                    const nlohmann::json* obj) override;
  std::vector<std::string> AllKeys() override;
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) override;

  // Puts the object on the host now (a pod about to be created needs it). OK when the tenant has
  // no such object: the pod then waits on the host as it would in kube.
  boost::asio::awaitable<Status> Ensure(std::string ns, std::string name);

 private:
  bool Referenced(const std::string& ns, const std::string& name) const;
  // Counts the references of `pod` in (+1) or out (-1); enqueues the objects that became (un)used.
  void CountReferences(const store::ObjectPtr& pod, int delta);
  boost::asio::awaitable<Status> Converge(std::string ns, std::string name, bool referenced);

  SyncContext& ctx_;
  const std::string resource_;
  const std::string kind_;  // of the virtual objects (host copies record it)
  // (namespace, name) → pods referencing it, from the pod informer's events: whether an object is
  // still needed is a lookup, not a scan of the namespace's pods.
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::size_t> refs_;
};

}  // namespace vkube::syncer
