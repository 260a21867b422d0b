#pragma once
// What a fresh virtual cluster has before its first request (kube-apiserver's system namespaces).
#include <string>

#include "libs/core/result.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::apiserver {

// Creates default, kube-system, kube-public and kube-node-lease if missing. Idempotent.
Status EnsureSystemNamespaces(store::Store& store, const resource::Registry& registry);
// The `kubernetes` Service in default (ClusterIP `cluster_ip`, 443 → the API server), as
// kube-apiserver maintains it. Idempotent.
Status EnsureApiServerService(store::Store& store, const resource::Registry& registry, const std::string& cluster_ip);
// kube-apiserver's bootstrap RBAC policy (cluster-admin, admin, edit, view, system:discovery,
// system:basic-user, system:public-info-viewer, ... and their ClusterRoleBindings, see
// libs/auth/bootstrap_policy.h), plus vkube:cluster-admin binding the admin user
// (kubernetes-admin) to cluster-admin: each created if missing, never overwritten. Idempotent.
Status EnsureBootstrapPolicy(store::Store& store, const resource::Registry& registry);

}  // namespace vkube::apiserver
