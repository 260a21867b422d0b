#include "libs/auth/policy_rule.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include "libs/resource/validation.h"

namespace vkube::auth {
namespace {

using nlohmann::json;

constexpr std::string_view kAll = "*";

std::vector<std::string> Strings(const json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  out.reserve(it->size());
  for (const auto& s : *it) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

bool Has(const std::vector<std::string>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool HasAll(const std::vector<std::string>& set, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    if (!Has(set, w)) return false;
  }
  return true;
}

bool ResourceCoversAll(const std::vector<std::string>& set, const std::vector<std::string>& covers) {
  if (Has(set, kAll) || HasAll(set, covers)) return true;
  for (const auto& path : covers) {
    if (Has(set, path)) continue;
    auto slash = path.find('/');
    if (slash == std::string::npos) return false;
    if (!Has(set, "*/" + path.substr(slash + 1))) return false;
  }
  return true;
}

bool NonResourceUrlCovers(std::string_view owner, std::string_view sub) {
  if (owner == sub) return true;
  if (owner.empty() || owner.back() != '*') return false;
  while (!owner.empty() && owner.back() == '*') owner.remove_suffix(1);  // strings.TrimRight(owner, "*")
  return sub.substr(0, owner.size()) == owner;
}

bool NonResourceUrlsCoverAll(const std::vector<std::string>& set, const std::vector<std::string>& covers) {
  for (const auto& path : covers) {
    bool covered = false;
    for (const auto& owner : set) {
      if (NonResourceUrlCovers(owner, path)) {
        covered = true;
        break;
      }
    }
    if (!covered) return false;
  }
  return true;
}

// ruleCovers: `owner` (any shape) covers `sub` (at most one verb, resource, name).
bool RuleCovers(const PolicyRule& owner, const PolicyRule& sub) {
  const bool verbs = Has(owner.verbs, kAll) || HasAll(owner.verbs, sub.verbs);
  const bool groups = Has(owner.api_groups, kAll) || HasAll(owner.api_groups, sub.api_groups);
  const bool resources = ResourceCoversAll(owner.resources, sub.resources);
  const bool urls = NonResourceUrlsCoverAll(owner.non_resource_urls, sub.non_resource_urls);
  bool names = false;
  if (sub.resource_names.empty()) {
    names = owner.resource_names.empty();
  } else {
    names = owner.resource_names.empty() || HasAll(owner.resource_names, sub.resource_names);
  }
  return verbs && groups && resources && names && urls;
}

}  // namespace

PolicyRule PolicyRule::FromJson(const json& rule) {
  PolicyRule r;
  r.verbs = Strings(rule, "verbs");
  r.api_groups = Strings(rule, "apiGroups");
  r.resources = Strings(rule, "resources");
  r.resource_names = Strings(rule, "resourceNames");
  r.non_resource_urls = Strings(rule, "nonResourceURLs");
  return r;
}

json PolicyRule::ToJson() const {
  json out = json::object();
  if (!api_groups.empty()) out["apiGroups"] = api_groups;
  if (!non_resource_urls.empty()) out["nonResourceURLs"] = non_resource_urls;
  if (!resource_names.empty()) out["resourceNames"] = resource_names;
  if (!resources.empty()) out["resources"] = resources;
  out["verbs"] = verbs;
  return out;
}

std::vector<PolicyRule> RulesFromJson(const json& rules) {
  std::vector<PolicyRule> out;
  if (!rules.is_array()) return out;
  out.reserve(rules.size());
  for (const auto& r : rules) {
    if (r.is_object()) out.push_back(PolicyRule::FromJson(r));
  }
  return out;
}

json RulesToJson(const std::vector<PolicyRule>& rules) {
  json out = json::array();
  for (const auto& r : rules) out.push_back(r.ToJson());
  return out;
}

bool VerbMatches(const PolicyRule& rule, std::string_view verb) {
  for (const auto& v : rule.verbs) {
    if (v == kAll || v == verb) return true;
  }
  return false;
}

bool ApiGroupMatches(const PolicyRule& rule, std::string_view group) {
  for (const auto& g : rule.api_groups) {
    if (g == kAll || g == group) return true;
  }
  return false;
}

bool ResourceMatches(const PolicyRule& rule, std::string_view combined, std::string_view subresource) {
  for (const auto& r : rule.resources) {
    if (r == kAll || r == combined) return true;
    if (subresource.empty()) continue;
    // "*/subresource"
    if (r.size() == subresource.size() + 2 && r.compare(0, 2, "*/") == 0 &&
        std::string_view(r).substr(2) == subresource) {
      return true;
    }
  }
  return false;
}

bool ResourceNameMatches(const PolicyRule& rule, std::string_view name) {
  if (rule.resource_names.empty()) return true;
  return Has(rule.resource_names, name);
}

bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path) {
  for (const auto& u : rule.non_resource_urls) {
    if (u == kAll || u == path) return true;
    if (!u.empty() && u.back() == '*') {
      std::string_view prefix(u);
      while (!prefix.empty() && prefix.back() == '*') prefix.remove_suffix(1);
      if (path.substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const auto& g : rule.api_groups) {
    for (const auto& res : rule.resources) {
      for (const auto& v : rule.verbs) {
        if (!rule.resource_names.empty()) {
          for (const auto& n : rule.resource_names) out.push_back(PolicyRule{{v}, {g}, {res}, {n}, {}});
        } else {
          out.push_back(PolicyRule{{v}, {g}, {res}, {}, {}});
        }
      }
    }
  }
  for (const auto& url : rule.non_resource_urls) {
    for (const auto& v : rule.verbs) out.push_back(PolicyRule{{v}, {}, {}, {}, {url}});
  }
  return out;
}

bool Covers(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& servant,
            std::vector<PolicyRule>* missing) {
  bool all = true;
  for (const auto& rule : servant) {
    for (auto& sub : BreakdownRule(rule)) {
      bool covered = false;
      for (const auto& o : owner) {
        if (RuleCovers(o, sub)) {
          covered = true;
          break;
        }
      }
      if (covered) continue;
      all = false;
      if (missing == nullptr) return false;
      missing->push_back(std::move(sub));
    }
  }
  return all;
}

std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules) {
  std::vector<PolicyRule> out;
  // (group, resource, has name, name) → accumulated rule, in first-seen order (kube iterates a map;
  // the caller sorts the printed strings anyway).
  std::map<std::tuple<std::string, std::string, bool, std::string>, std::size_t> simple;
  std::vector<PolicyRule> merged;
  for (const auto& r : rules) {
    const bool is_simple = r.resource_names.size() <= 1 && r.non_resource_urls.empty() && r.api_groups.size() == 1 &&
                           r.resources.size() == 1;
    if (!is_simple) {
      out.push_back(r);
      continue;
    }
    std::string name = r.resource_names.empty() ? "" : r.resource_names[0];
    auto key = std::make_tuple(r.api_groups[0], r.resources[0], !r.resource_names.empty(), name);
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple.emplace(key, merged.size());
      merged.push_back(r);
    } else {
      auto& verbs = merged[it->second].verbs;
      verbs.insert(verbs.end(), r.verbs.begin(), r.verbs.end());
    }
  }
  out.insert(out.end(), merged.begin(), merged.end());
  return out;
}

std::string GoQuote(std::string_view s) { return resource::validation::GoQuote(s); }

std::string GoQuotedList(const std::vector<std::string>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ' ';
    out += GoQuote(list[i]);
  }
  return out + "]";
}

std::string CompactString(const PolicyRule& r) {
  std::vector<std::string> parts;
  if (!r.api_groups.empty()) parts.push_back("APIGroups:" + GoQuotedList(r.api_groups));
  if (!r.resources.empty()) parts.push_back("Resources:" + GoQuotedList(r.resources));
  if (!r.non_resource_urls.empty()) parts.push_back("NonResourceURLs:" + GoQuotedList(r.non_resource_urls));
  if (!r.resource_names.empty()) parts.push_back("ResourceNames:" + GoQuotedList(r.resource_names));
  if (!r.verbs.empty()) parts.push_back("Verbs:" + GoQuotedList(r.verbs));
  std::string out = "{";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

}  // namespace vkube::auth
