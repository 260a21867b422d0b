#include "controllers/resourcequota/resource_quota_controller.h"

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/registry/admission/resource_quota.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

void ResourceQuotaController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "resourcequotas",
                       .on_add = [this](const store::ObjectPtr& o) { Enqueue(o->key.ns + "/" + o->key.name); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) {
                         Enqueue(o->key.ns + "/" + o->key.name);
                       }});
  // Any namespaced object may charge a quota; only namespaces that have quotas pay for the lookup.
  informer.AddHandler({.resource = "",
                       .on_add = [this](const store::ObjectPtr& o) { EnqueueQuotasOf(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { EnqueueQuotasOf(o); },
                       .on_delete = [this](const store::ObjectPtr& o) { EnqueueQuotasOf(o); }});
}

void ResourceQuotaController::Start() {
  for (const auto& q : ctx_.informer->List("resourcequotas")) Enqueue(q->key.ns + "/" + q->key.name);
}

void ResourceQuotaController::EnqueueQuotasOf(const store::ObjectPtr& obj) {
  if (obj->key.ns.empty() || obj->key.resource == "resourcequotas") return;
  for (const auto& q : ctx_.informer->List("resourcequotas", obj->key.ns)) Enqueue(q->key.ns + "/" + q->key.name);
}

Outcome ResourceQuotaController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto cached = ctx_.informer->Get("resourcequotas", ns, name);
  if (!cached) return Outcome::kDone;
  const Json quota = Parse(cached);
  const Json& hard = resource::jsonx::At(quota, "spec.hard");
  registry::QuotaUsage used;
  for (const auto& res : registry::ChargedResources(*ctx_.objects->kinds(), hard)) {
    const auto slash = res.find('/');
    const resource::Kind* kind = slash == std::string::npos ? ctx_.objects->Find("", res)
                                                            : ctx_.objects->Find(res.substr(0, slash), res.substr(slash + 1));
    if (kind == nullptr) continue;
    for (const auto& o : ctx_.informer->List(res, ns)) registry::AddUsage(hard, registry::QuotaCharge(*kind, Parse(o)), used);
  }
  Json used_json = Json::object();
  if (hard.is_object()) {
    for (const auto& [k, _] : hard.items()) {
      auto it = used.find(k);
      used_json[k] = it == used.end() ? "0" : it->second.String();
    }
  }
  Json status = {{"hard", hard.is_object() ? hard : Json::object()}, {"used", used_json}};
  const resource::Kind* kind = ctx_.objects->Find("", "resourcequotas");
  if (kind == nullptr) return Outcome::kDone;
  auto s = UpdateStatus(*ctx_.objects, *kind, quota, status);
  return s ? Outcome::kDone : Outcome::kRetry;
}

}  // namespace vkube::controllers
