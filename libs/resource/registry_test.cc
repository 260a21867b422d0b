#include "libs/resource/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace vkube::resource {
namespace {

TEST(Registry, BuiltInKinds) {
  auto reg = Registry::BuiltIn();
  std::set<std::string> names;
  for (const auto* k : reg->kinds()) names.insert(k->info.StorageResource());
  EXPECT_EQ(names, (std::set<std::string>{"componentstatuses",
                                          "configmaps",
                                          "endpoints",
                                          "events",
                                          "limitranges",
                                          "namespaces",
                                          "nodes",
                                          "persistentvolumeclaims",
                                          "persistentvolumes",
                                          "pods",
                                          "podtemplates",
                                          "replicationcontrollers",
                                          "resourcequotas",
                                          "secrets",
                                          "serviceaccounts",
                                          "services",
                                          "apps/controllerrevisions",
                                          "apps/daemonsets",
                                          "apps/deployments",
                                          "apps/replicasets",
                                          "apps/statefulsets",
                                          "batch/cronjobs",
                                          "batch/jobs",
                                          "autoscaling/horizontalpodautoscalers",
                                          "policy/poddisruptionbudgets",
                                          "networking.k8s.io/ingressclasses",
                                          "networking.k8s.io/ingresses",
                                          "networking.k8s.io/networkpolicies",
                                          "discovery.k8s.io/endpointslices",
                                          "rbac.authorization.k8s.io/clusterrolebindings",
                                          "rbac.authorization.k8s.io/clusterroles",
                                          "rbac.authorization.k8s.io/rolebindings",
                                          "rbac.authorization.k8s.io/roles",
                                          "storage.k8s.io/csidrivers",
                                          "storage.k8s.io/storageclasses",
                                          "coordination.k8s.io/leases",
                                          "scheduling.k8s.io/priorityclasses",
                                          "events.k8s.io/events",
                                          "admissionregistration.k8s.io/mutatingwebhookconfigurations",
                                          "admissionregistration.k8s.io/validatingwebhookconfigurations",
                                          "apiextensions.k8s.io/customresourcedefinitions",
                                          "authentication.k8s.io/selfsubjectreviews",
                                          "authentication.k8s.io/tokenreviews",
                                          "authorization.k8s.io/localsubjectaccessreviews",
                                          "authorization.k8s.io/selfsubjectaccessreviews",
                                          "authorization.k8s.io/selfsubjectrulesreviews",
                                          "authorization.k8s.io/subjectaccessreviews"}));
  const Kind* hpa = reg->Find("autoscaling", "v2", "horizontalpodautoscalers");
  ASSERT_NE(hpa, nullptr);
  EXPECT_EQ(hpa->info.GroupVersion(), "autoscaling/v2");
  EXPECT_EQ(reg->Find("autoscaling", "v1", "horizontalpodautoscalers"), nullptr);
  // Two Event kinds, one per API, each with its own storage.
  EXPECT_NE(reg->FindByKind("", "v1", "Event"), reg->FindByKind("events.k8s.io", "v1", "Event"));
  const Kind* cs = reg->Find("", "v1", "componentstatuses");
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->info.verbs, (std::vector<std::string>{"get", "list"}));
  const Kind* pods = reg->Find("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->info.kind, "Pod");
  EXPECT_EQ(pods->info.short_names, std::vector<std::string>{"po"});
  EXPECT_EQ(pods->info.categories, std::vector<std::string>{"all"});
  EXPECT_TRUE(pods->info.has_status);
  EXPECT_EQ(reg->FindByKind("apps", "v1", "Deployment"), reg->Find("apps", "v1", "deployments"));
  EXPECT_EQ(reg->Find("apps", "v1", "pods"), nullptr);
  EXPECT_EQ(reg->Find("", "v2", "pods"), nullptr);
  const Kind* ns = reg->Find("", "v1", "namespaces");
  ASSERT_NE(ns, nullptr);
  EXPECT_FALSE(ns->info.namespaced);
  EXPECT_EQ(std::count(ns->info.verbs.begin(), ns->info.verbs.end(), "deletecollection"), 0);
  EXPECT_EQ(reg->Find("apps", "v1", "deployments")->info.GroupVersion(), "apps/v1");
  EXPECT_EQ(reg->Find("apps", "v1", "deployments")->info.ListKind(), "DeploymentList");
}

TEST(Registry, GroupVersionsCoreFirst) {
  auto gvs = Registry::BuiltIn()->GroupVersions();
  ASSERT_GE(gvs.size(), 3u);
  EXPECT_EQ(gvs[0], (std::pair<std::string, std::string>{"", "v1"}));
  EXPECT_EQ(gvs[1], (std::pair<std::string, std::string>{"apps", "v1"}));
  EXPECT_EQ(gvs[2], (std::pair<std::string, std::string>{"batch", "v1"}));
}

TEST(Registry, StatusSubresourcesAndStrategyTraitsAgree) {
  std::set<std::string> with_status = {"customresourcedefinitions", "pods", "services", "namespaces", "nodes",
                                       "persistentvolumeclaims",       "persistentvolumes", "deployments",
                                       "replicasets",  "statefulsets", "daemonsets",       "replicationcontrollers",
                                       "resourcequotas", "jobs",       "cronjobs",
                                       "horizontalpodautoscalers",     "poddisruptionbudgets", "ingresses"};
  const auto registry = Registry::BuiltIn();  // keep alive: a temporary in a range-for init dies before the loop
  for (const auto* k_ptr : registry->kinds()) {
    const auto& k = *k_ptr;
    EXPECT_EQ(k.info.has_status, with_status.count(k.info.resource) == 1) << k.info.resource;
    EXPECT_EQ(k.strategy->traits().has_status, k.info.has_status) << k.info.resource;
    EXPECT_EQ(k.strategy->traits().kind, k.info.kind);
    EXPECT_EQ(k.strategy->traits().namespaced, k.info.namespaced) << k.info.resource;
    // Every table has exactly one "name"-formatted column.
    int name_cols = 0;
    for (const auto& c : k.strategy->Columns()) name_cols += c.format == "name";
    EXPECT_EQ(name_cols, 1) << k.info.resource;
  }
}

}  // namespace
}  // namespace vkube::resource

namespace vkube::resource {
namespace {

// A tenant's custom kinds layer over the shared built-ins: the built-in Kind pointers stay the same.
TEST(Registry, LayeredRegistryKeepsBasePointers) {
  auto base = Registry::BuiltIn();
  Kind ct;
  ct.info = {.group = "stable.example.com", .version = "v1", .resource = "crontabs", .kind = "CronTab"};
  ct.strategy = std::make_shared<Strategy>(StrategyTraits{.kind = "CronTab"});
  Registry layered(base, {ct});
  EXPECT_EQ(layered.kinds().size(), base->kinds().size() + 1);
  EXPECT_EQ(layered.Find("apps", "v1", "deployments"), base->Find("apps", "v1", "deployments"));
  ASSERT_NE(layered.FindByKind("stable.example.com", "v1", "CronTab"), nullptr);
  EXPECT_EQ(base->Find("stable.example.com", "v1", "crontabs"), nullptr);
  EXPECT_EQ(layered.base(), base);
  EXPECT_EQ(layered.GroupVersions().back(), (std::pair<std::string, std::string>{"stable.example.com", "v1"}));
}

}  // namespace
}  // namespace vkube::resource
