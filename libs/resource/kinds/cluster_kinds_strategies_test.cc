// autoscaling/v2 HPAs, policy/v1 PDBs, storage classes and CSI drivers, leases, priority classes,
// events.k8s.io events and admission webhook configurations.
#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Kind(std::string_view group, std::string_view version, std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find(group, version, resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

json Obj(const char* name, bool namespaced = true) {
  json o = {{"metadata", {{"name", name}, {"creationTimestamp", "2024-01-01T00:00:00Z"}}}};
  if (namespaced) o["metadata"]["namespace"] = "default";
  return o;
}

TEST(HorizontalPodAutoscalerStrategy, DefaultsValidationAndCells) {
  const Strategy& s = Kind("autoscaling", "v2", "horizontalpodautoscalers");
  json hpa = Obj("web");
  hpa["spec"] = json::parse(R"({"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
    "maxReplicas":5,"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}})");
  s.PrepareForCreate(hpa);
  const json& spec = hpa["spec"];
  EXPECT_EQ(spec["minReplicas"], 1);
  EXPECT_EQ(spec["metrics"], json::parse(R"([{"type":"Resource","resource":{"name":"cpu",
    "target":{"type":"Utilization","averageUtilization":80}}}])"));
  EXPECT_EQ(spec["behavior"]["scaleUp"], json::parse(R"({"stabilizationWindowSeconds":0,"selectPolicy":"Max",
    "policies":[{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]})"));
  EXPECT_EQ(spec["behavior"]["scaleDown"], json::parse(R"({"stabilizationWindowSeconds":60,"selectPolicy":"Max",
    "policies":[{"type":"Percent","value":100,"periodSeconds":15}]})"));
  EXPECT_EQ(hpa["status"], json::parse(R"({"desiredReplicas":0})"));
  EXPECT_TRUE(s.Validate(hpa).empty()) << Messages(s.Validate(hpa))[0];
  EXPECT_EQ(s.Cells(hpa, At("2024-01-01T00:00:07Z")),
            json::parse(R"(["web","Deployment/web","cpu: <unknown>/80%","1",5,0,"7s"])"));
  hpa["status"] = json::parse(R"({"currentReplicas":2,"currentMetrics":[{"type":"Resource",
    "resource":{"name":"cpu","current":{"averageUtilization":35}}}]})");
  hpa["spec"]["metrics"].push_back(json::parse(R"({"type":"Pods","pods":{"metric":{"name":"qps"},
    "target":{"type":"AverageValue","averageValue":"1k"}}})"));
  hpa["spec"]["metrics"].push_back(json::parse(R"({"type":"External","external":{"metric":{"name":"queue"},
    "target":{"type":"Value","value":"30"}}})"));
  json cells = s.Cells(hpa, At("2024-01-01T00:00:07Z"));
  EXPECT_EQ(cells[2], "cpu: 35%/80%, <unknown>/1k + 1 more...");
  EXPECT_EQ(cells[5], 2);

  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":0,"maxReplicas":0})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{"spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
                                      "spec.maxReplicas: Invalid value: 0: must be greater than 0"}));
  json no_ref = Obj("noref");
  no_ref["spec"] = {{"maxReplicas", 3}, {"minReplicas", 4}};
  EXPECT_EQ(Messages(s.Validate(no_ref)),
            (std::vector<std::string>{"spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`",
                                      "spec.scaleTargetRef.kind: Required value",
                                      "spec.scaleTargetRef.name: Required value"}));
}

TEST(PodDisruptionBudgetStrategy, StatusValidationAndCells) {
  const Strategy& s = Kind("policy", "v1", "poddisruptionbudgets");
  json pdb = Obj("web");
  pdb["spec"] = json::parse(R"({"minAvailable":"50%","selector":{"matchLabels":{"app":"web"}}})");
  s.PrepareForCreate(pdb);
  EXPECT_EQ(pdb["status"], json::parse(R"({"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,
    "expectedPods":0})"));
  EXPECT_EQ(pdb["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(pdb).empty());
  EXPECT_EQ(s.Cells(pdb, At("2024-01-01T00:00:07Z")), json::parse(R"(["web","50%","N/A",0,"7s"])"));
  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"minAvailable":-1,"maxUnavailable":"150%","unhealthyPodEvictionPolicy":"Never"})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec: Invalid value: {\"maxUnavailable\":\"150%\",\"minAvailable\":-1,\"unhealthyPodEvictionPolicy\":"
                "\"Never\"}: minAvailable and maxUnavailable cannot be both set",
                "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0",
                "spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not "
                "be greater than 100%",
                "spec.unhealthyPodEvictionPolicy: Unsupported value: \"Never\": supported values: \"AlwaysAllow\", "
                "\"IfHealthyBudget\""}));
}

TEST(StorageClassStrategy, DefaultsImmutabilityAndDefaultMarker) {
  const Strategy& s = Kind("storage.k8s.io", "v1", "storageclasses");
  json sc = Obj("fast", false);
  sc["provisioner"] = "ebs.csi.aws.com";
  sc["parameters"] = {{"type", "gp3"}};
  s.PrepareForCreate(sc);
  EXPECT_EQ(sc["reclaimPolicy"], "Delete");
  EXPECT_EQ(sc["volumeBindingMode"], "Immediate");
  EXPECT_TRUE(s.Validate(sc).empty());
  EXPECT_EQ(s.Cells(sc, At("2024-01-01T00:00:07Z")),
            json::parse(R"(["fast","ebs.csi.aws.com","Delete","Immediate",false,"7s"])"));
  sc["metadata"]["annotations"] = {{"storageclass.kubernetes.io/is-default-class", "true"}};
  EXPECT_EQ(s.Cells(sc, At("2024-01-01T00:00:07Z"))[0], "fast (default)");
  json changed = sc;
  changed["parameters"] = {{"type", "io2"}};
  changed["reclaimPolicy"] = "Retain";
  changed["volumeBindingMode"] = "WaitForFirstConsumer";
  changed["allowVolumeExpansion"] = true;  // mutable
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, sc)),
            (std::vector<std::string>{
                "parameters: Forbidden: updates to parameters are forbidden.",
                "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
                "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable"}));
  json bad = Obj("bad", false);
  bad["reclaimPolicy"] = "Recycle";
  s.PrepareForCreate(bad);
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{"provisioner: Required value",
                                      "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", "
                                      "\"Retain\""}));
}

TEST(CsiDriverStrategy, DefaultsAndCells) {
  const Strategy& s = Kind("storage.k8s.io", "v1", "csidrivers");
  json d = Obj("ebs.csi.aws.com", false);
  d["spec"] = json::object();
  s.PrepareForCreate(d);
  EXPECT_EQ(d["spec"], json::parse(R"({"attachRequired":true,"podInfoOnMount":false,"storageCapacity":false,
    "fsGroupPolicy":"ReadWriteOnceWithFSType","requiresRepublish":false,"seLinuxMount":false,
    "volumeLifecycleModes":["Persistent"]})"));
  EXPECT_TRUE(s.Validate(d).empty());
  EXPECT_EQ(s.Cells(d, At("2024-01-01T00:00:07Z")),
            json::parse(R"(["ebs.csi.aws.com",true,false,false,"<unset>",false,"Persistent","7s"])"));
  json changed = d;
  changed["spec"]["attachRequired"] = false;
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, d)),
            std::vector<std::string>{"spec.attachRequired: Invalid value: false: field is immutable"});
}

TEST(LeaseStrategy, SpecAndHolder) {
  const Strategy& s = Kind("coordination.k8s.io", "v1", "leases");
  json lease = Obj("kube-scheduler");
  lease["spec"] = {{"holderIdentity", "node-1"}, {"leaseDurationSeconds", 15}};
  EXPECT_TRUE(s.Validate(lease).empty());
  EXPECT_EQ(s.Cells(lease, At("2024-01-01T00:00:07Z")), json::parse(R"(["kube-scheduler","node-1","7s"])"));
  lease["spec"]["leaseDurationSeconds"] = 0;
  lease["spec"]["leaseTransitions"] = -1;
  EXPECT_EQ(Messages(s.Validate(lease)),
            (std::vector<std::string>{"spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                                      "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"}));
}

TEST(PriorityClassStrategy, ReservedNamesValuesAndImmutability) {
  const Strategy& s = Kind("scheduling.k8s.io", "v1", "priorityclasses");
  json pc = Obj("high", false);
  pc["value"] = 1000;
  s.PrepareForCreate(pc);
  EXPECT_EQ(pc["preemptionPolicy"], "PreemptLowerPriority");
  EXPECT_TRUE(s.Validate(pc).empty());
  EXPECT_EQ(s.Cells(pc, At("2024-01-01T00:00:07Z")), json::parse(R"(["high",1000,false,"7s","PreemptLowerPriority"])"));
  json zero = Obj("zero", false);
  s.PrepareForCreate(zero);
  EXPECT_EQ(zero["value"], 0);

  json too_high = Obj("x", false);
  too_high["value"] = 2000000000;
  EXPECT_EQ(Messages(s.Validate(too_high)),
            std::vector<std::string>{"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"});
  json system = Obj("system-custom", false);
  EXPECT_EQ(Messages(s.Validate(system)),
            std::vector<std::string>{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved "
                                     "for system use only. error: system-custom is not a known system priority class"});
  json critical = Obj("system-node-critical", false);
  critical["value"] = 2000001000;
  EXPECT_TRUE(s.Validate(critical).empty());
  json changed = pc;
  changed["value"] = 5;
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, pc)),
            std::vector<std::string>{"value: Forbidden: may not be changed in an update."});
}

TEST(EventsV1Strategy, ValidationAndCoreCells) {
  const Strategy& s = Kind("events.k8s.io", "v1", "events");
  json e = Obj("web.17a");
  e.update(json::parse(R"({"eventTime":"2024-01-01T00:00:00.000000Z","reportingController":"example.com/ctl",
    "reportingInstance":"ctl-1","action":"Scale","reason":"Scaled","type":"Normal","note":"scaled to 3 ",
    "regarding":{"kind":"Deployment","name":"web","namespace":"default"}})"));
  s.PrepareForCreate(e);
  EXPECT_TRUE(s.Validate(e).empty()) << Messages(s.Validate(e))[0];
  EXPECT_EQ(s.Cells(e, At("2024-01-01T00:00:09Z")),
            json::parse(R"(["9s","Normal","Scaled","deployment/web","","example.com/ctl, ctl-1","scaled to 3","9s",1,
              "web.17a"])"));
  EXPECT_EQ(s.Columns().size(), 10u);

  json bad = Obj("bad");
  bad.update(json::parse(R"({"type":"Odd","deprecatedCount":3})"));
  s.PrepareForCreate(bad);
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{"reportingController: Required value",
                                      "reportingController: Invalid value: \"\": name part must be non-empty",
                                      "reportingController: Invalid value: \"\": name part must consist of alphanumeric "
                                      "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                                      "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                                      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                                      "reportingInstance: Required value",
                                      "action: Required value", "reason: Required value", "eventTime: Required value",
                                      "type: Invalid value: \"\": has invalid value: Odd",
                                      "count: Invalid value: \"\": needs to be unset"}));
  json changed = e;
  changed["note"] = "other";
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, e)),
            std::vector<std::string>{"message: Invalid value: \"other\": field is immutable"});
}

TEST(WebhookConfigurationStrategy, DefaultsValidationAndCells) {
  const Strategy& s =
      Kind("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");
  json wc = Obj("inject", false);
  wc["webhooks"] = json::parse(R"([{"name":"inject.example.com","sideEffects":"None","admissionReviewVersions":["v1"],
    "clientConfig":{"service":{"name":"injector","namespace":"system"}},
    "rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}]}])");
  s.PrepareForCreate(wc);
  const json& hook = wc["webhooks"][0];
  EXPECT_EQ(hook["failurePolicy"], "Fail");
  EXPECT_EQ(hook["matchPolicy"], "Equivalent");
  EXPECT_EQ(hook["timeoutSeconds"], 10);
  EXPECT_EQ(hook["reinvocationPolicy"], "Never");
  EXPECT_EQ(hook["namespaceSelector"], json::object());
  EXPECT_EQ(hook["rules"][0]["scope"], "*");
  EXPECT_EQ(hook["clientConfig"]["service"]["port"], 443);
  EXPECT_EQ(wc["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(wc).empty()) << Messages(s.Validate(wc))[0];
  EXPECT_EQ(s.Cells(wc, At("2024-01-01T00:00:07Z")), json::parse(R"(["inject",1,"7s"])"));

  const Strategy& vs = Kind("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");
  json bad = Obj("bad", false);
  bad["webhooks"] = json::parse(R"([{"name":"short.name","clientConfig":{"url":"http://x.example.com/?a=b"},
    "timeoutSeconds":60,"rules":[{"operations":["PATCH"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}]}])");
  vs.PrepareForCreate(bad);
  EXPECT_FALSE(bad["webhooks"][0].contains("reinvocationPolicy"));
  EXPECT_EQ(Messages(vs.Validate(bad)),
            (std::vector<std::string>{
                "webhooks[0].name: Invalid value: \"short.name\": should be a domain with at least three segments "
                "separated by dots",
                "webhooks[0].rules[0].operations[0]: Unsupported value: \"PATCH\": supported values: \"*\", \"CONNECT\", "
                "\"CREATE\", \"DELETE\", \"UPDATE\"",
                "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun",
                "webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds",
                "webhooks[0].clientConfig.url: Invalid value: \"http://x.example.com/?a=b\": 'https' is the only "
                "allowed URL scheme",
                "webhooks[0].clientConfig.url: Invalid value: \"http://x.example.com/?a=b\": query parameters are not "
                "permitted in the URL",
                "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"}));
}

}  // namespace
}  // namespace vkube::resource
