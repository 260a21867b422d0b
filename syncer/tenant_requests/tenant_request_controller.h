#pragma once
// `vkube serve --tenant-requests`: a shared instance serves the tenants that host namespaces ask
// for (the chart's `mode: shared`). It lists and watches host ConfigMaps labelled
// vkube.dev/tenant-request=true, creates each requested tenant with the request's namespace as
// its host namespace, writes the tenant's kubeconfig into the requested Secret there and deletes
// the tenant when the request goes (helm uninstall), also when that happened while it was down.
// What it made of each request is written back as the vkube.dev/tenant-status annotation.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "libs/kubeclient/kube_client.h"
#include "libs/kubeclient/reflector.h"
#include "libs/net/task_group.h"
#include "syncer/sync_queue.h"
#include "syncer/tenant_requests/tenant_request.h"
#include "tenancy/tenant_kubeconfig.h"
#include "tenancy/tenant_manager.h"

namespace vkube::syncer {

struct TenantRequestOptions {
  tenancy::TenantManager* tenants = nullptr;   // outlives the controller
  std::shared_ptr<kube::KubeClient> host;      // needs cluster-wide list/watch of configmaps
  boost::asio::any_io_executor host_executor;  // the watch
  boost::asio::any_io_executor executor;       // reconciles: tenant create/delete block a thread
  // Where tenants answer (the listener, or --kubeconfig-server); a request without `server` gets
  // ENDPOINT/tenants/NAME in its kubeconfig.
  tenancy::TenantEndpoint endpoint;
  // Every request is reconciled again this often (an informer's resync): a tenant deleted behind
  // the request's back (admin API) comes back, a failed cleanup is retried.
  std::chrono::milliseconds resync_period{std::chrono::minutes(5)};
};

class TenantRequestController {
 public:
  explicit TenantRequestController(TenantRequestOptions options);
  ~TenantRequestController();  // Stop()
  TenantRequestController(const TenantRequestController&) = delete;
  TenantRequestController& operator=(const TenantRequestController&) = delete;

  void Start();
  // Stops the watch, then waits for a running reconcile. Not from a thread of either executor.
  void Stop();

 private:
  boost::asio::awaitable<SyncOutcome> Reconcile(std::string key);
  // The tenant, created or found, and its kubeconfig Secret; kRetry on a failure worth retrying.
  boost::asio::awaitable<SyncOutcome> Serve(const TenantRequest& request, const kube::SharedObject& object);
  // Deletes tenants this request made that it no longer wants (all when `keep` is null).
  Result<bool> DeleteOwned(const std::string& key, const TenantRequest* keep);
  // Ok when the instance may list pods in `ns` (the syncer's Role is bound there).
  boost::asio::awaitable<Status> CheckAccess(const std::string& ns);
  boost::asio::awaitable<SyncOutcome> SetStatus(const kube::SharedObject& object, const std::string& status);
  kube::SharedObject Lookup(const std::string& key) const;
  void RequeueAll();
  boost::asio::awaitable<void> Resync();

  TenantRequestOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, kube::SharedObject> requests_;  // NAMESPACE/NAME → last seen ConfigMap
  std::shared_ptr<SyncQueue> queue_;
  std::unique_ptr<kube::Reflector> reflector_;
  net::TaskGroup resync_;
  std::once_flag stopped_;
};

}  // namespace vkube::syncer
