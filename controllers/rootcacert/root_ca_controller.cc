#include "controllers/rootcacert/root_ca_controller.h"

#include "controllers/framework/object_util.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace {
constexpr const char* kName = "kube-root-ca.crt";
constexpr const char* kDescription =
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the "
    "internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes "
    "clusters.";
}  // namespace

void RootCaController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "namespaces", .on_add = [this](const store::ObjectPtr& o) { Enqueue("/" + o->key.name); }});
  auto on_cm = [this](const store::ObjectPtr& o) {
    if (o->key.name == kName) Enqueue("/" + o->key.ns);
  };
  informer.AddHandler({.resource = "configmaps",
                       .on_update = [on_cm](const store::ObjectPtr&, const store::ObjectPtr& o) { on_cm(o); },
                       .on_delete = on_cm});
}

void RootCaController::Start() {
  for (const auto& ns : ctx_.informer->List("namespaces")) Enqueue("/" + ns->key.name);
}

Outcome RootCaController::Reconcile(const std::string& key) {
  if (ctx_.root_ca_pem.empty()) return Outcome::kDone;
  const std::string ns = SplitKey(key).second;
  auto ns_obj = ctx_.informer->Get("namespaces", "", ns);
  if (!ns_obj || IsTerminating(Parse(ns_obj))) return Outcome::kDone;
  const resource::Kind* kind = ctx_.objects->Find("", "configmaps");
  auto cur = ctx_.informer->Get("configmaps", ns, kName);
  if (!cur) {
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", kName}, {"namespace", ns}, {"annotations", {{"kubernetes.io/description", kDescription}}}}},
               {"data", {{"ca.crt", ctx_.root_ca_pem}}}};
    auto res = ctx_.objects->Create(*kind, ns, std::move(cm));
    if (!res && res.error().code != ErrorCode::kAlreadyExists && res.error().code != ErrorCode::kForbidden &&
        res.error().code != ErrorCode::kNotFound) {
      return Outcome::kRetry;
    }
    return Outcome::kDone;
  }
  const Json current = Parse(cur);
  const Json& data = resource::jsonx::Child(current, "data");
  // (Child, not At: the key itself contains a dot.)
  if (resource::jsonx::Child(data, "ca.crt") == Json(ctx_.root_ca_pem) && data.size() == 1) return Outcome::kDone;
  auto res = ctx_.objects->GuaranteedUpdate(*kind, ns, kName, [this](const Json& c) -> Result<Json> {
    Json next = c;
    next["data"] = {{"ca.crt", ctx_.root_ca_pem}};
    next.erase("binaryData");
    return next;
  });
  if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
  return Outcome::kDone;
}

}  // namespace vkube::controllers
