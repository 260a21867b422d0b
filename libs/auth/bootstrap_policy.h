#pragma once
// kube-apiserver's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the
// default ClusterRoles and ClusterRoleBindings of a fresh cluster, and ClusterRole aggregation
// (the clusterrole-aggregation controller's rule). Data only: the caller stores them.
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "libs/auth/policy_rule.h"

namespace vkube::auth {

// ClusterRoles (cluster-admin, system:discovery, system:monitoring, system:basic-user,
// system:public-info-viewer, admin/edit/view with their aggregation rules and labels, the
// system:aggregate-to-* roles, system:auth-delegator), labelled `kubernetes.io/bootstrapping:
// rbac-defaults` and annotated `rbac.authorization.kubernetes.io/autoupdate: "true"`. The
// aggregated roles already carry their aggregated rules.
std::vector<nlohmann::json> BootstrapClusterRoles();
// cluster-admin → system:masters, system:discovery and system:basic-user → system:authenticated,
// system:public-info-viewer → system:authenticated + system:unauthenticated, system:monitoring.
std::vector<nlohmann::json> BootstrapClusterRoleBindings();

// The rules `role` should hold by its aggregationRule: every rule (deduplicated, in order) of the
// ClusterRoles in `all` its selectors match, each selector's roles sorted by name, itself skipped.
// nullopt when `role` has no aggregationRule.
std::optional<std::vector<PolicyRule>> AggregatedRules(const nlohmann::json& role,
                                                       const std::vector<nlohmann::json>& all);

}  // namespace vkube::auth
