#pragma once
// What a fresh virtual cluster has before its first request (kube-apiserver's system namespaces).
#include "libs/core/result.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::apiserver {

// Creates default, kube-system, kube-public and kube-node-lease if missing. Idempotent.
Status EnsureSystemNamespaces(store::Store& store, const resource::Registry& registry);

}  // namespace vkube::apiserver
