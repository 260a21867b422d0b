// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding: path-segment
// names, SetDefaults for roleRef and subject API groups, ValidatePolicyRule, the subject kinds,
// an immutable roleRef, and the RBAC printers.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr const char* kRbacGroup = "rbac.authorization.k8s.io";

std::string Idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string GoStrings(const json& arr) {
  if (!arr.is_array() || arr.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < arr.size(); ++i) out += (i ? ", " : "") + v::GoValue(arr[i]);
  return out + "}";
}

void ValidateRules(const json& role, bool namespaced, std::vector<FieldCause>& errs) {
  const json& rules = jsonx::Child(role, "rules");
  if (!rules.is_array()) return;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string p = Idx("rules", i);
    const json& rule = rules[i];
    if (jsonx::Size(rule, "verbs") == 0) errs.push_back(v::Required(p + ".verbs", "verbs must contain at least one value"));
    if (jsonx::Size(rule, "nonResourceURLs") > 0) {
      const std::string urls = GoStrings(jsonx::Child(rule, "nonResourceURLs"));
      if (namespaced) {
        errs.push_back(v::Invalid(p + ".nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs"));
      }
      if (jsonx::Size(rule, "apiGroups") + jsonx::Size(rule, "resources") + jsonx::Size(rule, "resourceNames") > 0) {
        errs.push_back(v::Invalid(p + ".nonResourceURLs", urls,
                                  "rules cannot apply to both regular resources and non-resource URLs"));
      }
      continue;
    }
    if (jsonx::Size(rule, "apiGroups") == 0) {
      errs.push_back(v::Required(p + ".apiGroups", "resource rules must supply at least one api group"));
    }
    if (jsonx::Size(rule, "resources") == 0) {
      errs.push_back(v::Required(p + ".resources", "resource rules must supply at least one resource"));
    }
  }
}

class RoleStrategy final : public Strategy {
 public:
  explicit RoleStrategy(bool cluster)
      : Strategy({.name_rule = NameRule::kPathSegment, .kind = cluster ? "ClusterRole" : "Role", .namespaced = !cluster}),
        cluster_(cluster) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the role."),
        print::Column("Created At", "When the role was created (RFC 3339, UTC).", 0, "date")};
    return kCols;
  }

  json Cells(const json& role, SystemTime) const override {
    return json::array({Str(role, "metadata.name"), print::CreatedAt(role)});
  }

 protected:
  void ValidateSpec(const json& role, std::vector<FieldCause>& errs) const override {
    ValidateRules(role, !cluster_, errs);
    if (!cluster_ || !jsonx::Has(role, "aggregationRule")) return;
    const json& selectors = jsonx::At(role, "aggregationRule.clusterRoleSelectors");
    if (!selectors.is_array() || selectors.empty()) {
      errs.push_back(v::Required("aggregationRule.clusterRoleSelectors",
                                 "at least one clusterRoleSelector required if aggregationRule is non-nil"));
      return;
    }
    for (std::size_t i = 0; i < selectors.size(); ++i) {
      v::ValidateLabelSelector(selectors[i], Idx("aggregationRule.clusterRoleSelectors", i), errs);
    }
  }

 private:
  bool cluster_;
};

std::string GoRoleRef(const json& ref) {
  return "rbac.RoleRef{APIGroup:" + v::GoQuote(Str(ref, "apiGroup")) + ", Kind:" + v::GoQuote(Str(ref, "kind")) +
         ", Name:" + v::GoQuote(Str(ref, "name")) + "}";
}

class RoleBindingStrategy final : public Strategy {
 public:
  explicit RoleBindingStrategy(bool cluster)
      : Strategy({.name_rule = NameRule::kPathSegment,
                  .kind = cluster ? "ClusterRoleBinding" : "RoleBinding",
                  .namespaced = !cluster}),
        cluster_(cluster) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the binding."), print::Column("Role", "The bound role, as Kind/name."),
        print::AgeColumn(), print::Column("Users", "Users the role is granted to.", 1),
        print::Column("Groups", "Groups the role is granted to.", 1),
        print::Column("ServiceAccounts", "Service accounts the role is granted to, as namespace/name.", 1)};
    return kCols;
  }

  json Cells(const json& rb, SystemTime now) const override {
    std::vector<std::string> users, groups, sas;
    const json& subjects = jsonx::Child(rb, "subjects");
    if (subjects.is_array()) {
      for (const auto& s : subjects) {
        const std::string kind = Str(s, "kind");
        if (kind == "ServiceAccount") {
          sas.push_back(Str(s, "namespace") + "/" + Str(s, "name"));
        } else if (kind == "User") {
          users.push_back(Str(s, "name"));
        } else if (kind == "Group") {
          groups.push_back(Str(s, "name"));
        }
      }
    }
    return json::array({Str(rb, "metadata.name"), Str(rb, "roleRef.kind") + "/" + Str(rb, "roleRef.name"),
                        print::Age(rb, now), print::Join(users, ", "), print::Join(groups, ", "),
                        print::Join(sas, ", ")});
  }

 protected:
  void Default(json& rb) const override {
    if (jsonx::Has(rb, "roleRef")) {
      if (json* ref = jsonx::Object(rb, "roleRef"); ref != nullptr && Str(*ref, "apiGroup").empty()) {
        (*ref)["apiGroup"] = kRbacGroup;
      }
    }
    json* subjects = rb.is_object() ? jsonx::Array(rb, "subjects") : nullptr;
    if (subjects == nullptr) return;
    for (auto& s : *subjects) {
      if (!s.is_object() || !Str(s, "apiGroup").empty()) continue;
      // Service accounts belong to the core group: their apiGroup stays empty (and omitted).
      const std::string kind = Str(s, "kind");
      if (kind == "User" || kind == "Group") s["apiGroup"] = kRbacGroup;
    }
  }

  void ValidateSpec(const json& rb, std::vector<FieldCause>& errs) const override {
    const json& ref = jsonx::Child(rb, "roleRef");
    const std::string group = Str(ref, "apiGroup"), kind = Str(ref, "kind"), name = Str(ref, "name");
    if (group != kRbacGroup) errs.push_back(v::NotSupported("roleRef.apiGroup", v::GoQuote(group), {kRbacGroup}));
    if (cluster_) {
      if (kind != "ClusterRole") errs.push_back(v::NotSupported("roleRef.kind", v::GoQuote(kind), {"ClusterRole"}));
    } else if (kind != "Role" && kind != "ClusterRole") {
      errs.push_back(v::NotSupported("roleRef.kind", v::GoQuote(kind), {"Role", "ClusterRole"}));
    }
    if (name.empty()) {
      errs.push_back(v::Required("roleRef.name"));
    } else {
      for (auto& m : v::IsValidPathSegmentName(name)) errs.push_back(v::Invalid("roleRef.name", v::GoQuote(name), m));
    }
    const json& subjects = jsonx::Child(rb, "subjects");
    if (!subjects.is_array()) return;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      const std::string p = Idx("subjects", i);
      const json& s = subjects[i];
      const std::string sname = Str(s, "name"), skind = Str(s, "kind"), sgroup = Str(s, "apiGroup");
      if (sname.empty()) errs.push_back(v::Required(p + ".name"));
      if (skind == "ServiceAccount") {
        if (!sname.empty()) {
          for (auto& m : v::IsDns1123Subdomain(sname)) errs.push_back(v::Invalid(p + ".name", v::GoQuote(sname), m));
        }
        if (!sgroup.empty()) errs.push_back(v::NotSupported(p + ".apiGroup", v::GoQuote(sgroup), {""}));
        if (cluster_ && Str(s, "namespace").empty()) errs.push_back(v::Required(p + ".namespace"));
      } else if (skind == "User" || skind == "Group") {
        if (sgroup != kRbacGroup) errs.push_back(v::NotSupported(p + ".apiGroup", v::GoQuote(sgroup), {kRbacGroup}));
      } else {
        errs.push_back(v::NotSupported(p + ".kind", v::GoQuote(skind), {"ServiceAccount", "User", "Group"}));
      }
    }
  }

  void ValidateSpecUpdate(const json& rb, const json& old, std::vector<FieldCause>& errs) const override {
    const json& ref = jsonx::Child(rb, "roleRef");
    const json& old_ref = jsonx::Child(old, "roleRef");
    auto same = [&](const char* key) { return Str(ref, key) == Str(old_ref, key); };
    if (!same("apiGroup") || !same("kind") || !same("name")) {
      errs.push_back(v::Invalid("roleRef", GoRoleRef(ref), "cannot change roleRef"));
    }
  }

 private:
  bool cluster_;
};

}  // namespace

std::shared_ptr<const Strategy> MakeRoleStrategy() { return std::make_shared<RoleStrategy>(false); }
std::shared_ptr<const Strategy> MakeClusterRoleStrategy() { return std::make_shared<RoleStrategy>(true); }
std::shared_ptr<const Strategy> MakeRoleBindingStrategy() { return std::make_shared<RoleBindingStrategy>(false); }
std::shared_ptr<const Strategy> MakeClusterRoleBindingStrategy() {
  return std::make_shared<RoleBindingStrategy>(true);
}

}  // namespace vkube::resource
