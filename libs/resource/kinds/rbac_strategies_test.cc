// RBAC kinds: path-segment names, defaulted API groups, rule and subject validation, an
// immutable roleRef, and the printers.
#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Rbac(std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("rbac.authorization.k8s.io", "v1", resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

json Obj(const char* name, bool namespaced) {
  json o = {{"metadata", {{"name", name}, {"creationTimestamp", "2024-01-01T00:00:00Z"}}}};
  if (namespaced) o["metadata"]["namespace"] = "default";
  return o;
}

TEST(RoleStrategy, NamesRulesAndCreatedAt) {
  const Strategy& s = Rbac("roles");
  json role = Obj("pod-reader", true);
  role["rules"] = json::parse(R"([{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}])");
  s.PrepareForCreate(role);
  EXPECT_TRUE(s.Validate(role).empty());
  EXPECT_EQ(s.Cells(role, At("2024-05-01T00:00:00Z")), json::parse(R"(["pod-reader","2024-01-01T00:00:00Z"])"));

  json system = Obj("system:controller:x", false);  // RBAC names only avoid '/', '%', '.' and '..'
  EXPECT_TRUE(Rbac("clusterroles").Validate(system).empty()) << Messages(Rbac("clusterroles").Validate(system))[0];
  json slashed = Obj("a/b", true);
  EXPECT_EQ(Messages(s.Validate(slashed)), std::vector<std::string>{"metadata.name: Invalid value: \"a/b\": may not contain '/'"});
  json dot = Obj("..", true);
  EXPECT_EQ(Messages(s.Validate(dot)), std::vector<std::string>{"metadata.name: Invalid value: \"..\": may not be '..'"});

  json bad = Obj("bad", true);
  bad["rules"] = json::parse(R"([{"apiGroups":[""]},{"verbs":["get"],"nonResourceURLs":["/healthz"],"resources":["x"]}])");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].resources: Required value: resource rules must supply at least one resource",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to "
                "non-resource URLs",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: rules cannot apply to both regular "
                "resources and non-resource URLs"}));
  json cluster_urls = Obj("health", false);
  cluster_urls["rules"] = json::parse(R"([{"verbs":["get"],"nonResourceURLs":["/healthz"]}])");
  EXPECT_TRUE(Rbac("clusterroles").Validate(cluster_urls).empty());
  cluster_urls["aggregationRule"] = json::parse(R"({"clusterRoleSelectors":[]})");
  EXPECT_EQ(Messages(Rbac("clusterroles").Validate(cluster_urls)),
            std::vector<std::string>{"aggregationRule.clusterRoleSelectors: Required value: at least one "
                                     "clusterRoleSelector required if aggregationRule is non-nil"});
}

TEST(RoleBindingStrategy, DefaultsSubjectsAndImmutableRoleRef) {
  const Strategy& s = Rbac("rolebindings");
  json rb = Obj("read", true);
  rb["roleRef"] = {{"kind", "Role"}, {"name", "pod-reader"}};
  rb["subjects"] = json::parse(R"([{"kind":"User","name":"alice"},{"kind":"Group","name":"devs"},
    {"kind":"ServiceAccount","name":"builder","namespace":"ci"}])");
  s.PrepareForCreate(rb);
  EXPECT_EQ(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(rb["subjects"][1]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_FALSE(rb["subjects"][2].contains("apiGroup"));
  EXPECT_TRUE(s.Validate(rb).empty()) << Messages(s.Validate(rb))[0];
  EXPECT_EQ(s.Cells(rb, At("2024-01-01T00:00:30Z")),
            json::parse(R"(["read","Role/pod-reader","30s","alice","devs","ci/builder"])"));

  json changed = rb;
  changed["roleRef"]["name"] = "admin";
  changed["roleRef"]["kind"] = "ClusterRole";
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, rb)),
            std::vector<std::string>{"roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
                                     "Kind:\"ClusterRole\", Name:\"admin\"}: cannot change roleRef"});

  json bad = Obj("bad", true);
  bad["roleRef"] = {{"apiGroup", "example.com"}, {"kind", "Thing"}};
  bad["subjects"] = json::parse(R"([{"kind":"Robot","name":"r2"},{"kind":"User","apiGroup":"x","name":"bob"},
    {"kind":"ServiceAccount","apiGroup":"v1","name":""}])");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "roleRef.apiGroup: Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"Thing\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name: Required value",
                "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", "
                "\"Group\"",
                "subjects[1].apiGroup: Unsupported value: \"x\": supported values: \"rbac.authorization.k8s.io\"",
                "subjects[2].name: Required value",
                "subjects[2].apiGroup: Unsupported value: \"v1\": supported values: \"\""}));
}

TEST(ClusterRoleBindingStrategy, OnlyClusterRolesAndNamespacedServiceAccounts) {
  const Strategy& s = Rbac("clusterrolebindings");
  json crb = Obj("admins", false);
  crb["roleRef"] = {{"kind", "Role"}, {"name", "x"}};
  crb["subjects"] = json::parse(R"([{"kind":"ServiceAccount","name":"builder"}])");
  s.PrepareForCreate(crb);
  EXPECT_EQ(Messages(s.Validate(crb)),
            (std::vector<std::string>{"roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                                      "subjects[0].namespace: Required value"}));
  EXPECT_FALSE(s.traits().namespaced);
}

}  // namespace
}  // namespace vkube::resource
