#pragma once
// What every in-process controller of a tenant gets and implements. Controllers read from the
// tenant's SharedInformer cache and write through the GenericRegistry (the same admission,
// defaulting and validation as API requests); they keep no global state: one set per tenant.
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "controllers/framework/shared_informer.h"
#include "controllers/framework/work_queue.h"
#include "libs/pki/service_account_tokens.h"
#include "libs/registry/generic_registry.h"

namespace vkube::controllers {

using Json = nlohmann::json;

struct ControllerContext {
  std::string tenant;
  std::shared_ptr<registry::GenericRegistry> objects;
  std::shared_ptr<SharedInformer> informer;
  boost::asio::any_io_executor executor;  // the process-wide controller pool
  std::string root_ca_pem;                // published as kube-root-ca.crt in every namespace
  // The tenant's token signer (the syncer writes pods' tokens for the host); may be null.
  std::shared_ptr<const pki::ServiceAccountTokens> service_account_tokens;
  // kube-controller-manager's --terminated-pod-gc-threshold: finished pods kept per tenant.
  std::size_t terminated_pod_gc_threshold = 12500;
};

class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string_view name() const = 0;
  // Registers event handlers; called before the informer starts.
  virtual void Register(SharedInformer& informer) = 0;
  // Called once the informer's cache is synced.
  virtual void Start() {}
  virtual void Stop() = 0;
};

// A controller driven by one work queue of "namespace/name" keys (level-triggered: Reconcile
// reads the current state from the cache, never from the event).
class QueueController : public Controller {
 public:
  explicit QueueController(ControllerContext ctx, WorkQueueOptions options = {})
      : ctx_(std::move(ctx)),
        queue_(WorkQueue::Create(
            ctx_.executor, [this](const std::string& key) { return Reconcile(key); }, options)) {}
  void Stop() override { queue_->ShutDown(); }

 protected:
  virtual Outcome Reconcile(const std::string& key) = 0;
  void Enqueue(const std::string& key) { queue_->Add(key); }
  void EnqueueAfter(const std::string& key, std::chrono::milliseconds d) { queue_->AddAfter(key, d); }
  void Enqueue(const store::ObjectPtr& obj) { queue_->Add(obj->key.ns + "/" + obj->key.name); }
  // The controller's own kind: reconcile on create and update.
  void EnqueueOnChange(SharedInformer& informer, const std::string& resource);
  // Children (pods of a StatefulSet, Jobs of a CronJob): any event reconciles their controlling
  // owner of kind `owner_kind`.
  void EnqueueOwnerOnEvents(SharedInformer& informer, const std::string& resource, const std::string& owner_kind);

  ControllerContext ctx_;
  std::shared_ptr<WorkQueue> queue_;
};

// The outcome of a failed write from the informer's view. A conflict on a resourceVersion
// precondition means the cache is behind the store: the event that moved the object on is on its
// way and re-queues the key, so backing off would only delay the reaction (repeated conflicts under
// load would otherwise grow the per-key backoff to seconds). Anything else retries with backoff.
inline Outcome RetryUnlessStale(const Error& e) {
  return e.code == ErrorCode::kConflict ? Outcome::kDone : Outcome::kRetry;
}

// "ns/name" → {ns, name}.
inline std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace vkube::controllers
