#pragma once
// What every per-kind syncer of one tenant shares: the tenant's side (its registry and informer),
// the host's side (client, cache, namespace) and the queue. Passed explicitly: one per tenant.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "controllers/framework/controller.h"
#include "libs/kubeclient/kube_client.h"
#include "libs/translate/pod_translator.h"
#include "syncer/host_cache.h"
#include "syncer/sync_queue.h"

namespace vkube::syncer {

struct SyncContext {
  std::string tenant;
  std::string host_namespace;
  translate::PodTranslateOptions translate;
  controllers::ControllerContext virt;  // the tenant: objects (writes), informer (reads), pool
  kube::KubeClient* host = nullptr;
  HostCache* cache = nullptr;
  std::function<void(const std::string& key)> enqueue;  // "resource/namespace/name"
  // The key again after `delay` (a token to refresh before it expires).
  std::function<void(const std::string& key, std::chrono::milliseconds delay)> enqueue_after;
};

inline std::string SyncKey(const std::string& resource, const std::string& ns, const std::string& name) {
  return resource + "/" + ns + "/" + name;
}

// A failed host write: retried when the host may take it later (throttled, unavailable, lost
// connection) or the cache was behind (conflict); otherwise done (the next event brings the key back).
SyncOutcome OutcomeOf(const Error& host_error);

// Keys for a synced kind's own objects: every tenant add/update/delete of `resource`.
void EnqueueOwnChanges(SyncContext& ctx, controllers::SharedInformer& informer, const std::string& resource);
// The key of the virtual object (of `kind`) a changed host object of `resource` stands for, if it
// is ours. Host objects of another kind (a pod's token Secret among the Secrets) are skipped.
void EnqueueHostChange(SyncContext& ctx, const std::string& resource, std::string_view kind,
                       const nlohmann::json* old_obj, const nlohmann::json* obj);
// Keys of every host copy of `kind` objects in `resource` (a restart's full pass).
void AppendHostKeys(const SyncContext& ctx, const std::string& resource, std::string_view kind,
                    std::vector<std::string>& keys);
// Deletes the host object `host_obj` of `resource` (uid precondition: never a newer object of
// that name). Already gone or replaced counts as done; other failures as OutcomeOf says.
boost::asio::awaitable<SyncOutcome> DeleteHostCopy(SyncContext& ctx, const std::string& resource,
                                                   const nlohmann::json& host_obj);
// Keys of every tenant object of `resource` and of every host copy of its `kind`.
std::vector<std::string> OwnAndHostKeys(const SyncContext& ctx, const std::string& resource, std::string_view kind);

// One synced kind: which events make which keys, and how a key converges.
class KindSyncer {
 public:
  virtual ~KindSyncer() = default;
  virtual const std::string& resource() const = 0;  // the key prefix: "pods", "configmaps", ...
  // Tenant-side events → keys (any kind's, e.g. a pod's references).
  virtual void Register(controllers::SharedInformer& informer) = 0;
  // A host object of `host_resource` changed (either pointer may be null) → keys.
  virtual void OnHostChange(const std::string& host_resource, const nlohmann::json* old_obj,
                            const nlohmann::json* obj) = 0;
  // Keys to reconcile when the syncer (re)starts: everything on either side.
  virtual std::vector<std::string> AllKeys() = 0;
  virtual boost::asio::awaitable<SyncOutcome> Reconcile(std::string ns, std::string name) = 0;
};

}  // namespace vkube::syncer
