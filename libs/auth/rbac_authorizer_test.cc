// RbacAuthorizer over a real SqliteStore holding the bootstrap policy plus a few test roles and
// bindings: kube's RBAC semantics case by case (table-driven), the rules review, escalation checks
// and the index following the store.
#include "libs/auth/rbac_authorizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "libs/auth/bootstrap_policy.h"
#include "libs/store/sqlite_store.h"

namespace vkube::auth {
namespace {

using nlohmann::json;

json Obj(const std::string& kind, const std::string& ns, const std::string& name, json body) {
  body["apiVersion"] = "rbac.authorization.k8s.io/v1";
  body["kind"] = kind;
  body["metadata"] = {{"name", name}};
  if (!ns.empty()) body["metadata"]["namespace"] = ns;
  return body;
}

json Ref(const std::string& kind, const std::string& name) {
  return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", kind}, {"name", name}};
}
json User(const std::string& n) { return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", n}}; }
json Group(const std::string& n) { return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", n}}; }
json Sa(const std::string& n, const std::string& ns = "") {
  json s = {{"kind", "ServiceAccount"}, {"name", n}};
  if (!ns.empty()) s["namespace"] = ns;
  return s;
}

class RbacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-rbac-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = store::SqliteStore::Open(store::SqliteStoreOptions{dir_ + "/store.db"});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    for (auto& r : BootstrapClusterRoles()) Put("clusterroles", "", r);
    for (auto& b : BootstrapClusterRoleBindings()) Put("clusterrolebindings", "", b);
    Put("roles", "dev",
        Obj("Role", "dev", "pod-reader",
            {{"rules",
              json::array({{{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"get", "list", "watch"}}}})}}));
    Put("rolebindings", "dev",
        Obj("RoleBinding", "dev", "read-pods",
            {{"roleRef", Ref("Role", "pod-reader")}, {"subjects", {User("alice")}}}));
    Put("clusterroles", "",
        Obj("ClusterRole", "", "secret-getter",
            {{"rules", json::array({{{"apiGroups", {""}},
                                     {"resources", {"secrets"}},
                                     {"resourceNames", {"s1"}},
                                     {"verbs", {"get"}}}})}}));
    Put("rolebindings", "dev",
        Obj("RoleBinding", "dev", "sec",
            {{"roleRef", Ref("ClusterRole", "secret-getter")}, {"subjects", {Group("devs")}}}));
    Put("clusterroles", "",
        Obj("ClusterRole", "", "scaler",
            {{"rules",
              json::array({{{"apiGroups", {"apps"}}, {"resources", {"deployments/scale"}}, {"verbs", {"update"}}},
                           {{"apiGroups", {"*"}}, {"resources", {"*/status"}}, {"verbs", {"get"}}}})}}));
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "scalers",
            {{"roleRef", Ref("ClusterRole", "scaler")}, {"subjects", {User("bob")}}}));
    Put("rolebindings", "dev",
        Obj("RoleBinding", "dev", "sa-bind", {{"roleRef", Ref("Role", "pod-reader")}, {"subjects", {Sa("builder")}}}));
    Put("clusterroles", "",
        Obj("ClusterRole", "", "node-lister",
            {{"rules", json::array({{{"apiGroups", {""}}, {"resources", {"nodes"}}, {"verbs", {"list"}}}})}}));
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "sa-cluster",
            {{"roleRef", Ref("ClusterRole", "node-lister")}, {"subjects", {Sa("builder", "ci")}}}));
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "missing",
            {{"roleRef", Ref("ClusterRole", "nope")}, {"subjects", {User("carol")}}}));
    Put("clusterroles", "",
        Obj("ClusterRole", "", "health",
            {{"rules", json::array({{{"nonResourceURLs", {"/healthz/*", "/logs"}}, {"verbs", {"get"}}}})}}));
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "health",
            {{"roleRef", Ref("ClusterRole", "health")}, {"subjects", {User("dave")}}}));
    // A service account subject without a namespace in a cluster binding applies to nobody.
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "sa-no-ns",
            {{"roleRef", Ref("ClusterRole", "cluster-admin")}, {"subjects", {Sa("x")}}}));
    Put("rolebindings", "dev",
        Obj("RoleBinding", "dev", "all-sas",
            {{"roleRef", Ref("ClusterRole", "view")}, {"subjects", {Group("system:serviceaccounts:dev")}}}));
    Put("clusterrolebindings", "",
        Obj("ClusterRoleBinding", "", "root",
            {{"roleRef", Ref("ClusterRole", "cluster-admin")}, {"subjects", {User("root")}}}));
    authz_ = std::make_unique<RbacAuthorizer>(store_);
  }
  void TearDown() override {
    authz_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  void Put(const std::string& resource, const std::string& ns, const json& obj) {
    store::Key key{"rbac.authorization.k8s.io/" + resource, ns, obj["metadata"]["name"].get<std::string>()};
    ASSERT_TRUE(store_->Create(key, obj, {}).ok()) << key.name;
  }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<RbacAuthorizer> authz_;
};

struct Case {
  const char* what;
  UserInfo user;
  const char* verb;
  const char* group;
  const char* resource;
  const char* subresource;
  const char* ns;
  const char* name;
  bool allowed;
  const char* reason;  // nullptr: not checked
};

Attributes ResourceAttrs(const Case& c) {
  Attributes a;
  a.user = &c.user;
  a.verb = c.verb;
  a.resource_request = true;
  a.api_group = c.group;
  a.resource = c.resource;
  a.subresource = c.subresource;
  a.ns = c.ns;
  a.name = c.name;
  return a;
}

const UserInfo kAlice{"alice", {}};
const UserInfo kBob{"bob", {"system:authenticated"}};
const UserInfo kDev{"erin", {"devs", "system:authenticated"}};
const UserInfo kDevSa{"system:serviceaccount:dev:builder",
                      {"system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"}};
const UserInfo kCiSa{"system:serviceaccount:ci:builder",
                     {"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"}};
const UserInfo kCarol{"carol", {}};
const UserInfo kMaster{"kubernetes-admin", {"system:masters"}};
const UserInfo kRoot{"root", {}};
const UserInfo kNobody{"x", {}};

TEST_F(RbacTest, ResourceRequests) {
  const std::vector<Case> cases = {
      {"role in its namespace", kAlice, "list", "", "pods", "", "dev", "", true,
       R"(RBAC: allowed by RoleBinding "read-pods/dev" of Role "pod-reader" to User "alice")"},
      {"named get", kAlice, "get", "", "pods", "", "dev", "p1", true, nullptr},
      {"watch", kAlice, "watch", "", "pods", "", "dev", "", true, nullptr},
      {"other namespace", kAlice, "list", "", "pods", "", "default", "", false, ""},
      {"cluster scope", kAlice, "list", "", "pods", "", "", "", false, ""},
      {"verb not granted", kAlice, "delete", "", "pods", "", "dev", "p1", false, ""},
      {"subresource not granted", kAlice, "get", "", "pods", "log", "dev", "p1", false, ""},
      {"other group", kAlice, "list", "apps", "pods", "", "dev", "", false, ""},
      {"system:masters", kMaster, "delete", "", "nodes", "", "", "n1", true, ""},
      {"cluster-admin wildcard", kRoot, "escalate", "rbac.authorization.k8s.io", "roles", "", "x", "r", true,
       R"(RBAC: allowed by ClusterRoleBinding "root" of ClusterRole "cluster-admin" to User "root")"},
      {"resourceNames match", kDev, "get", "", "secrets", "", "dev", "s1", true,
       R"(RBAC: allowed by RoleBinding "sec/dev" of ClusterRole "secret-getter" to Group "devs")"},
      {"resourceNames other name", kDev, "get", "", "secrets", "", "dev", "s2", false, ""},
      {"resourceNames without a name", kDev, "list", "", "secrets", "", "dev", "", false, ""},
      {"clusterrole via rolebinding is namespaced", kDev, "get", "", "secrets", "", "default", "s1", false, ""},
      {"resource/subresource", kBob, "update", "apps", "deployments", "scale", "any", "web", true,
       R"(RBAC: allowed by ClusterRoleBinding "scalers" of ClusterRole "scaler" to User "bob")"},
      {"subresource rule is not the resource", kBob, "update", "apps", "deployments", "", "any", "web", false, ""},
      {"*/status", kBob, "get", "", "pods", "status", "dev", "p", true, nullptr},
      {"*/status not the parent", kBob, "get", "", "pods", "", "dev", "p", false, ""},
      {"sa subject defaults to binding namespace", UserInfo{"system:serviceaccount:dev:builder", {}}, "list", "",
       "pods", "", "dev", "", true,
       R"(RBAC: allowed by RoleBinding "sa-bind/dev" of Role "pod-reader" to ServiceAccount "builder/dev")"},
      {"sa group binding comes first by name", kDevSa, "list", "", "pods", "", "dev", "", true,
       R"(RBAC: allowed by RoleBinding "all-sas/dev" of ClusterRole "view" to Group "system:serviceaccounts:dev")"},
      {"sa in a cluster binding", kCiSa, "list", "", "nodes", "", "", "", true,
       R"(RBAC: allowed by ClusterRoleBinding "sa-cluster" of ClusterRole "node-lister" to ServiceAccount "builder/ci")"},
      {"same sa name, other namespace", kCiSa, "list", "", "pods", "", "dev", "", false, ""},
      {"sa group binding to aggregated view", kDevSa, "get", "", "configmaps", "", "dev", "c", true,
       R"(RBAC: allowed by RoleBinding "all-sas/dev" of ClusterRole "view" to Group "system:serviceaccounts:dev")"},
      {"view has no secrets", kDevSa, "get", "", "secrets", "", "dev", "c", false, ""},
      {"missing role is a reason", kCarol, "get", "", "pods", "", "dev", "p", false,
       R"(RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found)"},
      {"sa subject without namespace in cluster binding", kNobody, "get", "", "pods", "", "", "", false, ""},
      {"basic user reviews", kBob, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "", true,
       R"(RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated")"},
      {"whoami", kDevSa, "create", "authentication.k8s.io", "selfsubjectreviews", "", "", "", true, nullptr},
      {"default sa cannot list pods",
       UserInfo{"system:serviceaccount:default:default",
                {"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}},
       "list", "", "pods", "", "default", "", false, ""},
  };
  for (const auto& c : cases) {
    Attributes a = ResourceAttrs(c);
    Decision d = authz_->Authorize(a);
    EXPECT_EQ(d.allowed, c.allowed) << c.what;
    if (c.reason != nullptr) {
      EXPECT_EQ(d.reason, c.reason) << c.what;
    }
  }
}

TEST_F(RbacTest, NonResourceRequests) {
  const UserInfo dave{"dave", {}};
  const UserInfo authenticated{"someone", {"system:authenticated"}};
  const UserInfo anonymous{"system:anonymous", {"system:unauthenticated"}};
  struct NrCase {
    const UserInfo* user;
    const char* verb;
    const char* path;
    bool allowed;
    const char* reason;
  };
  const std::vector<NrCase> cases = {
      {&dave, "get", "/healthz/etcd", true,
       R"(RBAC: allowed by ClusterRoleBinding "health" of ClusterRole "health" to User "dave")"},
      {&dave, "get", "/healthz", false, ""},  // "/healthz/*" needs the slash
      {&dave, "get", "/logs", true, nullptr},
      {&dave, "post", "/logs", false, ""},
      {&dave, "get", "/logs/x", false, ""},
      {&authenticated, "get", "/version", true,
       R"(RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated")"},
      {&authenticated, "get", "/apis/apps/v1", true, nullptr},
      {&authenticated, "get", "/openapi/v3", true, nullptr},
      {&authenticated, "get", "/metrics", false, ""},
      {&anonymous, "get", "/healthz", true,
       R"(RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated")"},
      {&anonymous, "get", "/api", false, ""},
      {&kRoot, "delete", "/anything/at/all", true, nullptr},
  };
  for (const auto& c : cases) {
    Attributes a;
    a.user = c.user;
    a.verb = c.verb;
    a.path = c.path;
    Decision d = authz_->Authorize(a);
    EXPECT_EQ(d.allowed, c.allowed) << c.user->name << " " << c.verb << " " << c.path;
    if (c.reason != nullptr) {
      EXPECT_EQ(d.reason, c.reason) << c.path;
    }
  }
}

TEST_F(RbacTest, IndexFollowsTheStore) {
  Case c{"", UserInfo{"frank", {}}, "create", "", "configmaps", "", "dev", "", false, nullptr};
  Attributes a = ResourceAttrs(c);
  EXPECT_FALSE(authz_->Authorize(a).allowed);
  Put("rolebindings", "dev",
      Obj("RoleBinding", "dev", "frank-edit",
          {{"roleRef", Ref("ClusterRole", "edit")}, {"subjects", {User("frank")}}}));
  bool allowed = false;
  for (int i = 0; i < 200 && !allowed; ++i) {
    allowed = authz_->Authorize(a).allowed;
    if (!allowed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(allowed) << "a new binding is seen without a restart";
  ASSERT_TRUE(store_->Delete({"rbac.authorization.k8s.io/rolebindings", "dev", "frank-edit"}, 0).ok());
  for (int i = 0; i < 200 && allowed; ++i) {
    allowed = authz_->Authorize(a).allowed;
    if (allowed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(allowed) << "a deleted binding stops granting";
  // A role created after the binding that names it: the binding now resolves.
  Put("rolebindings", "dev",
      Obj("RoleBinding", "dev", "late", {{"roleRef", Ref("Role", "late-role")}, {"subjects", {User("frank")}}}));
  Put("roles", "dev",
      Obj("Role", "dev", "late-role",
          {{"rules", json::array({{{"apiGroups", {""}}, {"resources", {"configmaps"}}, {"verbs", {"create"}}}})}}));
  for (int i = 0; i < 200 && !allowed; ++i) {
    allowed = authz_->Authorize(a).allowed;
    if (!allowed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(allowed);
}

TEST_F(RbacTest, RulesFor) {
  RulesReview alice = authz_->RulesFor(kAlice, "dev");
  ASSERT_EQ(alice.resource_rules.size(), 1u);
  EXPECT_EQ(alice.resource_rules[0].resources, std::vector<std::string>{"pods"});
  EXPECT_TRUE(alice.non_resource_rules.empty());
  EXPECT_FALSE(alice.incomplete);
  EXPECT_TRUE(authz_->RulesFor(kAlice, "default").resource_rules.empty());

  RulesReview sa = authz_->RulesFor(kDevSa, "dev");
  bool review = false, discovery = false, configmaps = false;
  for (const auto& r : sa.resource_rules) {
    for (const auto& res : r.resources) {
      review = review || res == "selfsubjectaccessreviews";
      configmaps = configmaps || res == "configmaps";
    }
  }
  for (const auto& r : sa.non_resource_rules) {
    for (const auto& u : r.non_resource_urls) discovery = discovery || u == "/api/*";
    EXPECT_TRUE(r.resources.empty());
  }
  EXPECT_TRUE(review && discovery && configmaps);

  RulesReview carol = authz_->RulesFor(kCarol, "dev");
  EXPECT_TRUE(carol.incomplete);
  EXPECT_EQ(carol.evaluation_error, R"(clusterrole.rbac.authorization.k8s.io "nope" not found)");

  RulesReview root = authz_->RulesFor(kRoot, "");
  ASSERT_EQ(root.resource_rules.size(), 1u);
  EXPECT_EQ(root.resource_rules[0].verbs, std::vector<std::string>{"*"});
  ASSERT_EQ(root.non_resource_rules.size(), 1u);
  EXPECT_EQ(root.non_resource_rules[0].non_resource_urls, std::vector<std::string>{"*"});
}

TEST_F(RbacTest, Escalation) {
  auto rules = [](const char* json_text) { return RulesFromJson(json::parse(json_text)); };
  EXPECT_TRUE(authz_
                  ->ConfirmNoEscalation(kAlice, "dev",
                                        rules(R"([{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}])"))
                  .ok());
  auto denied = authz_->ConfirmNoEscalation(
      kAlice, "dev", rules(R"([{"apiGroups":[""],"resources":["pods"],"verbs":["get","delete","update"]}])"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(denied.error().message,
            "user \"alice\" (groups=[]) is attempting to grant RBAC permissions not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\" \"update\"]}");
  // Outside the namespace alice holds nothing.
  EXPECT_FALSE(authz_
                   ->ConfirmNoEscalation(kAlice, "default",
                                         rules(R"([{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}])"))
                   .ok());
  // resourceNames: a named grant covers only that name.
  EXPECT_TRUE(authz_
                  ->ConfirmNoEscalation(
                      kDev, "dev",
                      rules(R"([{"apiGroups":[""],"resources":["secrets"],"resourceNames":["s1"],"verbs":["get"]}])"))
                  .ok());
  auto named = authz_->ConfirmNoEscalation(kDev, "dev",
                                           rules(R"([{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}])"));
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().message,
            "user \"erin\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not "
            "currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}");
  // */status covers pods/status; cluster-admin and system:masters cover anything.
  EXPECT_TRUE(
      authz_
          ->ConfirmNoEscalation(kBob, "x",
                                rules(R"([{"apiGroups":["apps"],"resources":["deployments/status"],"verbs":["get"]}])"))
          .ok());
  EXPECT_TRUE(
      authz_
          ->ConfirmNoEscalation(
              kRoot, "",
              rules(R"([{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},{"nonResourceURLs":["*"],"verbs":["*"]}])"))
          .ok());
  EXPECT_TRUE(authz_->ConfirmNoEscalation(kMaster, "", rules(R"([{"nonResourceURLs":["/x"],"verbs":["get"]}])")).ok());
  auto urls =
      authz_->ConfirmNoEscalation(kBob, "", rules(R"([{"nonResourceURLs":["/version","/secret"],"verbs":["get"]}])"));
  ASSERT_FALSE(urls.ok());
  EXPECT_NE(urls.error().message.find("{NonResourceURLs:[\"/secret\"], Verbs:[\"get\"]}"), std::string::npos);
  EXPECT_EQ(urls.error().message.find("/version"), std::string::npos) << "bob holds /version (system:discovery)";
}

TEST_F(RbacTest, RoleRefRules) {
  auto pr = authz_->RoleRefRules("Role", "pod-reader", "dev");
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->size(), 1u);
  EXPECT_FALSE(authz_->RoleRefRules("Role", "pod-reader", "default").ok());
  auto missing = authz_->RoleRefRules("ClusterRole", "nope", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, R"(clusterrole.rbac.authorization.k8s.io "nope" not found)");
  EXPECT_TRUE(authz_->RoleRefRules("ClusterRole", "edit", "").ok());
}

TEST(PolicyRule, MatchingHelpers) {
  PolicyRule r{{"get"}, {"apps"}, {"deployments", "*/scale"}, {}, {}};
  EXPECT_TRUE(ResourceMatches(r, "deployments", ""));
  EXPECT_TRUE(ResourceMatches(r, "statefulsets/scale", "scale"));
  EXPECT_FALSE(ResourceMatches(r, "statefulsets", ""));
  EXPECT_FALSE(ResourceMatches(r, "deployments/status", "status"));
  PolicyRule urls{{"get"}, {}, {}, {}, {"/api/*", "/exact", "/pre**"}};
  EXPECT_TRUE(NonResourceUrlMatches(urls, "/api/v1"));
  EXPECT_TRUE(NonResourceUrlMatches(urls, "/api/"));
  EXPECT_FALSE(NonResourceUrlMatches(urls, "/api"));
  EXPECT_TRUE(NonResourceUrlMatches(urls, "/exact"));
  EXPECT_FALSE(NonResourceUrlMatches(urls, "/exact/x"));
  EXPECT_TRUE(NonResourceUrlMatches(urls, "/prefix"));
  EXPECT_TRUE(ResourceNameMatches(r, "anything"));
  EXPECT_EQ(CompactString(PolicyRule{{"get", "list"}, {""}, {"pods"}, {"a"}, {}}),
            R"({APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get" "list"]})");
  EXPECT_EQ(PolicyRule::FromJson(PolicyRule{{"get"}, {""}, {"pods"}, {}, {}}.ToJson()),
            (PolicyRule{{"get"}, {""}, {"pods"}, {}, {}}));
  std::vector<PolicyRule> missing;
  EXPECT_FALSE(Covers({PolicyRule{{"get"}, {""}, {"pods"}, {}, {}}},
                      {PolicyRule{{"get", "list"}, {""}, {"pods", "pods/log"}, {}, {}}}, &missing));
  EXPECT_EQ(missing.size(), 3u);
  auto compact = CompactRules(missing);
  ASSERT_EQ(compact.size(), 2u);
  EXPECT_EQ(compact[0].verbs, (std::vector<std::string>{"list"}));
  EXPECT_EQ(compact[1].verbs, (std::vector<std::string>{"get", "list"}));
}

TEST(ServiceAccountNames, SplitAndJoin) {
  std::string ns, name;
  EXPECT_TRUE(SplitServiceAccountUsername("system:serviceaccount:dev:builder", &ns, &name));
  EXPECT_EQ(ns, "dev");
  EXPECT_EQ(name, "builder");
  EXPECT_EQ(ServiceAccountUsername(ns, name), "system:serviceaccount:dev:builder");
  for (const char* bad : {"system:serviceaccount:dev", "system:serviceaccount::x", "system:serviceaccount:a:", "alice",
                          "system:serviceaccount:a:b:c", "system:serviceaccounts:a:b"}) {
    EXPECT_FALSE(SplitServiceAccountUsername(bad, &ns, &name)) << bad;
  }
  EXPECT_EQ(ServiceAccountGroups("dev"),
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:dev"}));
}

TEST(ForbiddenMessage, KubeWording) {
  UserInfo alice{"alice", {}};
  Attributes a;
  a.user = &alice;
  a.verb = "list";
  a.resource_request = true;
  a.resource = "pods";
  a.ns = "default";
  EXPECT_EQ(ForbiddenMessage(a, ""),
            R"(User "alice" cannot list resource "pods" in API group "" in the namespace "default")");
  a.ns = "";
  a.resource = "nodes";
  EXPECT_EQ(ForbiddenMessage(a, ""),
            R"(User "alice" cannot list resource "nodes" in API group "" at the cluster scope)");
  a.resource = "deployments";
  a.subresource = "scale";
  a.api_group = "apps";
  a.verb = "update";
  a.ns = "x";
  EXPECT_EQ(
      ForbiddenMessage(a, "RBAC: oops"),
      R"(User "alice" cannot update resource "deployments/scale" in API group "apps" in the namespace "x": RBAC: oops)");
  Attributes nr;
  nr.user = &alice;
  nr.verb = "get";
  nr.path = "/foo";
  EXPECT_EQ(ForbiddenMessage(nr, ""), R"(User "alice" cannot get path "/foo")");
}

TEST(BootstrapPolicy, AggregatedRolesAndBindings) {
  auto roles = BootstrapClusterRoles();
  auto find = [&](const std::string& name) -> const json& {
    for (const auto& r : roles) {
      if (r["metadata"]["name"] == name) return r;
    }
    static const json kNone;
    return kNone;
  };
  const json view = find("view");  // copies: `roles` grows below
  const json edit = find("edit");
  const json admin = find("admin");
  ASSERT_TRUE(view.is_object() && edit.is_object() && admin.is_object());
  EXPECT_EQ(view["rules"], find("system:aggregate-to-view")["rules"]);
  auto has = [](const json& role, const std::string& resource, const std::string& verb) {
    for (const auto& r : RulesFromJson(role["rules"])) {
      if (ResourceMatches(r, resource, "") && VerbMatches(r, verb)) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(edit, "configmaps", "get"));     // from view
  EXPECT_TRUE(has(edit, "configmaps", "create"));  // its own
  EXPECT_FALSE(has(view, "secrets", "get"));
  EXPECT_TRUE(has(admin, "rolebindings", "create"));
  EXPECT_TRUE(has(admin, "pods", "delete"));
  EXPECT_EQ(edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
  EXPECT_EQ(edit["metadata"]["labels"]["kubernetes.io/bootstrapping"], "rbac-defaults");
  EXPECT_EQ(edit["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"], "true");
  // Aggregation never duplicates a rule and ignores roles without the label.
  json custom = {
      {"metadata", {{"name", "crd-view"}, {"labels", {{"rbac.authorization.k8s.io/aggregate-to-view", "true"}}}}},
      {"rules", json::array({{{"apiGroups", {"example.com"}}, {"resources", {"widgets"}}, {"verbs", {"get"}}}})}};
  roles.push_back(custom);
  auto agg = AggregatedRules(view, roles);
  ASSERT_TRUE(agg.has_value());
  EXPECT_EQ(agg->size(), RulesFromJson(view["rules"]).size() + 1);
  EXPECT_EQ(agg->front().api_groups, std::vector<std::string>{"example.com"});  // "crd-view" sorts first
  EXPECT_FALSE(AggregatedRules(custom, roles).has_value());
  bool masters = false;
  for (const auto& b : BootstrapClusterRoleBindings()) {
    masters = masters || (b["metadata"]["name"] == "cluster-admin" && b["subjects"][0]["name"] == "system:masters");
  }
  EXPECT_TRUE(masters);
}

}  // namespace
}  // namespace vkube::auth
