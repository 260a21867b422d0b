#include "apiserver-proxy/bootstrap.h"

#include "libs/resource/meta.h"

namespace vkube::apiserver {

Status EnsureSystemNamespaces(store::Store& store, const resource::Registry& registry) {
  const resource::Kind* ns_kind = registry.Find("", "v1", "namespaces");
  if (ns_kind == nullptr) return Error::Make(ErrorCode::kInternal, "registry has no namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    store::Key key{"namespaces", "", name};
    if (store.Get(key).ok()) continue;
    nlohmann::json ns = {{"apiVersion", "v1"},
                         {"kind", "Namespace"},
                         {"metadata",
                          {{"name", name},
                           {"uid", resource::NewUid()},
                           {"creationTimestamp", FormatRfc3339(std::chrono::system_clock::now())}}}};
    ns_kind->strategy->PrepareForCreate(ns);
    auto res = store.Create(key, ns, ns_kind->strategy->GetAttrs(ns));
    if (!res && res.error().code != ErrorCode::kAlreadyExists) return res.take_error();
  }
  return {};
}

}  // namespace vkube::apiserver
