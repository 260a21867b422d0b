#pragma once
// kube-apiserver's authorization for one tenant: the system:masters superuser group, then RBAC
// (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac) over the tenant's Role, ClusterRole,
// RoleBinding and ClusterRoleBinding objects. Also what the reviews and the RBAC storage need:
// the rules a user holds in a namespace (SelfSubjectRulesReview) and kube's escalation check
// (a user may only grant what they hold, unless allowed to `escalate` / `bind`).
//
// Cheap per request: RBAC objects are parsed once into an immutable index (bindings by subject,
// roles by name with their rules resolved), published through an atomic shared_ptr. Watches on the
// four RBAC collections mark the index stale; the next request rebuilds it. Knows nothing of HTTP.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "libs/auth/policy_rule.h"
#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::auth {

inline constexpr std::string_view kSystemMasters = "system:masters";
inline constexpr std::string_view kAllAuthenticated = "system:authenticated";
inline constexpr std::string_view kAllUnauthenticated = "system:unauthenticated";
inline constexpr std::string_view kAnonymousUser = "system:anonymous";
inline constexpr std::string_view kServiceAccountPrefix = "system:serviceaccount:";
inline constexpr std::string_view kRbacGroup = "rbac.authorization.k8s.io";

// user.Info. (Field order keeps `UserInfo{name, groups}` valid.)
struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
  std::string uid;
  std::map<std::string, std::vector<std::string>> extra;
};

bool InGroup(const UserInfo& user, std::string_view group);

// system:serviceaccount:NS:NAME, and back (false unless the name has that exact shape).
std::string ServiceAccountUsername(std::string_view ns, std::string_view name);
bool SplitServiceAccountUsername(std::string_view username, std::string* ns, std::string* name);
// system:serviceaccounts, system:serviceaccounts:NS
std::vector<std::string> ServiceAccountGroups(std::string_view ns);

// authorizer.Attributes.
struct Attributes {
  const UserInfo* user = nullptr;
  std::string verb;
  bool resource_request = false;
  std::string api_group;
  std::string api_version;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string path;  // non-resource requests
};

struct Decision {
  bool allowed = false;
  // "RBAC: allowed by ClusterRoleBinding ..." when allowed by RBAC, "" for system:masters; on a
  // denial, "RBAC: <errors>" when some applicable binding referenced a missing role, else "".
  std::string reason;
};

// kube's forbidden text for a denied request (responsewriters.forbiddenMessage plus the reason):
// `User "alice" cannot list resource "pods" in API group "" in the namespace "default"`.
std::string ForbiddenMessage(const Attributes& a, std::string_view reason);

struct RulesReview {
  std::vector<PolicyRule> resource_rules;      // rules with resources
  std::vector<PolicyRule> non_resource_rules;  // rules with nonResourceURLs
  bool incomplete = false;
  std::string evaluation_error;
};

class RbacAuthorizer {
 public:
  explicit RbacAuthorizer(std::shared_ptr<store::Store> store);
  ~RbacAuthorizer();
  RbacAuthorizer(const RbacAuthorizer&) = delete;
  RbacAuthorizer& operator=(const RbacAuthorizer&) = delete;

  // system:masters, then RBAC. Thread-safe.
  Decision Authorize(const Attributes& attributes) const;

  // Every rule granted to `user` in `ns` (cluster bindings, then the namespace's bindings; ns ""
  // = cluster bindings only), for SelfSubjectRulesReview and `kubectl auth can-i --list`.
  RulesReview RulesFor(const UserInfo& user, const std::string& ns) const;

  // The rules a roleRef points at, as bindings resolve them (`Role` in `ns`, or `ClusterRole`).
  // Error message as kube's: `clusterrole.rbac.authorization.k8s.io "x" not found`.
  Result<std::vector<PolicyRule>> RoleRefRules(std::string_view kind, std::string_view name,
                                               const std::string& ns) const;

  // kube's ConfirmNoEscalation: Ok if `user` holds every rule of `rules` in `ns`; otherwise an
  // Error (kForbidden) whose message is kube's `user "x" (groups=[...]) is attempting to grant
  // RBAC permissions not currently held:\n{...}` (the caller wraps it as `<kind> "name" is
  // forbidden: ...`). system:masters always passes.
  Status ConfirmNoEscalation(const UserInfo& user, const std::string& ns, const std::vector<PolicyRule>& rules) const;

  // Marks the index stale (tests; the watches do it on every RBAC change).
  void Invalidate() const { dirty_->store(true, std::memory_order_release); }

  struct Index;

 private:
  std::shared_ptr<const Index> Snapshot() const;
  void Rebuild() const;
  void Watch() const;

  std::shared_ptr<store::Store> store_;
  std::shared_ptr<std::atomic<bool>> dirty_;
  mutable std::mutex mu_;  // rebuilds and the watchers
  mutable std::vector<std::unique_ptr<store::Watcher>> watchers_;
  mutable bool watching_ = false;
  mutable store::Revision built_revision_ = 0;  // without watches: rebuild when the store moved
  mutable std::atomic<std::shared_ptr<const Index>> index_;
};

}  // namespace vkube::auth
