#include "syncer/endpoints/endpoints_syncer.h"

#include "controllers/framework/object_util.h"
#include "libs/kubeclient/api_error.h"
#include "libs/resource/json_access.h"
#include "libs/translate/endpoints_translator.h"
#include "libs/translate/name_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

void EndpointsSyncer::Register(controllers::SharedInformer& informer) {
  EnqueueOwnChanges(ctx_, informer, resource_);
  // A Service gaining or losing its selector decides whether its Endpoints are the tenant's.
  auto service = [this](const store::ObjectPtr& obj) { ctx_.enqueue(SyncKey(resource_, obj->key.ns, obj->key.name)); };
  informer.AddHandler(controllers::EventHandler{
      .resource = "services",
      .on_add = service,
      .on_update = [service](const store::ObjectPtr&, const store::ObjectPtr& obj) { service(obj); },
      .on_delete = service});
}

void EndpointsSyncer::OnHostChange(const std::string& host_resource, const json* old_obj, const json* obj) {
  if (host_resource == resource_) EnqueueHostChange(ctx_, resource_, "Endpoints", old_obj, obj);
}

std::vector<std::string> EndpointsSyncer::AllKeys() { return OwnAndHostKeys(ctx_, resource_, "Endpoints"); }

asio::awaitable<SyncOutcome> EndpointsSyncer::Reconcile(std::string ns, std::string name) {
  const std::string host_name = translate::HostName(name, ns, ctx_.tenant);
  const kube::ResourceRef ref = kube::ResourceRef::Core(resource_, ctx_.host_namespace);
  const kube::SharedObject host = ctx_.cache->Get(resource_, host_name);
  // Host Endpoints that are not our copy (the host controller's, for a Service with a selector)
  // are never touched.
  const bool ours = host && OwnedBy(*host, ctx_.tenant, ns, name);
  store::ObjectPtr svc = ctx_.virt.informer->Get("services", ns, name);
  store::ObjectPtr vep = ctx_.virt.informer->Get(resource_, ns, name);
  const bool wanted = svc != nullptr && vep != nullptr && translate::HasManualEndpoints(*controllers::View(svc)) &&
                      !(ns == "default" && name == "kubernetes");  // (the tenant API's own: virtual)
  if (!wanted) {
    if (!ours) co_return SyncOutcome::kDone;
    co_return co_await DeleteHostCopy(ctx_, resource_, *host);
  }
  json desired = translate::TranslateEndpoints(*controllers::View(vep), ctx_.translate);
  if (!host) {
    const kube::WriteOptions wo;  // (named: see pod_syncer.cc)
    auto res = co_await ctx_.host->Create(ref, std::move(desired), wo);
    if (!res && !kube::IsAlreadyExists(res.error())) co_return OutcomeOf(res.error());
    co_return SyncOutcome::kDone;
  }
  if (!ours) co_return SyncOutcome::kDone;  // the host controller's (a selector on the host side)
  auto next = translate::UpdatedHostEndpoints(*host, desired);
  if (!next) co_return SyncOutcome::kDone;
  const kube::WriteOptions wo;
  auto res = co_await ctx_.host->Update(ref, std::move(*next), wo);
  if (!res) co_return OutcomeOf(res.error());
  co_return SyncOutcome::kDone;
}

}  // namespace vkube::syncer
