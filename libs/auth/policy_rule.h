#pragma once
// rbac.authorization.k8s.io/v1 PolicyRule and the pure rule algebra of kube's RBAC
// (k8s.io/kubernetes/pkg/apis/rbac/v1 helpers and pkg/registry/rbac/validation): matching a
// request against a rule, coverage of one rule set by another (escalation checks), and the compact
// text kube prints for missing rules. No store, no HTTP.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vkube::auth {

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  bool operator==(const PolicyRule&) const = default;

  // From/to the JSON form (verbs, apiGroups, resources, resourceNames, nonResourceURLs); empty
  // lists are omitted on output, as kube serializes them. Non-string entries are ignored.
  static PolicyRule FromJson(const nlohmann::json& rule);
  nlohmann::json ToJson() const;
};

// Every rule of a `rules` array (non-objects skipped).
std::vector<PolicyRule> RulesFromJson(const nlohmann::json& rules);
nlohmann::json RulesToJson(const std::vector<PolicyRule>& rules);

// rbacv1helpers.VerbMatches / APIGroupMatches / ResourceMatches / ResourceNameMatches /
// NonResourceURLMatches.
bool VerbMatches(const PolicyRule& rule, std::string_view verb);
bool ApiGroupMatches(const PolicyRule& rule, std::string_view group);
// `combined` is "resource" or "resource/subresource"; "*/subresource" rules match any resource's
// subresource.
bool ResourceMatches(const PolicyRule& rule, std::string_view combined, std::string_view subresource);
bool ResourceNameMatches(const PolicyRule& rule, std::string_view name);
bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path);

// Escalation checks (policy_comparator.go): every atomic piece of `servant` is covered by some
// owner rule. `missing` gets the uncovered atomic rules.
bool Covers(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& servant,
            std::vector<PolicyRule>* missing = nullptr);
// One rule per (group, resource, verb[, name]) and per (url, verb).
std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule);
// Merges single group/resource rules that differ only by verb (kube's CompactRules).
std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules);
// `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}` (rbacv1helpers.CompactString).
std::string CompactString(const PolicyRule& rule);
// Go's %q of a []string: `["a" "b"]`.
std::string GoQuotedList(const std::vector<std::string>& list);
// Go's %q of a string.
std::string GoQuote(std::string_view s);

}  // namespace vkube::auth
