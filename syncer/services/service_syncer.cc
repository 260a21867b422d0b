#include "syncer/services/service_syncer.h"

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/log.h"
#include "libs/kubeclient/api_error.h"
#include "libs/resource/json_access.h"
#include "libs/translate/name_translator.h"
#include "libs/translate/service_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

namespace {

bool Virtual(const std::string& ns, const std::string& name) { return ns == "default" && name == "kubernetes"; }

// Whether another of the tenant's Services holds `ip`.
bool IpTaken(const std::vector<store::ObjectPtr>& services, const std::string& ip, const std::string& uid) {
  for (const auto& s : services) {
    const json svc = controllers::Parse(s);
    if (Str(svc, "metadata.uid") == uid) continue;
    if (Str(svc, "spec.clusterIP") == ip) return true;
    const json& ips = resource::jsonx::At(svc, "spec.clusterIPs");
    if (ips.is_array() && std::find(ips.begin(), ips.end(), json(ip)) != ips.end()) return true;
  }
  return false;
}

}  // namespace

ServiceSyncer::ServiceSyncer(SyncContext& ctx) : ctx_(ctx) {}

void ServiceSyncer::Register(controllers::SharedInformer& informer) { EnqueueOwnChanges(ctx_, informer, resource_); }

void ServiceSyncer::OnHostChange(const std::string& host_resource, const json* old_obj, const json* obj) {
  if (host_resource == resource_) EnqueueHostChange(ctx_, resource_, "Service", old_obj, obj);
}

std::vector<std::string> ServiceSyncer::AllKeys() { return OwnAndHostKeys(ctx_, resource_, "Service"); }

asio::awaitable<SyncOutcome> ServiceSyncer::Reconcile(std::string ns, std::string name) {
  if (Virtual(ns, name)) co_return SyncOutcome::kDone;
  // Read from the store, not the informer: while this syncer re-creates a Service (AdoptClusterIp),
  // the informer may have seen the delete and not yet the create — the host copy must not go.
  const resource::Kind* kind = ctx_.virt.objects->Find("", resource_);
  if (kind == nullptr) co_return SyncOutcome::kDone;
  auto current = ctx_.virt.objects->GetJson(*kind, ns, name);
  if (!current && current.error().code != ErrorCode::kNotFound) co_return SyncOutcome::kRetry;
  const json* vsvc = current ? &*current : nullptr;
  co_return co_await Converge(ns, name, vsvc);
}

asio::awaitable<SyncOutcome> ServiceSyncer::Converge(const std::string& ns, const std::string& name, const json* vsvc) {
  const std::string host_name = translate::HostName(name, ns, ctx_.tenant);
  const kube::ResourceRef ref = kube::ResourceRef::Core(resource_, ctx_.host_namespace);
  const kube::SharedObject host = ctx_.cache->Get(resource_, host_name);
  if (host && !OwnedBy(*host, ctx_.tenant, ns, name)) co_return SyncOutcome::kDone;  // another object's name
  if (vsvc == nullptr || !Str(*vsvc, "metadata.deletionTimestamp").empty()) {
    if (!host) co_return SyncOutcome::kDone;
    kube::DeleteOptions opts;
    opts.precondition_uid = Str(*host, "metadata.uid");
    auto res = co_await ctx_.host->Delete(ref, host_name, opts);
    if (!res && !kube::IsNotFound(res.error())) co_return OutcomeOf(res.error());
    co_return SyncOutcome::kDone;
  }
  json desired = translate::TranslateService(*vsvc, ctx_.translate);
  if (!host) {
    const kube::WriteOptions wo;  // (named: see pod_syncer.cc)
    auto res = co_await ctx_.host->Create(ref, std::move(desired), wo);
    if (!res && !kube::IsAlreadyExists(res.error())) {
      VKUBE_LOG(kWarn) << "syncer " << ctx_.tenant << ": creating host service for " << ns << "/" << name << ": "
                       << res.error().message;
      co_return OutcomeOf(res.error());
    }
    co_return SyncOutcome::kDone;  // the host watch brings its allocations back
  }
  if (auto next = translate::UpdatedHostService(*host, desired)) {
    const kube::WriteOptions wo;
    auto res = co_await ctx_.host->Update(ref, std::move(*next), wo);
    if (!res) co_return OutcomeOf(res.error());
    co_return SyncOutcome::kDone;
  }
  if (auto ip = translate::HostClusterIpToAdopt(*vsvc, *host)) co_return AdoptClusterIp(*vsvc, *ip);
  co_return UpStatus(*vsvc, *host);
}

SyncOutcome ServiceSyncer::AdoptClusterIp(const json& vsvc, const std::string& ip) {
  const std::string ns = Str(vsvc, "metadata.namespace");
  const std::string name = Str(vsvc, "metadata.name");
  const std::string uid = Str(vsvc, "metadata.uid");
  {
    std::lock_guard lock(mu_);
    auto it = refused_.find({ns, name});
    if (it != refused_.end() && it->second == ip) return SyncOutcome::kDone;
  }
  // Another tenant Service may still hold this address (the tenant allocated it before the host
  // gave it elsewhere): wait for that one to move to its own host IP.
  if (IpTaken(ctx_.virt.informer->List(resource_), ip, uid)) return SyncOutcome::kRetry;
  const resource::Kind* kind = ctx_.virt.objects->Find("", resource_);
  registry::DeleteOptions del;
  del.uid_precondition = uid;
  auto deleted = ctx_.virt.objects->Delete(*kind, ns, name, del);
  if (!deleted) {
    return deleted.error().code == ErrorCode::kNotFound || deleted.error().code == ErrorCode::kConflict
               ? SyncOutcome::kDone  // changed meanwhile: its own event brings it back
               : SyncOutcome::kRetry;
  }
  auto created = ctx_.virt.objects->Create(*kind, ns, translate::ServiceWithClusterIp(vsvc, ip));
  if (created) return SyncOutcome::kDone;
  // The tenant's range does not hold the host's address: keep the Service (with an address of
  // its own) rather than lose it, and do not try this address again.
  VKUBE_LOG(kWarn) << "syncer " << ctx_.tenant << ": service " << ns << "/" << name << " cannot take host IP " << ip
                   << ": " << created.error().message;
  {
    std::lock_guard lock(mu_);
    refused_[{ns, name}] = ip;
  }
  json again = translate::ServiceWithClusterIp(vsvc, "");
  again["spec"].erase("clusterIP");
  again["spec"].erase("clusterIPs");
  auto restored = ctx_.virt.objects->Create(*kind, ns, std::move(again));
  if (!restored) {
    VKUBE_LOG(kError) << "syncer " << ctx_.tenant << ": re-creating service " << ns << "/" << name << ": "
                      << restored.error().message;
  }
  return SyncOutcome::kDone;
}

SyncOutcome ServiceSyncer::UpStatus(const json& vsvc, const json& hsvc) {
  const json& status = resource::jsonx::Child(hsvc, "status");
  if (!status.is_object() || status == resource::jsonx::Child(vsvc, "status")) return SyncOutcome::kDone;
  const resource::Kind* kind = ctx_.virt.objects->Find("", resource_);
  Status s = controllers::UpdateStatus(*ctx_.virt.objects, *kind, vsvc, status);
  return s ? SyncOutcome::kDone : SyncOutcome::kRetry;
}

}  // namespace vkube::syncer
