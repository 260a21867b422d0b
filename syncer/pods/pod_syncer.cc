#include "syncer/pods/pod_syncer.h"

#include "controllers/framework/object_util.h"
#include "libs/core/log.h"
#include "libs/kubeclient/api_error.h"
#include "libs/registry/binding.h"
#include "libs/resource/json_access.h"
#include "libs/resource/status.h"
#include "libs/translate/name_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

PodSyncer::PodSyncer(SyncContext& ctx, EnsureDependent ensure_dependent)
    : ctx_(ctx), ensure_dependent_(std::move(ensure_dependent)) {}

void PodSyncer::Register(controllers::SharedInformer& informer) {
  auto enqueue = [this](const store::ObjectPtr& obj) { ctx_.enqueue(SyncKey(resource_, obj->key.ns, obj->key.name)); };
  informer.AddHandler(controllers::EventHandler{
      .resource = "pods",
      .on_add = enqueue,
      .on_update = [enqueue](const store::ObjectPtr&, const store::ObjectPtr& obj) { enqueue(obj); },
      .on_delete = enqueue});
}

void PodSyncer::OnHostChange(const std::string& host_resource, const json* old_obj, const json* obj) {
  if (host_resource != "pods" && host_resource != "secrets") return;
  // A pod's token Secret matters to it only when it goes (re-made then); its creates and renewals
  // are the syncer's own writes.
  if (host_resource == "secrets" && obj != nullptr) return;
  const json* any = obj != nullptr ? obj : old_obj;
  if (any == nullptr) return;
  if (auto ref = VirtualRefOf(*any, ctx_.tenant); ref && ref->kind == "Pod")
    ctx_.enqueue(SyncKey(resource_, ref->ns, ref->name));
}

std::vector<std::string> PodSyncer::AllKeys() {
  std::vector<std::string> keys;
  for (const auto& p : ctx_.virt.informer->List("pods")) keys.push_back(SyncKey(resource_, p->key.ns, p->key.name));
  for (const char* r : {"pods", "secrets"}) {
    for (const auto& h : ctx_.cache->List(r)) {
      if (auto ref = VirtualRefOf(*h, ctx_.tenant); ref && ref->kind == "Pod")
        keys.push_back(SyncKey(resource_, ref->ns, ref->name));
    }
  }
  return keys;
}

asio::awaitable<SyncOutcome> PodSyncer::Reconcile(std::string ns, std::string name) {
  const std::string host_name = translate::HostName(name, ns, ctx_.tenant);
  const kube::SharedObject hpod = ctx_.cache->Get("pods", host_name);
  if (hpod) {
    auto ref = VirtualRefOf(*hpod, ctx_.tenant);
    if (!ref || ref->kind != "Pod" || ref->ns != ns || ref->name != name) {
      // Another object's host name (the "-x-" join is ambiguous): never touch it.
      VKUBE_LOG(kWarn) << "syncer " << ctx_.tenant << ": host pod " << host_name << " belongs to another object";
      co_return SyncOutcome::kDone;
    }
  }
  store::ObjectPtr vobj = ctx_.virt.informer->Get("pods", ns, name);
  if (vobj == nullptr) {
    // The host pod first; its token Secret once it is gone (its delete event brings the key back).
    if (!hpod) co_return co_await tokens_.Remove(host_name);
    co_return co_await DeleteHost(host_name, Str(*hpod, "metadata.uid"), std::nullopt);
  }
  const json vpod = controllers::Parse(vobj);
  const std::string vuid = Str(vpod, "metadata.uid");
  if (hpod && AnnotationOf(*hpod, translate::kUidAnnotation) != vuid) {
    // A host pod left by an earlier tenant pod of the same name: replace it.
    co_return co_await DeleteHost(host_name, Str(*hpod, "metadata.uid"), 0);
  }
  if (controllers::IsTerminating(vpod)) {
    if (!hpod) co_return FinishVirtualDelete(vpod);
    if (controllers::IsTerminating(*hpod)) co_return SyncOutcome::kDone;  // the host's delete event comes back
    std::optional<std::int64_t> grace;
    if (resource::jsonx::Has(vpod["metadata"], "deletionGracePeriodSeconds")) {
      grace = resource::jsonx::Int(vpod, "metadata.deletionGracePeriodSeconds");
    }
    co_return co_await DeleteHost(host_name, Str(*hpod, "metadata.uid"), grace);
  }
  if (!hpod) co_return co_await SyncDown(vpod);
  // Its tokens (renewed; re-made if deleted) never hold up its status: a pod whose service
  // account does not exist yet still shows the tenant it runs, and is retried for the token.
  const SyncOutcome tokens = co_await tokens_.Ensure(vpod);
  const SyncOutcome up = co_await SyncUp(vpod, *hpod);
  if (up != SyncOutcome::kDone) co_return up;
  co_return tokens;
}

asio::awaitable<SyncOutcome> PodSyncer::SyncDown(const json& vpod) {
  const std::string phase = Str(vpod, "status.phase");
  if (phase == "Succeeded" || phase == "Failed") co_return SyncOutcome::kDone;  // finished: nothing to run
  if (!Str(vpod, "status.hostIP").empty()) {
    // It ran on the host and its host pod is gone (deleted out of band, node lost): like kube's
    // pod GC for a pod whose node forgot it, the tenant pod goes too; its owner replaces it.
    co_return FinishVirtualDelete(vpod);
  }
  const std::string ns = Str(vpod, "metadata.namespace");
  const translate::PodReferences refs = translate::ReferencesOf(vpod);
  Status deps = co_await EnsureDependents("configmaps", ns, refs.configmaps);
  if (deps) deps = co_await EnsureDependents("secrets", ns, refs.secrets);
  if (deps) deps = co_await EnsureDependents("persistentvolumeclaims", ns, refs.pvcs);
  if (!deps) co_return SyncOutcome::kRetry;
  json hpod = translate::TranslatePod(vpod, ctx_.translate);
  // Named arguments, never temporaries or defaulted class-type arguments in a co_await expression:
  // GCC 12 destroys those twice in coroutines.
  const kube::ResourceRef ref = kube::ResourceRef::Core("pods", ctx_.host_namespace);
  const kube::WriteOptions wo;
  auto created = co_await ctx_.host->Create(ref, std::move(hpod), wo);
  if (created || kube::IsAlreadyExists(created.error())) {
    // Its token Secret right after (not before: the pod's sync lag does not wait on it); a
    // kubelet mounting the pod's volumes waits for a Secret that is not there yet.
    co_return co_await tokens_.Ensure(vpod);
  }
  VKUBE_LOG(kWarn) << "syncer " << ctx_.tenant << ": creating host pod for " << ns << "/" << Str(vpod, "metadata.name")
                   << ": " << created.error().message;
  co_return SyncOutcome::kRetry;
}

asio::awaitable<Status> PodSyncer::EnsureDependents(std::string resource, std::string ns, std::set<std::string> names) {
  for (const auto& dep : names) {
    Status s = co_await ensure_dependent_(resource, ns, dep);
    if (!s) co_return s;
  }
  co_return Status{};
}

asio::awaitable<SyncOutcome> PodSyncer::SyncUp(const json& vpod, const json& hpod) {
  const std::string ns = Str(vpod, "metadata.namespace");
  const std::string name = Str(vpod, "metadata.name");
  // Down: what may change on a running pod.
  if (auto next = translate::UpdatedHostPod(hpod, translate::TranslateMutablePodFields(vpod, ctx_.translate))) {
    const kube::ResourceRef ref = kube::ResourceRef::Core("pods", ctx_.host_namespace);
    const kube::WriteOptions wo;
    auto updated = co_await ctx_.host->Update(ref, std::move(*next), wo);
    if (!updated) co_return OutcomeOf(updated.error());
  }
  // Up: the node the host scheduled it on, then its status.
  const std::string node = Str(hpod, "spec.nodeName");
  if (!node.empty() && Str(vpod, "spec.nodeName").empty()) {
    auto bound = registry::BindPod(*ctx_.virt.objects, ns, name,
                                   registry::MakeBinding(ns, name, Str(vpod, "metadata.uid"), node));
    // Conflict: already bound (this view is older than the store): its event is on the way.
    if (bound || bound.error().code == ErrorCode::kNotFound || bound.error().code == ErrorCode::kConflict) {
      co_return SyncOutcome::kDone;  // the binding's event brings the pod back with its new version
    }
    co_return SyncOutcome::kRetry;
  }
  json status = translate::VirtualPodStatus(hpod);
  if (status.empty() || vpod.value("status", json::object()) == status) co_return SyncOutcome::kDone;
  const resource::Kind* pods = ctx_.virt.objects->Find("", "pods");
  if (pods == nullptr) co_return SyncOutcome::kDone;
  // The host pod is the status's only source (as the runtime is for kubelet, which writes status
  // without a precondition): no version check, so a tenant cache running behind costs no retry.
  const std::string vuid = Str(vpod, "metadata.uid");
  auto res = ctx_.virt.objects->GuaranteedUpdate(
      *pods, ns, name,
      [&](const json& cur) -> Result<json> {
        if (Str(cur, "metadata.uid") != vuid) return resource::NotFound("", "pods", name);  // another pod now
        json n = cur;
        n["status"] = status;
        return n;
      },
      registry::WriteOptions{.subresource = "status"});
  if (res || res.error().code == ErrorCode::kNotFound) co_return SyncOutcome::kDone;
  co_return SyncOutcome::kRetry;
}

asio::awaitable<SyncOutcome> PodSyncer::DeleteHost(std::string host_name, std::string uid,
                                                   std::optional<std::int64_t> grace) {
  kube::DeleteOptions opts;
  if (!uid.empty()) opts.precondition_uid = uid;
  opts.grace_period_seconds = grace;
  const kube::ResourceRef ref = kube::ResourceRef::Core("pods", ctx_.host_namespace);
  auto res = co_await ctx_.host->Delete(ref, host_name, opts);
  if (res || kube::IsNotFound(res.error()) || kube::IsConflict(res.error())) co_return SyncOutcome::kDone;
  co_return SyncOutcome::kRetry;
}

SyncOutcome PodSyncer::FinishVirtualDelete(const json& vpod) {
  const resource::Kind* pods = ctx_.virt.objects->Find("", "pods");
  if (pods == nullptr) return SyncOutcome::kDone;
  registry::DeleteOptions opts;
  opts.grace_period_seconds = 0;
  opts.uid_precondition = Str(vpod, "metadata.uid");
  auto res = ctx_.virt.objects->Delete(*pods, Str(vpod, "metadata.namespace"), Str(vpod, "metadata.name"), opts);
  if (res || res.error().code == ErrorCode::kNotFound || res.error().code == ErrorCode::kConflict) {
    return SyncOutcome::kDone;
  }
  return SyncOutcome::kRetry;
}

}  // namespace vkube::syncer
