#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Apps(std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("apps", "v1", resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

json Workload(const char* kind, const char* extra_spec = "{}") {
  json o = json::parse(R"({"apiVersion":"apps/v1","metadata":{"name":"web","namespace":"default",
    "creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}},
    "status":{"replicas":9}})");
  o["kind"] = kind;
  o["spec"].update(json::parse(extra_spec));
  return o;
}

TEST(DeploymentStrategy, CreateDefaults) {
  json d = Workload("Deployment");
  Apps("deployments").PrepareForCreate(d);
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_EQ(d["status"], json::object());
  const json& spec = d["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["progressDeadlineSeconds"], 600);
  EXPECT_EQ(spec["strategy"], json::parse(R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%",
    "maxSurge":"25%"}})"));
  EXPECT_EQ(spec["template"]["metadata"]["creationTimestamp"], nullptr);
  const json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Always");
  EXPECT_EQ(pod["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(pod["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(pod["containers"][0]["resources"], json::object());
  EXPECT_FALSE(pod.contains("enableServiceLinks"));  // a Pod-only default
  EXPECT_FALSE(pod.contains("tolerations"));         // admission only shapes pods
  EXPECT_TRUE(Apps("deployments").Validate(d).empty());

  json recreate = Workload("Deployment", R"({"strategy":{"type":"Recreate"}})");
  Apps("deployments").PrepareForCreate(recreate);
  EXPECT_EQ(recreate["spec"]["strategy"], json::parse(R"({"type":"Recreate"})"));
}

TEST(DeploymentStrategy, GenerationFollowsSpecAndAnnotations) {
  const Strategy& s = Apps("deployments");
  json d = Workload("Deployment");
  s.PrepareForCreate(d);
  json scaled = d;
  scaled["spec"]["replicas"] = 3;
  s.PrepareForUpdate(scaled, d);
  EXPECT_EQ(scaled["metadata"]["generation"], 2);
  json labelled = d;
  labelled["metadata"]["labels"] = {{"a", "b"}};
  s.PrepareForUpdate(labelled, d);
  EXPECT_EQ(labelled["metadata"]["generation"], 1);
  json annotated = d;
  annotated["metadata"]["annotations"] = {{"a", "b"}};
  s.PrepareForUpdate(annotated, d);
  EXPECT_EQ(annotated["metadata"]["generation"], 2);
  json status = d;
  status["status"] = {{"replicas", 3}};
  s.PrepareForStatusUpdate(status, d);
  EXPECT_EQ(status["metadata"]["generation"], 1);
  EXPECT_EQ(status["status"]["replicas"], 3);
}

TEST(DeploymentStrategy, ValidationMessages) {
  const Strategy& s = Apps("deployments");
  json no_selector = Workload("Deployment");
  no_selector["spec"].erase("selector");
  s.PrepareForCreate(no_selector);
  EXPECT_EQ(Messages(s.Validate(no_selector)),
            (std::vector<std::string>{"spec.selector: Required value",
                                      "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
                                      "`selector` does not match template `labels`"}));

  json mismatch = Workload("Deployment");
  mismatch["spec"]["template"]["metadata"]["labels"]["app"] = "db";
  s.PrepareForCreate(mismatch);
  EXPECT_EQ(Messages(s.Validate(mismatch)),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"db\"}: "
                                     "`selector` does not match template `labels`"});

  json empty = Workload("Deployment", R"({"selector":{}})");
  s.PrepareForCreate(empty);
  EXPECT_EQ(Messages(s.Validate(empty)),
            std::vector<std::string>{"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                                     "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid "
                                     "for deployment"});

  json bad = Workload("Deployment", R"({"replicas":-1,"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}}})");
  bad["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  bad["spec"]["template"]["spec"]["containers"][0].erase("image");
  s.PrepareForCreate(bad);
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.template.spec.containers[0].image: Required value",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, "
                "StrVal:\"\"}: may not be 0 when `maxSurge` is 0"}));
}

TEST(DeploymentStrategy, SelectorIsImmutable) {
  const Strategy& s = Apps("deployments");
  json d = Workload("Deployment");
  s.PrepareForCreate(d);
  json changed = d;
  changed["spec"]["selector"]["matchLabels"]["app"] = "web2";
  changed["spec"]["template"]["metadata"]["labels"]["app"] = "web2";
  s.PrepareForUpdate(changed, d);
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, d)),
            std::vector<std::string>{"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
                                     "\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is "
                                     "immutable"});
}

TEST(DeploymentStrategy, TableCells) {
  json d = Workload("Deployment", R"({"replicas":3,"selector":{"matchLabels":{"app":"web"},
    "matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]}]}})");
  d["spec"]["template"]["metadata"]["labels"]["tier"] = "a";
  d["spec"]["template"]["spec"]["containers"].push_back({{"name", "log"}, {"image", "fluent-bit"}});
  d["status"] = json::parse(R"({"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2})");
  auto cells = Apps("deployments").Cells(d, *ParseRfc3339("2024-01-03T00:00:00Z"));
  EXPECT_EQ(cells, json::parse(R"j(["web","2/3",3,2,"2d","nginx,log","nginx:1.27,fluent-bit","app=web,tier in (a,b)"])j"));
}

TEST(ReplicaSetStrategy, DefaultsCellsAndFields) {
  const Strategy& s = Apps("replicasets");
  json rs = Workload("ReplicaSet");
  s.PrepareForCreate(rs);
  EXPECT_EQ(rs["spec"]["replicas"], 1);
  EXPECT_EQ(rs["status"], json::parse(R"({"replicas":0})"));
  EXPECT_EQ(rs["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(rs).empty());
  rs["status"] = json::parse(R"({"replicas":1,"readyReplicas":1})");
  EXPECT_EQ(s.Cells(rs, *ParseRfc3339("2024-01-01T00:00:30Z")),
            json::parse(R"(["web",1,1,1,"30s","nginx","nginx:1.27","app=web"])"));
  auto attrs = s.GetAttrs(rs);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(),
                      std::pair<std::string, std::string>{"status.replicas", "1"}),
            attrs.fields.end());
  EXPECT_EQ(s.ExtraSelectableFields(), std::vector<std::string>{"status.replicas"});
}

TEST(StatefulSetStrategy, DefaultsAndUpdateRules) {
  const Strategy& s = Apps("statefulsets");
  json sts = Workload("StatefulSet", R"({"serviceName":"web","volumeClaimTemplates":[{"metadata":{"name":"data"},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]})");
  s.PrepareForCreate(sts);
  const json& spec = sts["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["podManagementPolicy"], "OrderedReady");
  EXPECT_EQ(spec["updateStrategy"], json::parse(R"({"type":"RollingUpdate","rollingUpdate":{"partition":0}})"));
  EXPECT_EQ(spec["persistentVolumeClaimRetentionPolicy"], json::parse(R"({"whenDeleted":"Retain","whenScaled":"Retain"})"));
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["volumeClaimTemplates"][0]["spec"]["volumeMode"], "Filesystem");
  EXPECT_EQ(spec["volumeClaimTemplates"][0]["status"]["phase"], "Pending");
  EXPECT_EQ(sts["status"], json::parse(R"({"replicas":0,"availableReplicas":0})"));
  EXPECT_TRUE(s.Validate(sts).empty());

  json scaled = sts;
  scaled["spec"]["replicas"] = 3;
  scaled["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28";
  s.PrepareForUpdate(scaled, sts);
  EXPECT_TRUE(s.ValidateUpdate(scaled, sts).empty());
  EXPECT_EQ(scaled["metadata"]["generation"], 2);
  json renamed = sts;
  renamed["spec"]["serviceName"] = "other";
  EXPECT_EQ(Messages(s.ValidateUpdate(renamed, sts)),
            std::vector<std::string>{
                "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden"});
  sts["status"] = json::parse(R"({"replicas":1,"readyReplicas":1})");
  EXPECT_EQ(s.Cells(sts, *ParseRfc3339("2024-01-01T00:05:00Z")), json::parse(R"(["web","1/1","5m","nginx","nginx:1.27"])"));
}

TEST(DaemonSetStrategy, DefaultsValidationAndCells) {
  const Strategy& s = Apps("daemonsets");
  json ds = Workload("DaemonSet");
  ds["spec"]["template"]["spec"]["nodeSelector"] = {{"kubernetes.io/os", "linux"}};
  s.PrepareForCreate(ds);
  EXPECT_EQ(ds["spec"]["updateStrategy"],
            json::parse(R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}})"));
  EXPECT_EQ(ds["spec"]["revisionHistoryLimit"], 10);
  EXPECT_FALSE(ds["spec"].contains("replicas"));
  EXPECT_EQ(ds["status"], json::parse(R"({"currentNumberScheduled":0,"numberMisscheduled":0,
    "desiredNumberScheduled":0,"numberReady":0})"));
  EXPECT_TRUE(s.Validate(ds).empty());
  json no_selector = ds;
  no_selector["spec"].erase("selector");
  EXPECT_EQ(Messages(s.Validate(no_selector)),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
                                     "`selector` does not match template `labels`"});
  ds["status"] = json::parse(R"({"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,
    "updatedNumberScheduled":3,"numberAvailable":2})");
  EXPECT_EQ(s.Cells(ds, *ParseRfc3339("2024-01-01T03:00:00Z")),
            json::parse(R"(["web",3,3,2,3,2,"kubernetes.io/os=linux","3h","nginx","nginx:1.27","app=web"])"));
}

}  // namespace
}  // namespace vkube::resource
