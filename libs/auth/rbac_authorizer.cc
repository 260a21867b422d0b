#include "libs/auth/rbac_authorizer.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>

#include "libs/core/log.h"

namespace vkube::auth {
namespace {

using nlohmann::json;
using RulesPtr = std::shared_ptr<const std::vector<PolicyRule>>;

constexpr const char* kClusterRoles = "rbac.authorization.k8s.io/clusterroles";
constexpr const char* kRoles = "rbac.authorization.k8s.io/roles";
constexpr const char* kClusterRoleBindings = "rbac.authorization.k8s.io/clusterrolebindings";
constexpr const char* kRoleBindings = "rbac.authorization.k8s.io/rolebindings";

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json& Child(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

// utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated in "[a, b]".
std::string Aggregate(const std::vector<std::string>& errors) {
  if (errors.empty()) return "";
  if (errors.size() == 1) return errors[0];
  std::set<std::string> seen;
  std::string out;
  for (const auto& e : errors) {
    if (!seen.insert(e).second) continue;
    if (seen.size() > 1) out += ", ";
    out += e;
  }
  if (seen.size() == 1) return out;
  return "[" + out + "]";
}

bool RuleAllows(const Attributes& a, const PolicyRule& rule) {
  if (a.resource_request) {
    std::string combined = a.resource;
    if (!a.subresource.empty()) combined += "/" + a.subresource;
    return VerbMatches(rule, a.verb) && ApiGroupMatches(rule, a.api_group) &&
           ResourceMatches(rule, combined, a.subresource) && ResourceNameMatches(rule, a.name);
  }
  return VerbMatches(rule, a.verb) && NonResourceUrlMatches(rule, a.path);
}

}  // namespace

// ---- the index ----

struct Subject {
  std::string kind;  // User, Group, ServiceAccount
  std::string name;
  std::string ns;  // as written (ServiceAccount only)
};

struct Binding {
  std::string name;
  std::string ns;  // "" for a ClusterRoleBinding
  std::string role_kind;
  std::string role_name;
  std::vector<Subject> subjects;
  RulesPtr rules;     // null: the role is missing
  std::string error;  // why rules is null
};

// The bindings of one scope (all ClusterRoleBindings, or one namespace's RoleBindings), sorted by
// name, with (binding, subject) positions by user name and by group. Service account subjects are
// indexed under their user name.
struct Scope {
  using Hits = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
  std::vector<Binding> bindings;
  std::unordered_map<std::string, Hits> by_user;
  std::unordered_map<std::string, Hits> by_group;
};

struct RbacAuthorizer::Index {
  std::unordered_map<std::string, RulesPtr> cluster_roles;
  std::unordered_map<std::string, RulesPtr> roles;  // "ns/name"
  Scope cluster;
  std::unordered_map<std::string, Scope> namespaces;
};

namespace {

using Index = RbacAuthorizer::Index;

std::string DescribeSubject(const Subject& s, const std::string& binding_ns) {
  if (s.kind == "ServiceAccount") {
    return "ServiceAccount " + GoQuote(s.name + "/" + (s.ns.empty() ? binding_ns : s.ns));
  }
  return s.kind + " " + GoQuote(s.name);
}

// clusterRoleBindingDescriber / roleBindingDescriber.
std::string DescribeSource(const Binding& b, std::uint32_t subject) {
  std::string out =
      b.ns.empty() ? "ClusterRoleBinding " + GoQuote(b.name) : "RoleBinding " + GoQuote(b.name + "/" + b.ns);
  return out + " of " + b.role_kind + " " + GoQuote(b.role_name) + " to " + DescribeSubject(b.subjects[subject], b.ns);
}

RulesPtr ParseRules(const json& role) {
  return std::make_shared<const std::vector<PolicyRule>>(RulesFromJson(Child(role, "rules")));
}

Result<std::vector<json>> ListParsed(store::Store& store, const char* resource) {
  store::ListOptions opts;
  opts.resource = resource;
  auto res = store.List(opts);
  if (!res) return res.take_error();
  std::vector<json> out;
  out.reserve(res->items.size());
  for (const auto& o : res->items) {
    auto parsed = store::ParsedJson(*o);
    if (parsed && parsed->is_object()) out.push_back(*parsed);
  }
  return out;
}

void AddBinding(Scope& scope, const json& obj, const Index& idx) {
  Binding b;
  const json& meta = Child(obj, "metadata");
  b.name = Str(meta, "name");
  b.ns = Str(meta, "namespace");
  const json& ref = Child(obj, "roleRef");
  b.role_kind = Str(ref, "kind");
  b.role_name = Str(ref, "name");
  if (b.role_kind == "ClusterRole") {
    if (auto it = idx.cluster_roles.find(b.role_name); it != idx.cluster_roles.end()) {
      b.rules = it->second;
    } else {
      b.error = "clusterrole.rbac.authorization.k8s.io " + GoQuote(b.role_name) + " not found";
    }
  } else if (b.role_kind == "Role" && !b.ns.empty()) {
    if (auto it = idx.roles.find(b.ns + "/" + b.role_name); it != idx.roles.end()) {
      b.rules = it->second;
    } else {
      b.error = "role.rbac.authorization.k8s.io " + GoQuote(b.role_name) + " not found";
    }
  } else {
    b.error = "unsupported role reference kind: " + GoQuote(b.role_kind);
  }
  const json& subjects = Child(obj, "subjects");
  const auto bi = static_cast<std::uint32_t>(scope.bindings.size());
  if (subjects.is_array()) {
    for (const auto& s : subjects) {
      Subject sub{Str(s, "kind"), Str(s, "name"), Str(s, "namespace")};
      const auto si = static_cast<std::uint32_t>(b.subjects.size());
      if (sub.kind == "User") {
        scope.by_user[sub.name].emplace_back(bi, si);
      } else if (sub.kind == "Group") {
        scope.by_group[sub.name].emplace_back(bi, si);
      } else if (sub.kind == "ServiceAccount") {
        // appliesToUser: the subject's namespace, else the binding's (none for cluster bindings).
        const std::string& sa_ns = sub.ns.empty() ? b.ns : sub.ns;
        if (!sa_ns.empty()) scope.by_user[ServiceAccountUsername(sa_ns, sub.name)].emplace_back(bi, si);
      }
      b.subjects.push_back(std::move(sub));
    }
  }
  scope.bindings.push_back(std::move(b));
}

Result<std::shared_ptr<const Index>> BuildIndex(store::Store& store) {
  auto idx = std::make_shared<Index>();
  auto cluster_roles = ListParsed(store, kClusterRoles);
  if (!cluster_roles) return cluster_roles.take_error();
  for (const auto& r : *cluster_roles) idx->cluster_roles[Str(Child(r, "metadata"), "name")] = ParseRules(r);
  auto roles = ListParsed(store, kRoles);
  if (!roles) return roles.take_error();
  for (const auto& r : *roles) {
    const json& meta = Child(r, "metadata");
    idx->roles[Str(meta, "namespace") + "/" + Str(meta, "name")] = ParseRules(r);
  }
  // Lists come sorted by (namespace, name): bindings keep kube's usual (name) order.
  auto crbs = ListParsed(store, kClusterRoleBindings);
  if (!crbs) return crbs.take_error();
  for (const auto& b : *crbs) AddBinding(idx->cluster, b, *idx);
  auto rbs = ListParsed(store, kRoleBindings);
  if (!rbs) return rbs.take_error();
  for (const auto& b : *rbs) AddBinding(idx->namespaces[Str(Child(b, "metadata"), "namespace")], b, *idx);
  return std::shared_ptr<const Index>(std::move(idx));
}

// VisitRulesFor over one scope: every rule of every binding that applies to `user`, in binding
// order, with the first matching subject. `visit` returns false to stop (then this returns false).
template <typename Visit>
bool VisitScope(const Scope& scope, const UserInfo& user, std::vector<std::string>& errors, Visit&& visit) {
  Scope::Hits hits;
  auto add = [&hits](const std::unordered_map<std::string, Scope::Hits>& m, const std::string& key) {
    if (auto it = m.find(key); it != m.end()) hits.insert(hits.end(), it->second.begin(), it->second.end());
  };
  add(scope.by_user, user.name);
  for (const auto& g : user.groups) add(scope.by_group, g);
  if (hits.empty()) return true;
  std::sort(hits.begin(), hits.end());
  std::uint32_t last = UINT32_MAX;
  for (const auto& [bi, si] : hits) {
    if (bi == last) continue;  // the first subject that applies describes the binding
    last = bi;
    const Binding& b = scope.bindings[bi];
    if (!b.rules) {
      errors.push_back(b.error);
      continue;
    }
    for (const auto& rule : *b.rules) {
      if (!visit(b, si, rule)) return false;
    }
  }
  return true;
}

template <typename Visit>
void VisitRulesFor(const Index& idx, const UserInfo& user, const std::string& ns, std::vector<std::string>& errors,
                   Visit&& visit) {
  if (!VisitScope(idx.cluster, user, errors, visit)) return;
  if (ns.empty()) return;
  if (auto it = idx.namespaces.find(ns); it != idx.namespaces.end()) VisitScope(it->second, user, errors, visit);
}

}  // namespace

// ---- helpers ----

bool InGroup(const UserInfo& user, std::string_view group) {
  return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
}

std::string ServiceAccountUsername(std::string_view ns, std::string_view name) {
  std::string out(kServiceAccountPrefix);
  out.append(ns).append(":").append(name);
  return out;
}

bool SplitServiceAccountUsername(std::string_view username, std::string* ns, std::string* name) {
  if (username.substr(0, kServiceAccountPrefix.size()) != kServiceAccountPrefix) return false;
  std::string_view rest = username.substr(kServiceAccountPrefix.size());
  auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return false;
  if (rest.find(':', colon + 1) != std::string_view::npos) return false;
  *ns = std::string(rest.substr(0, colon));
  *name = std::string(rest.substr(colon + 1));
  return true;
}

std::vector<std::string> ServiceAccountGroups(std::string_view ns) {
  return {"system:serviceaccounts", "system:serviceaccounts:" + std::string(ns)};
}

std::string ForbiddenMessage(const Attributes& a, std::string_view reason) {
  std::string user = a.user == nullptr ? "" : a.user->name;
  std::string msg = "User " + GoQuote(user) + " cannot " + a.verb;
  if (!a.resource_request) {
    msg += " path " + GoQuote(a.path);
  } else {
    std::string resource = a.resource;
    if (!a.subresource.empty()) resource += "/" + a.subresource;
    msg += " resource " + GoQuote(resource) + " in API group " + GoQuote(a.api_group);
    if (!a.ns.empty()) {
      msg += " in the namespace " + GoQuote(a.ns);
    } else {
      msg += " at the cluster scope";
    }
  }
  if (!reason.empty()) msg += ": " + std::string(reason);
  return msg;
}

// ---- RbacAuthorizer ----

RbacAuthorizer::RbacAuthorizer(std::shared_ptr<store::Store> store)
    : store_(std::move(store)), dirty_(std::make_shared<std::atomic<bool>>(true)) {}

RbacAuthorizer::~RbacAuthorizer() {
  std::lock_guard lock(mu_);
  for (auto& w : watchers_) w->Stop();
}

void RbacAuthorizer::Watch() const {
  for (auto& w : watchers_) w->Stop();
  watchers_.clear();
  watching_ = true;
  for (const char* resource : {kClusterRoles, kRoles, kClusterRoleBindings, kRoleBindings}) {
    store::WatchOptions opts;
    opts.resource = resource;
    opts.max_queue = 256;  // only a signal: a watcher that overflows is re-made at the next rebuild
    auto w = store_->Watch(opts);
    if (!w) {
      watching_ = false;
      break;
    }
    (*w)->SetNotify([dirty = dirty_] { dirty->store(true, std::memory_order_release); });
    watchers_.push_back(std::move(*w));
  }
  if (!watching_) {
    for (auto& w : watchers_) w->Stop();
    watchers_.clear();
  }
}

void RbacAuthorizer::Rebuild() const {
  std::lock_guard lock(mu_);
  const bool fallback = !watching_ && index_.load() != nullptr;
  if (!dirty_->load(std::memory_order_acquire) && !(fallback && store_->CurrentRevision() != built_revision_)) {
    return;  // another request rebuilt it meanwhile
  }
  // Clear first: a change landing while we list marks the index stale again.
  dirty_->store(false, std::memory_order_release);
  bool rewatch = !watching_;
  std::vector<store::Event> drained;
  for (auto& w : watchers_) {
    while (w->Poll(drained, 256) > 0) drained.clear();
    if (w->close_reason() != store::WatchCloseReason::kNone) rewatch = true;
  }
  if (rewatch) Watch();
  const store::Revision rev = store_->CurrentRevision();
  auto built = BuildIndex(*store_);
  if (!built) {
    VKUBE_LOG(kWarn) << "rbac: reading RBAC objects: " << built.error().message;
    dirty_->store(true, std::memory_order_release);
    if (!index_.load()) index_.store(std::make_shared<const Index>());
    return;
  }
  built_revision_ = rev;
  index_.store(std::move(*built));
}

std::shared_ptr<const RbacAuthorizer::Index> RbacAuthorizer::Snapshot() const {
  auto idx = index_.load(std::memory_order_acquire);
  bool stale = idx == nullptr || dirty_->load(std::memory_order_acquire);
  if (!stale) {
    std::unique_lock lock(mu_, std::try_to_lock);
    // Without watches (a store that cannot watch) the index follows the store's revision.
    if (lock.owns_lock() && !watching_) stale = store_->CurrentRevision() != built_revision_;
  }
  if (!stale) return idx;
  Rebuild();
  return index_.load(std::memory_order_acquire);
}

Decision RbacAuthorizer::Authorize(const Attributes& a) const {
  if (a.user == nullptr) return Decision{false, ""};
  if (InGroup(*a.user, kSystemMasters)) return Decision{true, ""};  // kube's privileged-group authorizer
  auto idx = Snapshot();
  std::vector<std::string> errors;
  Decision d;
  VisitRulesFor(*idx, *a.user, a.ns, errors, [&](const Binding& b, std::uint32_t subject, const PolicyRule& rule) {
    if (!RuleAllows(a, rule)) return true;
    d.allowed = true;
    d.reason = "RBAC: allowed by " + DescribeSource(b, subject);
    return false;
  });
  if (!d.allowed && !errors.empty()) d.reason = "RBAC: " + Aggregate(errors);
  return d;
}

RulesReview RbacAuthorizer::RulesFor(const UserInfo& user, const std::string& ns) const {
  auto idx = Snapshot();
  std::vector<std::string> errors;
  RulesReview out;
  VisitRulesFor(*idx, user, ns, errors, [&](const Binding&, std::uint32_t, const PolicyRule& rule) {
    if (!rule.resources.empty()) {
      PolicyRule r = rule;
      r.non_resource_urls.clear();
      out.resource_rules.push_back(std::move(r));
    }
    if (!rule.non_resource_urls.empty())
      out.non_resource_rules.push_back(PolicyRule{rule.verbs, {}, {}, {}, rule.non_resource_urls});
    return true;
  });
  if (!errors.empty()) {
    out.incomplete = true;
    out.evaluation_error = Aggregate(errors);
  }
  return out;
}

Result<std::vector<PolicyRule>> RbacAuthorizer::RoleRefRules(std::string_view kind, std::string_view name,
                                                             const std::string& ns) const {
  auto idx = Snapshot();
  if (kind == "ClusterRole") {
    if (auto it = idx->cluster_roles.find(std::string(name)); it != idx->cluster_roles.end()) return *it->second;
    return Error::Make(ErrorCode::kNotFound, "clusterrole.rbac.authorization.k8s.io " + GoQuote(name) + " not found");
  }
  if (kind == "Role") {
    if (auto it = idx->roles.find(ns + "/" + std::string(name)); it != idx->roles.end()) return *it->second;
    return Error::Make(ErrorCode::kNotFound, "role.rbac.authorization.k8s.io " + GoQuote(name) + " not found");
  }
  return Error::Make(ErrorCode::kBadRequest, "unsupported role reference kind: " + GoQuote(kind));
}

Status RbacAuthorizer::ConfirmNoEscalation(const UserInfo& user, const std::string& ns,
                                           const std::vector<PolicyRule>& rules) const {
  if (InGroup(user, kSystemMasters)) return {};  // rbacregistry.EscalationAllowed
  auto idx = Snapshot();
  std::vector<std::string> errors;
  std::vector<PolicyRule> owner;
  VisitRulesFor(*idx, user, ns, errors, [&](const Binding&, std::uint32_t, const PolicyRule& rule) {
    owner.push_back(rule);
    return true;
  });
  std::vector<PolicyRule> missing;
  if (Covers(owner, rules, &missing)) return {};
  std::set<std::string> descriptions;
  for (const auto& r : CompactRules(missing)) descriptions.insert(CompactString(r));
  std::string msg = "user " + GoQuote(user.name) + " (groups=" + GoQuotedList(user.groups) +
                    ") is attempting to grant RBAC permissions not currently held:";
  for (const auto& d : descriptions) msg += "\n" + d;
  if (!errors.empty()) {
    msg += "; resolution errors: [";
    for (std::size_t i = 0; i < errors.size(); ++i) msg += (i ? " " : "") + errors[i];
    msg += "]";
  }
  return Error::Make(ErrorCode::kForbidden, std::move(msg));
}

}  // namespace vkube::auth
