#include "hostsim/scheduling_filters.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using nlohmann::json;

namespace {

constexpr std::int64_t kDefaultMilliCpu = 100;                            // 100m
constexpr std::int64_t kDefaultMemoryMilli = 200LL * 1024 * 1024 * 1000;  // 200Mi
constexpr std::int64_t kMaxScore = 100;

std::optional<std::int64_t> ParseInt(const std::string& s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> Strings(const json& arr) {
  std::vector<std::string> out;
  if (!arr.is_array()) return out;
  for (const auto& v : arr) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// One NodeSelectorRequirement against a value that may be absent (labels) — kube's
// labels.Requirement semantics (NotIn and DoesNotExist match an absent key).
bool MatchRequirement(const json& req, const json& values_by_key) {
  const std::string key = jsonx::Str(req, "key");
  const std::string op = jsonx::Str(req, "operator");
  const json& v = jsonx::Child(values_by_key, key);
  const bool has = v.is_string();
  const std::string value = has ? v.get<std::string>() : "";
  const auto vals = Strings(jsonx::Child(req, "values"));
  const bool in = std::find(vals.begin(), vals.end(), value) != vals.end();
  if (op == "In") return has && in;
  if (op == "NotIn") return !has || !in;
  if (op == "Exists") return has;
  if (op == "DoesNotExist") return !has;
  if (op == "Gt" || op == "Lt") {
    if (!has || vals.size() != 1) return false;
    auto lv = ParseInt(value), rv = ParseInt(vals[0]);
    if (!lv || !rv) return false;
    return op == "Gt" ? *lv > *rv : *lv < *rv;
  }
  return false;
}

// A NodeSelectorTerm: all its expressions and fields match; an empty term matches nothing.
bool MatchTerm(const json& term, const NodeState& node) {
  const json& exprs = jsonx::Child(term, "matchExpressions");
  const json& fields = jsonx::Child(term, "matchFields");
  if (jsonx::Size(term, "matchExpressions") == 0 && jsonx::Size(term, "matchFields") == 0) return false;
  if (exprs.is_array()) {
    for (const auto& r : exprs) {
      if (!MatchRequirement(r, node.labels)) return false;
    }
  }
  if (fields.is_array()) {
    const json node_fields = {{"metadata.name", node.name}};
    for (const auto& r : fields) {
      if (jsonx::Str(r, "key") != "metadata.name") return false;
      if (!MatchRequirement(r, node_fields)) return false;
    }
  }
  return true;
}

std::int64_t Get(const ResourceList& r, const std::string& k) {
  auto it = r.find(k);
  return it == r.end() ? 0 : it->second;
}

std::string TaintText(const json& taint) {
  return "{" + jsonx::Str(taint, "key") + ": " + jsonx::Str(taint, "value") + "}";
}

}  // namespace

NodeState NodeStateFrom(const json& node) {
  NodeState s;
  s.name = jsonx::Str(node, "metadata.name");
  if (const json& l = jsonx::At(node, "metadata.labels"); l.is_object()) s.labels = l;
  if (const json& t = jsonx::At(node, "spec.taints"); t.is_array()) s.taints = t;
  s.unschedulable = jsonx::Bool(node, "spec.unschedulable");
  const json& conds = jsonx::At(node, "status.conditions");
  if (conds.is_array()) {
    for (const auto& c : conds) {
      if (jsonx::Str(c, "type") == "Ready") s.ready = jsonx::Str(c, "status") == "True";
    }
  }
  s.allocatable = Allocatable(node);
  return s;
}

bool ToleratesTaint(const json& toleration, const json& taint) {
  const std::string effect = jsonx::Str(toleration, "effect");
  if (!effect.empty() && effect != jsonx::Str(taint, "effect")) return false;
  const std::string key = jsonx::Str(toleration, "key");
  if (!key.empty() && key != jsonx::Str(taint, "key")) return false;
  const std::string op = jsonx::Str(toleration, "operator");
  if (op == "Exists") return true;
  if (op.empty() || op == "Equal") return jsonx::Str(toleration, "value") == jsonx::Str(taint, "value");
  return false;
}

bool MatchesNodeAffinity(const json& pod, const NodeState& node) {
  const json& selector = jsonx::At(pod, "spec.nodeSelector");
  if (selector.is_object()) {
    for (auto it = selector.begin(); it != selector.end(); ++it) {
      const json& have = jsonx::Child(node.labels, it.key());
      if (!have.is_string() || have != it.value()) return false;
    }
  }
  const json& required =
      jsonx::Child(jsonx::At(pod, "spec.affinity.nodeAffinity"), "requiredDuringSchedulingIgnoredDuringExecution");
  if (!required.is_object()) return true;
  const json& terms = jsonx::Child(required, "nodeSelectorTerms");
  if (!terms.is_array()) return true;
  return std::any_of(terms.begin(), terms.end(), [&](const json& t) { return MatchTerm(t, node); });
}

std::vector<std::string> FilterReasons(const json& pod, const ResourceList& requests, const NodeState& node) {
  const json& tolerations = jsonx::At(pod, "spec.tolerations");
  auto tolerated = [&](const json& taint) {
    if (!tolerations.is_array()) return false;
    return std::any_of(tolerations.begin(), tolerations.end(), [&](const json& t) { return ToleratesTaint(t, taint); });
  };
  // NodeUnschedulable.
  if (node.unschedulable && !tolerated(json{{"key", "node.kubernetes.io/unschedulable"}, {"effect", "NoSchedule"}})) {
    return {"node(s) were unschedulable"};
  }
  // TaintToleration: NoSchedule and NoExecute taints must be tolerated.
  json taints = node.taints;
  if (!node.ready) taints.push_back({{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoSchedule"}});
  for (const auto& t : taints) {
    const std::string effect = jsonx::Str(t, "effect");
    if (effect != "NoSchedule" && effect != "NoExecute") continue;
    if (!tolerated(t)) return {"node(s) had untolerated taint " + TaintText(t)};
  }
  // NodeAffinity.
  if (!MatchesNodeAffinity(pod, node)) return {"node(s) didn't match Pod's node affinity/selector"};
  // NodeResourcesFit: every shortage at once.
  std::vector<std::string> out;
  if (node.pods + 1 > Get(node.allocatable, "pods") / 1000) out.emplace_back("Too many pods");
  auto check = [&](const std::string& name) {
    const std::int64_t want = Get(requests, name);
    if (want > 0 && want > Get(node.allocatable, name) - Get(node.requested, name))
      out.push_back("Insufficient " + name);
  };
  for (const char* r : {"cpu", "memory", "ephemeral-storage"}) check(r);
  for (const auto& [name, _] : requests) {
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage" && name != "pods") check(name);
  }
  return out;
}

ResourceList NonZeroRequests(const ResourceList& requests) {
  ResourceList r = requests;
  if (Get(r, "cpu") == 0) r["cpu"] = kDefaultMilliCpu;
  if (Get(r, "memory") == 0) r["memory"] = kDefaultMemoryMilli;
  return r;
}

std::int64_t Score(const ResourceList& nonzero_requests, const NodeState& node) {
  std::int64_t total = 0;
  for (const char* r : {"cpu", "memory"}) {
    const std::int64_t alloc = Get(node.allocatable, r);
    const std::int64_t used = Get(node.nonzero_requested, r) + Get(nonzero_requests, r);
    if (alloc <= 0 || used > alloc) continue;  // adds 0
    // (alloc - used) * 100 / alloc without overflowing on large memory values.
    total += static_cast<std::int64_t>(static_cast<long double>(alloc - used) * kMaxScore / alloc);
  }
  return total / 2;
}

std::string FitErrorMessage(std::size_t nodes, const std::vector<std::vector<std::string>>& reasons_per_node) {
  if (nodes == 0) return "no nodes available to schedule pods";
  std::map<std::string, std::size_t> histogram;
  for (const auto& reasons : reasons_per_node) {
    for (const auto& r : reasons) ++histogram[r];
  }
  std::vector<std::string> parts;
  for (const auto& [reason, n] : histogram) parts.push_back(std::to_string(n) + " " + reason);
  std::sort(parts.begin(), parts.end());
  std::string msg = "0/" + std::to_string(nodes) + " nodes are available:";
  if (!parts.empty()) {
    msg += " ";
    for (std::size_t i = 0; i < parts.size(); ++i) msg += (i ? ", " : "") + parts[i];
    msg += ".";
  }
  return msg;
}

}  // namespace vkube::hostsim
