#include "hostsim/resources.h"

#include <gtest/gtest.h>

#include "hostsim/ids.h"
#include "hostsim/sim_config.h"

namespace vkube::hostsim {
namespace {

using nlohmann::json;

TEST(MilliValue, ParsesKubeQuantities) {
  EXPECT_EQ(MilliValue("500m"), 500);
  EXPECT_EQ(MilliValue("2"), 2000);
  EXPECT_EQ(MilliValue(json(2)), 2000);
  EXPECT_EQ(MilliValue("0.1"), 100);
  EXPECT_EQ(MilliValue("1Ki"), 1024000);
  EXPECT_EQ(MilliValue("32Gi"), 32LL * 1024 * 1024 * 1024 * 1000);
  EXPECT_EQ(MilliValue("1k"), 1000000);
  EXPECT_EQ(MilliValue("1e3"), 1000000);
  EXPECT_EQ(MilliValue("1n"), 1);  // rounded up, like kube's MilliValue
  EXPECT_EQ(MilliValue("0"), 0);
  EXPECT_FALSE(MilliValue("abc").has_value());
  EXPECT_FALSE(MilliValue("1Xi").has_value());
  EXPECT_FALSE(MilliValue("-1").has_value());
  EXPECT_GT(*MilliValue("9E"), 0);  // saturates instead of overflowing
}

TEST(PodRequests, SumsContainersTakesTheInitPeakAndOverhead) {
  json pod = json::parse(R"({"spec":{
    "initContainers":[{"name":"i","resources":{"requests":{"cpu":"3"}}},
                      {"name":"side","restartPolicy":"Always","resources":{"requests":{"cpu":"100m"}}}],
    "containers":[{"name":"a","resources":{"requests":{"cpu":"500m","memory":"1Gi"}}},
                  {"name":"b","resources":{"limits":{"cpu":"1","nvidia.com/gpu":"1"}}}],
    "overhead":{"cpu":"10m"}}})");
  ResourceList r = PodRequests(pod);
  // max(1.5 + 0.1 sidecar, 3 init) + 10m overhead
  EXPECT_EQ(r["cpu"], 3010);
  EXPECT_EQ(r["memory"], 1024LL * 1024 * 1024 * 1000);
  EXPECT_EQ(r["nvidia.com/gpu"], 1000);  // limits stand in for requests
  EXPECT_TRUE(PodRequests(json::parse(R"({"spec":{"containers":[{"name":"a"}]}})")).empty());
}

TEST(Ids, DeterministicAndShaped) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(UuidFrom("x").size(), 36u);
  EXPECT_EQ(UuidFrom("x"), UuidFrom("x"));
  EXPECT_EQ(NormalizeImage("nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(NormalizeImage("nginx:1.27"), "docker.io/library/nginx:1.27");
  EXPECT_EQ(NormalizeImage("bitnami/redis"), "docker.io/bitnami/redis:latest");
  EXPECT_EQ(NormalizeImage("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
  EXPECT_EQ(NormalizeImage("localhost:5000/app"), "localhost:5000/app:latest");
}

TEST(SimConfig, NodeNamesAndAddresses) {
  SimConfig cfg;
  cfg.nodes = 12;
  EXPECT_EQ(cfg.NodeName(3), "vkube-node-3");
  EXPECT_EQ(cfg.NodeIndex("vkube-node-3"), 3);
  EXPECT_EQ(cfg.NodeIndex("vkube-node-11"), 11);
  EXPECT_EQ(cfg.NodeIndex("vkube-node-12"), -1);  // not one of ours
  EXPECT_EQ(cfg.NodeIndex("vkube-node-03"), -1);
  EXPECT_EQ(cfg.NodeIndex("vkube-node-"), -1);
  EXPECT_EQ(cfg.NodeIndex("other"), -1);
  EXPECT_EQ(cfg.NodeIp(0), "10.0.0.2");
  EXPECT_EQ(cfg.PodCidr(5), "10.244.5.0/24");
}

}  // namespace
}  // namespace vkube::hostsim
