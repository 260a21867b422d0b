#include "libs/translate/endpoints_translator.h"

#include <gtest/gtest.h>

namespace vkube::translate {
namespace {

using json = nlohmann::json;

const PodTranslateOptions kOpts{.tenant = "team-a", .host_namespace = "host-ns"};

TEST(EndpointsTranslator, OnlySelectorlessServicesHaveManualEndpoints) {
  EXPECT_TRUE(HasManualEndpoints(json::parse(R"({"spec":{"ports":[{"port":5432}]}})")));
  EXPECT_TRUE(HasManualEndpoints(json::parse(R"({"spec":{"selector":{}}})")));
  EXPECT_FALSE(HasManualEndpoints(json::parse(R"({"spec":{"selector":{"app":"db"}}})")));
  EXPECT_FALSE(HasManualEndpoints(json::parse(R"({"spec":{"type":"ExternalName","externalName":"db.example"}})")));
  EXPECT_FALSE(HasManualEndpoints(json::parse("[]")));
}

TEST(EndpointsTranslator, AddressesPortsAndPodReferencesGoDown) {
  json vep = json::parse(R"({
    "apiVersion": "v1", "kind": "Endpoints",
    "metadata": {"name": "db", "namespace": "prod", "uid": "u-1", "labels": {"app": "db"}},
    "subsets": [
      {"addresses": [{"ip": "10.1.2.3", "targetRef": {"kind": "Pod", "name": "db-0", "namespace": "prod", "uid": "x"}},
                     {"ip": "192.0.2.10", "hostname": "ext", "targetRef": {"kind": "Node", "name": "n1"}},
                     {"hostname": "no-ip"}],
       "notReadyAddresses": [{"ip": "10.1.2.4"}],
       "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]},
      {"ports": [{"port": 1}]},
      "junk"
    ]})");
  json h = TranslateEndpoints(vep, kOpts);
  EXPECT_EQ(h["metadata"]["name"], "db-x-prod-x-team-a");
  EXPECT_EQ(h["metadata"]["namespace"], "host-ns");
  EXPECT_EQ(h["metadata"]["annotations"]["vkube.dev/object-kind"], "Endpoints");
  ASSERT_EQ(h["subsets"].size(), 2u);
  const json& s = h["subsets"][0];
  ASSERT_EQ(s["addresses"].size(), 2u);
  EXPECT_EQ(s["addresses"][0],
            json::parse(
                R"({"ip":"10.1.2.3","targetRef":{"kind":"Pod","namespace":"host-ns","name":"db-0-x-prod-x-team-a"}})"));
  EXPECT_EQ(s["addresses"][1], json::parse(R"({"ip":"192.0.2.10","hostname":"ext"})"));  // a tenant Node ref dropped
  EXPECT_EQ(s["notReadyAddresses"][0]["ip"], "10.1.2.4");
  EXPECT_EQ(s["ports"][0]["port"], 5432);
}

TEST(EndpointsTranslator, UpdatesOnlyWhatDiffers) {
  json vep = json::parse(
      R"({"metadata":{"name":"db","namespace":"prod"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]})");
  json desired = TranslateEndpoints(vep, kOpts);
  json current = desired;
  current["metadata"]["resourceVersion"] = "7";
  EXPECT_FALSE(UpdatedHostEndpoints(current, desired).has_value());
  vep["subsets"][0]["addresses"][0]["ip"] = "10.0.0.2";
  auto next = UpdatedHostEndpoints(current, TranslateEndpoints(vep, kOpts));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ((*next)["subsets"][0]["addresses"][0]["ip"], "10.0.0.2");
  EXPECT_EQ((*next)["metadata"]["resourceVersion"], "7");  // an update of what the host has
  json emptied = TranslateEndpoints(json::parse(R"({"metadata":{"name":"db","namespace":"prod"}})"), kOpts);
  EXPECT_FALSE(emptied.contains("subsets"));
  EXPECT_EQ((*UpdatedHostEndpoints(current, emptied))["subsets"], json::array());
}

}  // namespace
}  // namespace vkube::translate
