// Decoding of the protobuf bodies kubectl 1.32 sends for typed creates (`kubectl create job|
// cronjob|role|rolebinding|clusterrole|clusterrolebinding|quota|priorityclass|pdb|ingress`),
// from hand-built wire bytes with k8s.io/api's field numbers.
#include "libs/resource/protobuf_decoder.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using nlohmann::json;

std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
// Length-delimited field (strings, bytes, messages, map entries).
std::string Bytes(int n, const std::string& payload) {
  return Varint(static_cast<std::uint64_t>(n) << 3 | 2) + Varint(payload.size()) + payload;
}
std::string Int(int n, std::uint64_t v) { return Varint(static_cast<std::uint64_t>(n) << 3) + Varint(v); }
std::string MapEntry(int n, const std::string& k, const std::string& v) { return Bytes(n, Bytes(1, k) + Bytes(2, v)); }
std::string Meta(const std::string& name) { return Bytes(1, Bytes(1, name)); }  // Object.metadata{name}

std::string Envelope(const std::string& api_version, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + Bytes(1, Bytes(1, api_version) + Bytes(2, kind)) + Bytes(2, raw);
}

json Decode(const std::string& body) {
  auto r = DecodeKubernetesProtobuf(body);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : json();
}

// PodTemplateSpec{metadata{}, spec{containers[{name, image, command..., resources{}}], restartPolicy}}
std::string Template(const std::string& restart) {
  std::string container = Bytes(1, "pi") + Bytes(2, "busybox") + Bytes(3, "echo") + Bytes(3, "hi") + Bytes(8, "");
  return Bytes(1, "") + Bytes(2, Bytes(2, container) + Bytes(3, restart));
}

TEST(ProtobufKinds, JobAsKubectlCreateJobSendsIt) {
  std::string spec = Bytes(6, Template("Never"));
  json job = Decode(Envelope("batch/v1", "Job", Meta("pi") + Bytes(2, spec) + Bytes(3, "")));
  // Empty non-pointer structs (template metadata, resources, status) are dropped, as JSON omits them.
  EXPECT_EQ(job, json::parse(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi"},
    "spec":{"template":{"spec":{"containers":[{"name":"pi","image":"busybox",
    "command":["echo","hi"]}],"restartPolicy":"Never"}}}})"));
}

TEST(ProtobufKinds, JobSpecPointersKeepZeroValues) {
  // completions=0 and suspend=false are pointers: present means set, even when zero.
  std::string spec = Int(1, 2) + Int(2, 0) + Int(7, 3) + Int(10, 0) + Bytes(9, "Indexed") + Bytes(14, "Failed") +
                     Bytes(4, MapEntry(1, "app", "pi")) + Int(5, 1) + Bytes(6, Template("OnFailure"));
  json job = Decode(Envelope("batch/v1", "Job", Meta("pi") + Bytes(2, spec)));
  const json& s = job["spec"];
  EXPECT_EQ(s["parallelism"], 2);
  EXPECT_EQ(s["completions"], 0);
  EXPECT_EQ(s["backoffLimit"], 3);
  EXPECT_EQ(s["suspend"], false);
  EXPECT_EQ(s["completionMode"], "Indexed");
  EXPECT_EQ(s["podReplacementPolicy"], "Failed");
  EXPECT_EQ(s["manualSelector"], true);
  EXPECT_EQ(s["selector"], json::parse(R"({"matchLabels":{"app":"pi"}})"));
  EXPECT_EQ(s["template"]["spec"]["restartPolicy"], "OnFailure");
}

TEST(ProtobufKinds, CronJobWithJobTemplate) {
  std::string job_spec = Bytes(6, Template("OnFailure"));
  std::string spec = Bytes(1, "*/5 * * * *") + Bytes(3, "Forbid") + Bytes(5, Meta("tick") + Bytes(2, job_spec)) +
                     Bytes(8, "Europe/Paris") + Int(6, 0);
  json cj = Decode(Envelope("batch/v1", "CronJob", Meta("tick") + Bytes(2, spec) + Bytes(3, "")));
  EXPECT_EQ(cj["spec"]["schedule"], "*/5 * * * *");
  EXPECT_EQ(cj["spec"]["concurrencyPolicy"], "Forbid");
  EXPECT_EQ(cj["spec"]["timeZone"], "Europe/Paris");
  EXPECT_EQ(cj["spec"]["successfulJobsHistoryLimit"], 0);
  EXPECT_EQ(cj["spec"]["jobTemplate"]["metadata"]["name"], "tick");
  EXPECT_EQ(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"], "busybox");
}

TEST(ProtobufKinds, RolesAndBindings) {
  std::string rule = Bytes(1, "get") + Bytes(1, "list") + Bytes(2, "") + Bytes(3, "pods") + Bytes(4, "web");
  json role = Decode(Envelope("rbac.authorization.k8s.io/v1", "Role", Meta("reader") + Bytes(2, rule)));
  EXPECT_EQ(role["rules"], json::parse(R"([{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],
    "resourceNames":["web"]}])"));

  std::string url_rule = Bytes(1, "get") + Bytes(5, "/healthz");
  std::string aggregation = Bytes(1, MapEntry(1, "rbac.example.com/aggregate", "true"));
  json cr = Decode(Envelope("rbac.authorization.k8s.io/v1", "ClusterRole",
                            Meta("health") + Bytes(2, url_rule) + Bytes(3, aggregation)));
  EXPECT_EQ(cr["rules"][0]["nonResourceURLs"], json::array({"/healthz"}));
  EXPECT_EQ(cr["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"]["rbac.example.com/aggregate"], "true");

  std::string user = Bytes(1, "User") + Bytes(2, "rbac.authorization.k8s.io") + Bytes(3, "alice");
  std::string sa = Bytes(1, "ServiceAccount") + Bytes(3, "builder") + Bytes(4, "ci");
  std::string ref = Bytes(1, "rbac.authorization.k8s.io") + Bytes(2, "Role") + Bytes(3, "reader");
  json rb = Decode(Envelope("rbac.authorization.k8s.io/v1", "RoleBinding",
                            Meta("read") + Bytes(2, user) + Bytes(2, sa) + Bytes(3, ref)));
  EXPECT_EQ(rb["subjects"], json::parse(R"([{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"},
    {"kind":"ServiceAccount","name":"builder","namespace":"ci"}])"));
  EXPECT_EQ(rb["roleRef"], json::parse(R"({"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"})"));
  json crb = Decode(Envelope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", Meta("all") + Bytes(3, ref)));
  EXPECT_EQ(crb["kind"], "ClusterRoleBinding");
  EXPECT_EQ(crb["roleRef"]["name"], "reader");
}

TEST(ProtobufKinds, QuotaPriorityClassAndBudget) {
  std::string quantity = Bytes(1, "10");  // resource.Quantity{string}
  std::string hard = Bytes(1, Bytes(1, "pods") + Bytes(2, quantity)) + Bytes(1, Bytes(1, "requests.cpu") + Bytes(2, Bytes(1, "500m")));
  json rq = Decode(Envelope("v1", "ResourceQuota", Meta("q") + Bytes(2, hard + Bytes(2, "BestEffort")) + Bytes(3, "")));
  EXPECT_EQ(rq["spec"], json::parse(R"({"hard":{"pods":"10","requests.cpu":"500m"},"scopes":["BestEffort"]})"));

  json pc = Decode(Envelope("scheduling.k8s.io/v1", "PriorityClass",
                            Meta("high") + Int(2, 1000) + Int(3, 1) + Bytes(4, "important") + Bytes(5, "Never")));
  EXPECT_EQ(pc, json::parse(R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"high"},
    "value":1000,"globalDefault":true,"description":"important","preemptionPolicy":"Never"})"));

  std::string min_available = Int(1, 0) + Int(2, 2);       // IntOrString{Type:Int, IntVal:2}
  std::string max_unavailable = Int(1, 1) + Bytes(3, "25%");  // IntOrString{Type:String, StrVal:"25%"}
  std::string spec = Bytes(1, min_available) + Bytes(2, MapEntry(1, "app", "web")) + Bytes(3, max_unavailable);
  json pdb = Decode(Envelope("policy/v1", "PodDisruptionBudget", Meta("web") + Bytes(2, spec) + Bytes(3, "")));
  EXPECT_EQ(pdb["spec"], json::parse(R"({"minAvailable":2,"selector":{"matchLabels":{"app":"web"}},
    "maxUnavailable":"25%"})"));
}

TEST(ProtobufKinds, IngressAsKubectlCreateIngressSendsIt) {
  // kubectl create ingress web --class=nginx --rule="foo.com/=svc:80,tls=cert"
  std::string backend = Bytes(4, Bytes(1, "svc") + Bytes(2, Int(2, 80)));
  std::string path = Bytes(1, "/") + Bytes(2, backend) + Bytes(3, "Exact");
  std::string rule = Bytes(1, "foo.com") + Bytes(2, Bytes(1, Bytes(1, path)));
  std::string tls = Bytes(1, "foo.com") + Bytes(2, "cert");
  std::string named_backend = Bytes(4, Bytes(1, "default") + Bytes(2, Bytes(1, "http")));
  std::string spec = Bytes(4, "nginx") + Bytes(3, rule) + Bytes(2, tls) + Bytes(1, named_backend);
  json ing = Decode(Envelope("networking.k8s.io/v1", "Ingress", Meta("web") + Bytes(2, spec) + Bytes(3, "")));
  EXPECT_EQ(ing["spec"], json::parse(R"({"ingressClassName":"nginx",
    "rules":[{"host":"foo.com","http":{"paths":[{"path":"/","pathType":"Exact",
      "backend":{"service":{"name":"svc","port":{"number":80}}}}]}}],
    "tls":[{"hosts":["foo.com"],"secretName":"cert"}],
    "defaultBackend":{"service":{"name":"default","port":{"name":"http"}}}})"));
}

TEST(ProtobufKinds, UnknownFieldsAndKindsAreRefused) {
  auto r = DecodeKubernetesProtobuf(Envelope("batch/v1", "Job", Meta("pi") + Bytes(2, Int(99, 1))));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(r.error().message.find("field 99 of JobSpec"), std::string::npos) << r.error().message;
  auto hpa = DecodeKubernetesProtobuf(Envelope("autoscaling/v2", "HorizontalPodAutoscaler", Meta("x")));
  ASSERT_FALSE(hpa.ok());
  EXPECT_NE(hpa.error().message.find("not supported in protobuf"), std::string::npos);
}

}  // namespace
}  // namespace vkube::resource
