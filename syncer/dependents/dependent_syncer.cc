#include "syncer/dependents/dependent_syncer.h"

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/kubeclient/api_error.h"
#include "libs/resource/json_access.h"
#include "libs/translate/name_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

namespace {

const std::set<std::string>& RefsOf(const translate::PodReferences& refs, const std::string& resource) {
  if (resource == "configmaps") return refs.configmaps;
  if (resource == "secrets") return refs.secrets;
  return refs.pvcs;
}

// The fields of a dependent the syncer keeps equal on the host.
bool SameContent(const json& host, const json& desired) {
  for (const char* field : {"data", "binaryData", "type", "immutable"}) {
    const json& a = resource::jsonx::Child(host, field);
    const json& b = resource::jsonx::Child(desired, field);
    if (a != b) return false;
  }
  return resource::jsonx::At(host, "metadata.labels") == resource::jsonx::At(desired, "metadata.labels") &&
         resource::jsonx::At(host, "metadata.annotations") == resource::jsonx::At(desired, "metadata.annotations");
}

}  // namespace

DependentSyncer::DependentSyncer(SyncContext& ctx, std::string resource)
    : ctx_(ctx),
      resource_(std::move(resource)),
      kind_(resource_ == "configmaps" ? "ConfigMap"
            : resource_ == "secrets"  ? "Secret"
                                      : "PersistentVolumeClaim") {}

void DependentSyncer::Register(controllers::SharedInformer& informer) {
  EnqueueOwnChanges(ctx_, informer, resource_);
  // A pod's references come and go with the pod (a running pod's volumes and env cannot change).
  informer.AddHandler(
      controllers::EventHandler{.resource = "pods",
                                .on_add = [this](const store::ObjectPtr& pod) { CountReferences(pod, +1); },
                                .on_update = nullptr,
                                .on_delete = [this](const store::ObjectPtr& pod) { CountReferences(pod, -1); }});
}

void DependentSyncer::CountReferences(const store::ObjectPtr& pod, int delta) {
  const translate::PodReferences refs = translate::ReferencesOf(*controllers::View(pod));
  std::vector<std::string> changed;
  {
    std::lock_guard lock(mu_);
    for (const auto& name : RefsOf(refs, resource_)) {
      auto key = std::make_pair(pod->key.ns, name);
      std::size_t& n = refs_[key];
      if (delta > 0) {
        // A new pod's dependents are put on the host by the pod syncer (Ensure) before the pod.
        ++n;
        continue;
      }
      if (n > 0) --n;
      if (n == 0) {
        refs_.erase(key);
        changed.push_back(name);
      }
    }
  }
  for (const auto& name : changed) ctx_.enqueue(SyncKey(resource_, pod->key.ns, name));
}

void DependentSyncer::OnHostChange(const std::string& host_resource, const json* old_obj, const json* obj) {
  if (host_resource == resource_) EnqueueHostChange(ctx_, resource_, kind_, old_obj, obj);
}

std::vector<std::string> DependentSyncer::AllKeys() {
  std::vector<std::string> keys;
  for (const auto& pod : ctx_.virt.informer->List("pods")) {
    const translate::PodReferences refs = translate::ReferencesOf(*controllers::View(pod));
    for (const auto& name : RefsOf(refs, resource_)) keys.push_back(SyncKey(resource_, pod->key.ns, name));
  }
  AppendHostKeys(ctx_, resource_, kind_, keys);
  return keys;
}

bool DependentSyncer::Referenced(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = refs_.find(std::make_pair(ns, name));
  return it != refs_.end() && it->second > 0;
}

asio::awaitable<SyncOutcome> DependentSyncer::Reconcile(std::string ns, std::string name) {
  const bool referenced = Referenced(ns, name);
  Status s = co_await Converge(ns, name, referenced);
  if (s) co_return SyncOutcome::kDone;
  co_return OutcomeOf(s.error());
}

asio::awaitable<Status> DependentSyncer::Ensure(std::string ns, std::string name) {
  co_return co_await Converge(std::move(ns), std::move(name), true);
}

asio::awaitable<Status> DependentSyncer::Converge(std::string ns, std::string name, bool referenced) {
  const std::string host_name = translate::HostName(name, ns, ctx_.tenant);
  const kube::ResourceRef ref = kube::ResourceRef::Core(resource_, ctx_.host_namespace);
  const kube::SharedObject host = ctx_.cache->Get(resource_, host_name);
  if (host && !OwnedBy(*host, ctx_.tenant, ns, name)) co_return Status{};  // another object's name
  store::ObjectPtr vobj = ctx_.virt.informer->Get(resource_, ns, name);
  if (vobj == nullptr || !referenced) {
    if (!host) co_return Status{};
    kube::DeleteOptions opts;
    opts.precondition_uid = Str(*host, "metadata.uid");
    auto res = co_await ctx_.host->Delete(ref, host_name, opts);
    if (!res && !kube::IsNotFound(res.error()) && !kube::IsConflict(res.error())) co_return res.take_error();
    co_return Status{};
  }
  const json v = controllers::Parse(vobj);
  json desired = translate::TranslateDependent(v, ctx_.translate);
  if (!host) {
    const kube::WriteOptions wo;  // (named: see pod_syncer.cc)
    auto res = co_await ctx_.host->Create(ref, std::move(desired), wo);
    if (!res && !kube::IsAlreadyExists(res.error())) co_return res.take_error();
    co_return Status{};
  }
  if (resource_ == "persistentvolumeclaims") {
    // A claim's spec is the host's once bound; its status (phase, capacity) is the tenant's news.
    json status = resource::jsonx::Child(*host, "status");
    const resource::Kind* kind = ctx_.virt.objects->Find("", resource_);
    if (kind != nullptr && status.is_object() && status != resource::jsonx::Child(v, "status")) {
      co_return controllers::UpdateStatus(*ctx_.virt.objects, *kind, v, status);
    }
    co_return Status{};
  }
  if (SameContent(*host, desired)) co_return Status{};
  desired["metadata"]["resourceVersion"] = Str(*host, "metadata.resourceVersion");
  const kube::WriteOptions wo;
  auto res = co_await ctx_.host->Update(ref, std::move(desired), wo);
  if (!res) co_return res.take_error();
  co_return Status{};
}

}  // namespace vkube::syncer
