#include "controllers/serviceaccount/service_account_controller.h"

#include "controllers/framework/object_util.h"

namespace vkube::controllers {

void ServiceAccountController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "namespaces", .on_add = [this](const store::ObjectPtr& o) { Enqueue("/" + o->key.name); }});
  informer.AddHandler({.resource = "serviceaccounts", .on_delete = [this](const store::ObjectPtr& o) {
                         if (o->key.name == "default") Enqueue("/" + o->key.ns);
                       }});
}

void ServiceAccountController::Start() {
  for (const auto& ns : ctx_.informer->List("namespaces")) Enqueue("/" + ns->key.name);
}

Outcome ServiceAccountController::Reconcile(const std::string& key) {
  const std::string ns = SplitKey(key).second;
  auto ns_obj = ctx_.informer->Get("namespaces", "", ns);
  if (!ns_obj || IsTerminating(Parse(ns_obj))) return Outcome::kDone;
  if (ctx_.informer->Get("serviceaccounts", ns, "default")) return Outcome::kDone;
  const resource::Kind* kind = ctx_.objects->Find("", "serviceaccounts");
  Json sa = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "default"}, {"namespace", ns}}}};
  auto res = ctx_.objects->Create(*kind, ns, std::move(sa));
  if (!res && res.error().code != ErrorCode::kAlreadyExists && res.error().code != ErrorCode::kForbidden &&
      res.error().code != ErrorCode::kNotFound) {
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
