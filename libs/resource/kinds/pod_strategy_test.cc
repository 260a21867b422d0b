#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Pods() {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("", "v1", "pods")->strategy;
}

json NewPod() {
  return json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default",
    "creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"containers":[
      {"name":"app","image":"nginx","ports":[{"containerPort":80}],
       "readinessProbe":{"httpGet":{"port":80}},
       "env":[{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]},
      {"name":"sidecar","image":"busybox:1.36","resources":{"limits":{"cpu":"100m","memory":"64Mi"}}}]},
    "status":{"phase":"Running"}})");
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

TEST(PodStrategy, CreateDefaultsLikeKubeApiserver) {
  json pod = NewPod();
  Pods().PrepareForCreate(pod);
  const json& spec = pod["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Always");
  EXPECT_EQ(spec["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(spec["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(spec["schedulerName"], "default-scheduler");
  EXPECT_EQ(spec["securityContext"], json::object());
  EXPECT_EQ(spec["enableServiceLinks"], true);
  EXPECT_EQ(spec["priority"], 0);
  EXPECT_EQ(spec["preemptionPolicy"], "PreemptLowerPriority");
  EXPECT_EQ(spec["serviceAccountName"], "default");
  EXPECT_EQ(spec["serviceAccount"], "default");
  EXPECT_EQ(spec["tolerations"], json::parse(R"([
    {"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},
    {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}])"));
  const json& app = spec["containers"][0];
  EXPECT_EQ(app["imagePullPolicy"], "Always");  // no tag means :latest
  EXPECT_EQ(app["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(app["terminationMessagePolicy"], "File");
  EXPECT_EQ(app["resources"], json::object());
  EXPECT_EQ(app["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(app["readinessProbe"], json::parse(R"({"httpGet":{"port":80,"path":"/","scheme":"HTTP"},
    "timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  EXPECT_EQ(app["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
  const json& sidecar = spec["containers"][1];
  EXPECT_EQ(sidecar["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(sidecar["resources"]["requests"], json::parse(R"({"cpu":"100m","memory":"64Mi"})"));  // from limits
  // Status belongs to the kubelet: the creator's is replaced.
  EXPECT_EQ(pod["status"], json::parse(R"({"phase":"Pending","qosClass":"Burstable"})"));
  EXPECT_FALSE(pod["metadata"].contains("generation"));
  EXPECT_TRUE(Pods().Validate(pod).empty());
}

TEST(PodStrategy, ImagePullPolicyFollowsTheTag) {
  auto policy = [](const char* image) {
    json pod = NewPod();
    pod["spec"]["containers"] = json::array({{{"name", "c"}, {"image", image}}});
    Pods().PrepareForCreate(pod);
    return pod["spec"]["containers"][0]["imagePullPolicy"].get<std::string>();
  };
  EXPECT_EQ(policy("nginx:latest"), "Always");
  EXPECT_EQ(policy("registry:5000/team/app"), "Always");
  EXPECT_EQ(policy("registry:5000/team/app:v2"), "IfNotPresent");
  EXPECT_EQ(policy("nginx@sha256:0123"), "IfNotPresent");
  EXPECT_EQ(policy("nginx:latest@sha256:0123"), "Always");
}

TEST(PodStrategy, QosClasses) {
  auto qos = [](json resources) {
    json pod = NewPod();
    pod["spec"]["containers"] = json::array({{{"name", "c"}, {"image", "i"}, {"resources", std::move(resources)}}});
    Pods().PrepareForCreate(pod);
    return pod["status"]["qosClass"].get<std::string>();
  };
  EXPECT_EQ(qos(json::object()), "BestEffort");
  EXPECT_EQ(qos(json::parse(R"({"requests":{"cpu":"100m"}})")), "Burstable");
  EXPECT_EQ(qos(json::parse(R"({"limits":{"cpu":"1","memory":"1Gi"}})")), "Guaranteed");
  EXPECT_EQ(qos(json::parse(R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1000m"}})")), "Guaranteed");
  EXPECT_EQ(qos(json::parse(R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}})")), "Burstable");
  EXPECT_EQ(qos(json::parse(R"({"requests":{"ephemeral-storage":"1Gi"}})")), "BestEffort");
}

TEST(PodStrategy, ExistingTolerationsAreKeptAndCompleted) {
  json pod = NewPod();
  pod["spec"]["tolerations"] = json::parse(R"([{"key":"node.kubernetes.io/not-ready","operator":"Exists"}])");
  Pods().PrepareForCreate(pod);
  ASSERT_EQ(pod["spec"]["tolerations"].size(), 2u);
  EXPECT_EQ(pod["spec"]["tolerations"][1]["key"], "node.kubernetes.io/unreachable");
}

TEST(PodStrategy, ValidationMessages) {
  auto messages = [](json pod) {
    std::vector<std::string> out;
    for (const auto& e : Pods().Validate(pod)) out.push_back(e.field + ": " + e.message);
    return out;
  };
  json empty = json::parse(R"({"metadata":{"name":"p","namespace":"d"},"spec":{"containers":[]}})");
  Pods().PrepareForCreate(empty);
  EXPECT_EQ(messages(empty), std::vector<std::string>{"spec.containers: Required value"});

  json noimage = json::parse(R"({"metadata":{"name":"p","namespace":"d"},"spec":{"containers":[{"name":"c"}]}})");
  Pods().PrepareForCreate(noimage);
  EXPECT_EQ(messages(noimage), std::vector<std::string>{"spec.containers[0].image: Required value"});

  json bad = json::parse(R"({"metadata":{"name":"p","namespace":"d"},"spec":{"restartPolicy":"Sometimes",
    "containers":[{"name":"C","image":"i","ports":[{"containerPort":70000}],
                   "volumeMounts":[{"name":"data","mountPath":"/data"}],
                   "resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2"}}},
                  {"name":"C","image":"i"}]}})");
  Pods().PrepareForCreate(bad);
  auto errs = messages(bad);
  EXPECT_EQ(errs, (std::vector<std::string>{
                      "spec.containers[0].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower "
                      "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
                      "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                      "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, "
                      "inclusive",
                      "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
                      "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu "
                      "limit of 1",
                      "spec.containers[1].name: Invalid value: \"C\": a lowercase RFC 1123 label must consist of lower "
                      "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
                      "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                      "spec.containers[1].name: Duplicate value: \"C\"",
                      "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
                      "\"OnFailure\", \"Never\""}));

  json ephemeral = NewPod();
  Pods().PrepareForCreate(ephemeral);
  ephemeral["spec"]["ephemeralContainers"] = json::array({{{"name", "debug"}, {"image", "busybox"}}});
  EXPECT_EQ(messages(ephemeral).back(), "spec.ephemeralContainers: Forbidden: cannot be set on create");
}

TEST(PodStrategy, SpecIsMostlyImmutable) {
  json old = NewPod();
  Pods().PrepareForCreate(old);
  json image = old;
  image["spec"]["containers"][0]["image"] = "nginx:1.27";
  image["metadata"]["labels"] = {{"x", "y"}};
  image["spec"]["tolerations"].push_back({{"key", "k"}, {"operator", "Exists"}});
  Pods().PrepareForUpdate(image, old);
  EXPECT_TRUE(Pods().ValidateUpdate(image, old).empty());

  json node = old;
  node["spec"]["nodeName"] = "n1";
  Pods().PrepareForUpdate(node, old);
  auto errs = Pods().ValidateUpdate(node, old);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec");
  EXPECT_EQ(errs[0].message.rfind("Forbidden: pod updates may not change fields other than `spec.containers[*].image`", 0),
            0u);

  json removed = old;
  removed["spec"]["tolerations"].erase(0);
  auto tol_errs = Pods().ValidateUpdate(removed, old);
  ASSERT_FALSE(tol_errs.empty());
  EXPECT_EQ(tol_errs[0].message, "Forbidden: existing toleration can not be modified except its tolerationSeconds");

  // The status a client sends with a main-resource update is ignored.
  json status = old;
  status["status"]["phase"] = "Failed";
  Pods().PrepareForUpdate(status, old);
  EXPECT_EQ(status["status"]["phase"], "Pending");
}

TEST(PodStrategy, TableOfARunningPodWithARestart) {
  json pod = NewPod();
  Pods().PrepareForCreate(pod);
  pod["spec"]["nodeName"] = "node-1";
  pod["status"] = json::parse(R"({"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"}],
    "containerStatuses":[
      {"name":"app","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2024-01-01T00:00:05Z"}}},
      {"name":"sidecar","ready":false,"restartCount":1,"state":{"running":{}},
       "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-01-01T00:55:00Z"}}}]})");
  auto cells = Pods().Cells(pod, At("2024-01-01T01:00:00Z"));
  EXPECT_EQ(cells, json::parse(R"j(["web-0","1/2","Running","1 (5m ago)","60m","10.0.0.5","node-1","<none>","<none>"])j"));
  EXPECT_EQ(Pods().Columns().size(), cells.size());
}

TEST(PodStrategy, TableStatusColumnLikePrintPod) {
  auto status_of = [](const char* status_json, const char* extra_meta = nullptr) {
    json pod = NewPod();
    pod["status"] = json::parse(status_json);
    if (extra_meta) pod["metadata"].update(json::parse(extra_meta));
    return Pods().Cells(pod, At("2024-01-01T01:00:00Z"))[2].get<std::string>();
  };
  EXPECT_EQ(status_of(R"({"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"ContainerCreating"}}}]})"),
            "ContainerCreating");
  EXPECT_EQ(status_of(R"({"phase":"Running","containerStatuses":[
      {"state":{"waiting":{"reason":"CrashLoopBackOff"}},"restartCount":4}]})"),
            "CrashLoopBackOff");
  EXPECT_EQ(status_of(R"({"phase":"Succeeded","containerStatuses":[
      {"state":{"terminated":{"reason":"Completed","exitCode":0}}}]})"),
            "Completed");
  EXPECT_EQ(status_of(R"({"phase":"Failed","containerStatuses":[{"state":{"terminated":{"exitCode":2}}}]})"),
            "ExitCode:2");
  EXPECT_EQ(status_of(R"({"phase":"Failed","containerStatuses":[{"state":{"terminated":{"exitCode":0,"signal":9}}}]})"),
            "Signal:9");
  EXPECT_EQ(status_of(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"init","state":{"waiting":{"reason":"PodInitializing"}}}]})"),
            "Init:0/0");
  EXPECT_EQ(status_of(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"init","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]})"),
            "Init:Error");
  EXPECT_EQ(status_of(R"({"phase":"Running"})", R"({"deletionTimestamp":"2024-01-01T00:59:00Z"})"), "Terminating");
  EXPECT_EQ(status_of(R"({"phase":"Succeeded"})", R"({"deletionTimestamp":"2024-01-01T00:59:00Z"})"), "Succeeded");
  EXPECT_EQ(status_of(R"({"phase":"Running","reason":"NodeLost"})", R"({"deletionTimestamp":"2024-01-01T00:59:00Z"})"),
            "Unknown");
  EXPECT_EQ(status_of(R"({"phase":"Pending","reason":"Evicted"})"), "Evicted");
  EXPECT_EQ(status_of(R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False",
      "reason":"SchedulingGated"}]})"),
            "SchedulingGated");
}

TEST(PodStrategy, ReadinessGatesAndSidecars) {
  json pod = NewPod();
  pod["spec"]["readinessGates"] = json::parse(R"([{"conditionType":"example.com/ready"},{"conditionType":"x/y"}])");
  pod["spec"]["initContainers"] = json::parse(R"([{"name":"proxy","image":"envoy","restartPolicy":"Always"}])");
  pod["status"] = json::parse(R"({"phase":"Running","conditions":[{"type":"example.com/ready","status":"True"}],
    "initContainerStatuses":[{"name":"proxy","started":true,"ready":true,"restartCount":2,"state":{"running":{}},
      "lastState":{"terminated":{"finishedAt":"2024-01-01T00:30:00Z"}}}],
    "containerStatuses":[{"name":"app","ready":true,"state":{"running":{}}},
                         {"name":"sidecar","ready":true,"state":{"running":{}}}]})");
  auto cells = Pods().Cells(pod, At("2024-01-01T01:00:00Z"));
  EXPECT_EQ(cells[1], "3/3");
  EXPECT_EQ(cells[3], "2 (30m ago)");
  EXPECT_EQ(cells[8], "1/2");
}

TEST(PodStrategy, SelectableFields) {
  json pod = NewPod();
  Pods().PrepareForCreate(pod);
  pod["spec"]["nodeName"] = "n1";
  pod["status"]["podIPs"] = json::parse(R"([{"ip":"10.1.0.3"}])");
  auto attrs = Pods().GetAttrs(pod);
  auto field = [&](const std::string& name) {
    for (const auto& [k, v] : attrs.fields) {
      if (k == name) return v;
    }
    return std::string("<missing>");
  };
  EXPECT_EQ(field("spec.nodeName"), "n1");
  EXPECT_EQ(field("spec.restartPolicy"), "Always");
  EXPECT_EQ(field("spec.schedulerName"), "default-scheduler");
  EXPECT_EQ(field("spec.serviceAccountName"), "default");
  EXPECT_EQ(field("spec.hostNetwork"), "false");
  EXPECT_EQ(field("status.phase"), "Pending");
  EXPECT_EQ(field("status.podIP"), "10.1.0.3");
  EXPECT_EQ(field("status.nominatedNodeName"), "");
  EXPECT_TRUE(std::is_sorted(attrs.fields.begin(), attrs.fields.end()));
  auto extra = Pods().ExtraSelectableFields();
  EXPECT_NE(std::find(extra.begin(), extra.end(), "status.podIPs"), extra.end());
}

}  // namespace
}  // namespace vkube::resource
