#include "controllers/namespace/namespace_controller.h"

#include <algorithm>

#include "controllers/framework/object_util.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
constexpr std::chrono::milliseconds kRecheck{1000};  // contents still going (graceful pods, finalizers)
}

void NamespaceController::Register(SharedInformer& informer) {
  auto on_ns = [this](const store::ObjectPtr& obj) {
    if (IsTerminating(*View(obj))) Enqueue("/" + obj->key.name);
  };
  informer.AddHandler({.resource = "namespaces",
                       .on_add = on_ns,
                       .on_update = [on_ns](const store::ObjectPtr&, const store::ObjectPtr& obj) { on_ns(obj); }});
  // The last object leaving a terminating namespace lets it finish.
  informer.AddHandler({.resource = "", .on_delete = [this](const store::ObjectPtr& obj) {
                         if (obj->key.ns.empty()) return;
                         auto ns = ctx_.informer->Get("namespaces", "", obj->key.ns);
                         if (ns && IsTerminating(*View(ns))) Enqueue("/" + obj->key.ns);
                       }});
}

Outcome NamespaceController::Reconcile(const std::string& key) {
  const std::string name = SplitKey(key).second;
  auto ns_obj = ctx_.informer->Get("namespaces", "", name);
  if (!ns_obj) return Outcome::kDone;
  Json ns = Parse(ns_obj);
  if (!IsTerminating(ns)) return Outcome::kDone;
  std::size_t remaining = 0;
  auto kinds = ctx_.objects->kinds();  // custom kinds included: the snapshot keeps them alive
  for (const resource::Kind* k : kinds->kinds()) {
    const resource::Kind& kind = *k;
    if (!kind.info.namespaced) continue;
    for (const auto& obj : ctx_.informer->List(kind.info.StorageResource(), name)) {
      ++remaining;
      if (IsTerminating(Parse(obj))) continue;  // already on its way out
      auto res = ctx_.objects->Delete(kind, name, obj->key.name,
                                      registry::DeleteOptions{.propagation = registry::Propagation::kBackground});
      if (!res && res.error().code != ErrorCode::kNotFound) {
        VKUBE_LOG(kWarn) << "namespace " << name << ": deleting " << kind.info.resource << "/" << obj->key.name
                         << ": " << res.error().message;
      }
    }
  }
  if (remaining > 0) {
    EnqueueAfter(key, kRecheck);
    return Outcome::kDone;
  }
  const resource::Kind* kind = ctx_.objects->Find("", "namespaces");
  auto res = ctx_.objects->GuaranteedUpdate(
      *kind, "", name,
      [](const Json& cur) -> Result<Json> {
        Json next = cur;
        Json& fin = next["spec"]["finalizers"];
        if (fin.is_array()) fin.erase(std::remove(fin.begin(), fin.end(), Json("kubernetes")), fin.end());
        return next;
      },
      registry::WriteOptions{.subresource = "finalize"});
  if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
  return Outcome::kDone;
}

}  // namespace vkube::controllers
