#include "syncer/sync_context.h"

#include "libs/kubeclient/api_error.h"
#include "libs/resource/json_access.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

SyncOutcome OutcomeOf(const Error& e) {
  return kube::IsRetryable(e) || kube::IsConflict(e) ? SyncOutcome::kRetry : SyncOutcome::kDone;
}

void EnqueueOwnChanges(SyncContext& ctx, controllers::SharedInformer& informer, const std::string& resource) {
  auto own = [&ctx, resource](const store::ObjectPtr& obj) {
    ctx.enqueue(SyncKey(resource, obj->key.ns, obj->key.name));
  };
  informer.AddHandler(
      controllers::EventHandler{.resource = resource,
                                .on_add = own,
                                .on_update = [own](const store::ObjectPtr&, const store::ObjectPtr& obj) { own(obj); },
                                .on_delete = own});
}

void EnqueueHostChange(SyncContext& ctx, const std::string& resource, std::string_view kind,
                       const nlohmann::json* old_obj, const nlohmann::json* obj) {
  const nlohmann::json* any = obj != nullptr ? obj : old_obj;
  if (any == nullptr) return;
  if (auto ref = VirtualRefOf(*any, ctx.tenant); ref && ref->kind == kind) {
    ctx.enqueue(SyncKey(resource, ref->ns, ref->name));
  }
}

void AppendHostKeys(const SyncContext& ctx, const std::string& resource, std::string_view kind,
                    std::vector<std::string>& keys) {
  for (const auto& h : ctx.cache->List(resource)) {
    if (auto ref = VirtualRefOf(*h, ctx.tenant); ref && ref->kind == kind) {
      keys.push_back(SyncKey(resource, ref->ns, ref->name));
    }
  }
}

boost::asio::awaitable<SyncOutcome> DeleteHostCopy(SyncContext& ctx, const std::string& resource,
                                                   const nlohmann::json& host_obj) {
  kube::DeleteOptions opts;
  opts.precondition_uid = resource::jsonx::Str(host_obj, "metadata.uid");
  const std::string name = resource::jsonx::Str(host_obj, "metadata.name");
  const kube::ResourceRef ref = kube::ResourceRef::Core(resource, ctx.host_namespace);
  auto res = co_await ctx.host->Delete(ref, name, opts);
  if (res || kube::IsNotFound(res.error()) || kube::IsConflict(res.error())) co_return SyncOutcome::kDone;
  co_return OutcomeOf(res.error());
}

std::vector<std::string> OwnAndHostKeys(const SyncContext& ctx, const std::string& resource, std::string_view kind) {
  std::vector<std::string> keys;
  for (const auto& o : ctx.virt.informer->List(resource)) keys.push_back(SyncKey(resource, o->key.ns, o->key.name));
  AppendHostKeys(ctx, resource, kind, keys);
  return keys;
}

}  // namespace vkube::syncer
