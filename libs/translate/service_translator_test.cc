#include "libs/translate/service_translator.h"

#include <gtest/gtest.h>

#include "libs/translate/name_translator.h"

namespace vkube::translate {
namespace {

using json = nlohmann::json;

const PodTranslateOptions kOptions{.tenant = "team-a", .host_namespace = "tenants"};

json VirtualService() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "prod", "uid": "u-1", "resourceVersion": "7",
                 "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "web"}},
    "spec": {"type": "NodePort", "clusterIP": "10.96.0.9", "clusterIPs": ["10.96.0.9"], "ipFamilies": ["IPv4"],
             "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
             "selector": {"app": "web", "vkube.dev/namespace": "other"},
             "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30001}]},
    "status": {"loadBalancer": {}}
  })");
}

TEST(ServiceTranslator, HostCopyNarrowsTheSelectorAndLeavesAllocationsToTheHost) {
  const json h = TranslateService(VirtualService(), kOptions);
  EXPECT_EQ(h["metadata"]["name"], HostName("web", "prod", "team-a"));
  EXPECT_EQ(h["metadata"]["namespace"], "tenants");
  EXPECT_EQ(h["metadata"]["labels"][std::string(kTenantLabel)], "team-a");
  EXPECT_EQ(h["metadata"]["annotations"][std::string(kKindAnnotation)], "Service");
  // The tenant cannot widen the selector to another namespace's (or tenant's) pods.
  EXPECT_EQ(h["spec"]["selector"],
            (json{{"app", "web"}, {"vkube.dev/namespace", "prod"}, {"vkube.dev/tenant", "team-a"}}));
  EXPECT_FALSE(h["spec"].contains("clusterIP"));
  EXPECT_FALSE(h["spec"].contains("clusterIPs"));
  EXPECT_FALSE(h["spec"].contains("ipFamilies"));
  EXPECT_FALSE(h["spec"]["ports"][0].contains("nodePort"));
  EXPECT_EQ(h["spec"]["ports"][0]["targetPort"], 8080);
  EXPECT_EQ(h["spec"]["type"], "NodePort");
  EXPECT_FALSE(h.contains("status"));

  json headless = VirtualService();
  headless["spec"]["clusterIP"] = "None";
  headless["spec"].erase("selector");
  const json hh = TranslateService(headless, kOptions);
  EXPECT_EQ(hh["spec"]["clusterIP"], "None");
  EXPECT_FALSE(hh["spec"].contains("selector"));  // selectorless: endpoints are the tenant's to give
}

TEST(ServiceTranslator, UpdatesKeepTheHostsAllocations) {
  json host = TranslateService(VirtualService(), kOptions);
  host["spec"]["clusterIP"] = "10.96.0.42";
  host["spec"]["clusterIPs"] = json::array({"10.96.0.42"});
  host["spec"]["ports"][0]["nodePort"] = 31000;
  host["metadata"]["resourceVersion"] = "3";
  EXPECT_FALSE(UpdatedHostService(host, TranslateService(VirtualService(), kOptions)));  // converged

  json v = VirtualService();
  v["spec"]["ports"].push_back(json{{"name", "tls"}, {"port", 443}, {"targetPort", 8443}, {"protocol", "TCP"}});
  v["metadata"]["labels"]["tier"] = "front";
  auto next = UpdatedHostService(host, TranslateService(v, kOptions));
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)["spec"]["clusterIP"], "10.96.0.42");
  EXPECT_EQ((*next)["spec"]["ports"][0]["nodePort"], 31000);       // kept for the unchanged port
  EXPECT_FALSE((*next)["spec"]["ports"][1].contains("nodePort"));  // the host allocates the new one
  EXPECT_EQ((*next)["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ((*next)["metadata"]["resourceVersion"], "3");  // an update, not a blind overwrite
}

TEST(ServiceTranslator, TheTenantAdoptsTheHostClusterIp) {
  json host = TranslateService(VirtualService(), kOptions);
  EXPECT_FALSE(HostClusterIpToAdopt(VirtualService(), host));  // not allocated yet
  host["spec"]["clusterIP"] = "10.96.0.42";
  EXPECT_EQ(HostClusterIpToAdopt(VirtualService(), host), "10.96.0.42");
  json same = VirtualService();
  same["spec"]["clusterIP"] = "10.96.0.42";
  EXPECT_FALSE(HostClusterIpToAdopt(same, host));
  json external = VirtualService();
  external["spec"] = json{{"type", "ExternalName"}, {"externalName", "example.com"}};
  EXPECT_FALSE(HostClusterIpToAdopt(external, host));

  const json again = ServiceWithClusterIp(VirtualService(), "10.96.0.42");
  EXPECT_EQ(again["spec"]["clusterIP"], "10.96.0.42");
  EXPECT_EQ(again["spec"]["clusterIPs"], json::array({"10.96.0.42"}));
  EXPECT_FALSE(again["metadata"].contains("uid"));
  EXPECT_FALSE(again["metadata"].contains("resourceVersion"));
  EXPECT_FALSE(again.contains("status"));
  EXPECT_EQ(again["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(again["spec"]["ports"][0]["nodePort"], 30001);  // the tenant's own allocation stays
}

}  // namespace
}  // namespace vkube::translate
