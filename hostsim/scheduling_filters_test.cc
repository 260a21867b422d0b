#include "hostsim/scheduling_filters.h"

#include <gtest/gtest.h>

namespace vkube::hostsim {
namespace {

using nlohmann::json;

NodeState Node(const std::string& name) {
  NodeState n;
  n.name = name;
  n.labels = {{"kubernetes.io/hostname", name}, {"zone", "a"}, {"cores", "8"}};
  n.ready = true;
  n.allocatable = {{"cpu", 8000}, {"memory", 32LL * 1024 * 1024 * 1024 * 1000}, {"pods", 110000}};
  return n;
}

json Pod(const std::string& spec_extra = "") {
  return json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"}])" + spec_extra + "}}");
}

TEST(FilterReasons, ResourcesAsNodeResourcesFitWordsThem) {
  NodeState n = Node("n");
  EXPECT_TRUE(FilterReasons(Pod(), {{"cpu", 8000}}, n).empty());
  EXPECT_EQ(FilterReasons(Pod(), {{"cpu", 8001}}, n), std::vector<std::string>{"Insufficient cpu"});
  n.requested = {{"cpu", 7000}};
  EXPECT_EQ(FilterReasons(Pod(), {{"cpu", 2000}, {"memory", 64LL * 1024 * 1024 * 1024 * 1000}}, n),
            (std::vector<std::string>{"Insufficient cpu", "Insufficient memory"}));
  EXPECT_EQ(FilterReasons(Pod(), {{"nvidia.com/gpu", 1000}}, n),
            std::vector<std::string>{"Insufficient nvidia.com/gpu"});
  n.pods = 110;
  EXPECT_EQ(FilterReasons(Pod(), {}, n), std::vector<std::string>{"Too many pods"});
}

TEST(FilterReasons, TaintsTolerationsAndReadiness) {
  NodeState n = Node("n");
  n.taints = json::parse(
      R"([{"key":"dedicated","value":"gpu","effect":"NoSchedule"},{"key":"soft","effect":"PreferNoSchedule"}])");
  EXPECT_EQ(FilterReasons(Pod(), {}, n), std::vector<std::string>{"node(s) had untolerated taint {dedicated: gpu}"});
  EXPECT_TRUE(
      FilterReasons(
          Pod(R"(,"tolerations":[{"key":"dedicated","operator":"Equal","value":"gpu","effect":"NoSchedule"}])"), {}, n)
          .empty());
  EXPECT_TRUE(FilterReasons(Pod(R"(,"tolerations":[{"operator":"Exists"}])"), {}, n).empty());
  EXPECT_FALSE(FilterReasons(Pod(R"(,"tolerations":[{"key":"dedicated","value":"cpu"}])"), {}, n).empty());
  n.taints = json::array();
  n.ready = false;
  EXPECT_EQ(FilterReasons(Pod(), {}, n),
            std::vector<std::string>{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"});
  n.ready = true;
  n.unschedulable = true;
  EXPECT_EQ(FilterReasons(Pod(), {}, n), std::vector<std::string>{"node(s) were unschedulable"});
}

TEST(FilterReasons, NodeSelectorAndRequiredAffinity) {
  NodeState n = Node("n1");
  const std::vector<std::string> mismatch{"node(s) didn't match Pod's node affinity/selector"};
  EXPECT_TRUE(FilterReasons(Pod(R"(,"nodeSelector":{"zone":"a"})"), {}, n).empty());
  EXPECT_EQ(FilterReasons(Pod(R"(,"nodeSelector":{"zone":"b"})"), {}, n), mismatch);
  auto affinity = [](const std::string& terms) {
    return Pod(
        R"(,"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":)" +
        terms + "}}}");
  };
  EXPECT_TRUE(
      FilterReasons(affinity(R"([{"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}])"), {}, n)
          .empty());
  EXPECT_EQ(
      FilterReasons(affinity(R"([{"matchExpressions":[{"key":"zone","operator":"NotIn","values":["a"]}]}])"), {}, n),
      mismatch);
  EXPECT_TRUE(
      FilterReasons(affinity(R"([{"matchExpressions":[{"key":"gpu","operator":"DoesNotExist"}]}])"), {}, n).empty());
  EXPECT_TRUE(
      FilterReasons(affinity(R"([{"matchExpressions":[{"key":"cores","operator":"Gt","values":["4"]}]}])"), {}, n)
          .empty());
  EXPECT_EQ(
      FilterReasons(affinity(R"([{"matchExpressions":[{"key":"cores","operator":"Lt","values":["4"]}]}])"), {}, n),
      mismatch);
  // Terms are ORed; matchFields on metadata.name.
  EXPECT_TRUE(FilterReasons(affinity(R"([{"matchExpressions":[{"key":"zone","operator":"In","values":["z"]}]},
                                        {"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}])"),
                            {}, n)
                  .empty());
  EXPECT_EQ(FilterReasons(affinity(R"([{}])"), {}, n), mismatch);  // an empty term matches nothing
}

TEST(FitErrorMessage, HistogramSortedAsStrings) {
  EXPECT_EQ(FitErrorMessage(3, {{"Insufficient cpu"}, {"Insufficient cpu"}, {"Insufficient cpu"}}),
            "0/3 nodes are available: 3 Insufficient cpu.");
  EXPECT_EQ(FitErrorMessage(3, {{"node(s) didn't match Pod's node affinity/selector"},
                                {"node(s) didn't match Pod's node affinity/selector"},
                                {"Insufficient cpu", "Insufficient memory"}}),
            "0/3 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 2 node(s) didn't match Pod's node "
            "affinity/selector.");
  EXPECT_EQ(FitErrorMessage(0, {}), "no nodes available to schedule pods");
}

TEST(Score, PrefersTheLeastAllocatedNode) {
  NodeState empty = Node("a"), busy = Node("b");
  busy.nonzero_requested = {{"cpu", 4000}, {"memory", 16LL * 1024 * 1024 * 1024 * 1000}};
  const ResourceList req = NonZeroRequests({});
  EXPECT_EQ(req.at("cpu"), 100);
  EXPECT_GT(Score(req, empty), Score(req, busy));
  EXPECT_LE(Score(req, empty), 100);
}

}  // namespace
}  // namespace vkube::hostsim
