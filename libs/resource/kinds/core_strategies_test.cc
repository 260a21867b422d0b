// Namespaces, config maps, secrets, service accounts, events, endpoints, nodes, PVCs and PVs.
#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Core(std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("", "v1", resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

json Meta(const char* name, bool namespaced = true) {
  json m = {{"name", name}, {"creationTimestamp", "2024-01-01T00:00:00Z"}};
  if (namespaced) m["namespace"] = "default";
  return m;
}

TEST(NamespaceStrategy, FinalizerPhaseAndLabel) {
  const Strategy& s = Core("namespaces");
  json ns = {{"metadata", Meta("team-a", false)}, {"status", {{"phase", "Terminating"}}}};
  s.PrepareForCreate(ns);
  EXPECT_EQ(ns["spec"], json::parse(R"({"finalizers":["kubernetes"]})"));
  EXPECT_EQ(ns["status"], json::parse(R"({"phase":"Active"})"));
  EXPECT_EQ(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "team-a");
  EXPECT_TRUE(s.Validate(ns).empty());
  json upd = ns;
  upd["spec"]["finalizers"] = json::array();
  upd["metadata"]["labels"]["kubernetes.io/metadata.name"] = "spoofed";
  s.PrepareForUpdate(upd, ns);
  EXPECT_EQ(upd["spec"]["finalizers"], json::array({"kubernetes"}));  // only /finalize changes them
  EXPECT_EQ(upd["metadata"]["labels"]["kubernetes.io/metadata.name"], "team-a");
  EXPECT_EQ(s.Cells(ns, At("2024-01-01T00:00:07Z")), json::parse(R"(["team-a","Active","7s"])"));
  auto attrs = s.GetAttrs(ns);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(),
                      std::pair<std::string, std::string>{"status.phase", "Active"}),
            attrs.fields.end());
  json bad = ns;
  bad["spec"]["finalizers"] = json::array({"foo"});
  EXPECT_EQ(Messages(s.Validate(bad)),
            std::vector<std::string>{"spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer "
                                     "name nor is it fully qualified"});
}

TEST(ConfigMapStrategy, KeysSizeImmutabilityAndTable) {
  const Strategy& s = Core("configmaps");
  json cm = {{"metadata", Meta("cfg")}, {"data", {{"a.conf", "x"}, {"b", "y"}}}, {"binaryData", {{"c", "AAE="}}}};
  s.PrepareForCreate(cm);
  EXPECT_TRUE(s.Validate(cm).empty());
  EXPECT_EQ(s.Cells(cm, At("2024-01-01T00:00:00Z")), json::parse(R"(["cfg",3,"0s"])"));
  json bad = cm;
  bad["data"]["bad key"] = "v";
  bad["binaryData"]["b"] = "AAE=";
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{"data[b]: Invalid value: \"b\": duplicate of key present in binaryData",
                                      "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
                                      "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
                                      "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"}));
  json big = cm;
  big["data"]["big"] = std::string(1024 * 1024, 'x');
  EXPECT_EQ(Messages(s.Validate(big)), std::vector<std::string>{": Too long: may not be more than 1048576 bytes"});

  json frozen = cm;
  frozen["immutable"] = true;
  json changed = frozen;
  changed["data"]["a.conf"] = "z";
  changed.erase("immutable");
  EXPECT_EQ(Messages(s.ValidateUpdate(changed, frozen)),
            (std::vector<std::string>{"immutable: Forbidden: field is immutable when `immutable` is set",
                                      "data: Forbidden: field is immutable when `immutable` is set"}));
}

TEST(SecretStrategy, TypeStringDataBase64AndTable) {
  const Strategy& s = Core("secrets");
  json secret = {{"metadata", Meta("creds")}, {"stringData", {{"user", "admin"}}}, {"data", {{"pw", "czNjcjN0"}}}};
  s.PrepareForCreate(secret);
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_FALSE(secret.contains("stringData"));
  EXPECT_EQ(secret["data"], json::parse(R"({"pw":"czNjcjN0","user":"YWRtaW4="})"));
  EXPECT_TRUE(s.Validate(secret).empty());
  EXPECT_EQ(s.Cells(secret, At("2024-01-01T00:02:00Z")), json::parse(R"(["creds","Opaque",2,"2m"])"));

  json bad = secret;
  bad["data"]["pw"] = "not base64!";
  EXPECT_EQ(Messages(s.Validate(bad)),
            std::vector<std::string>{
                "data[pw]: Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3"});
  json tls = {{"metadata", Meta("tls")}, {"type", "kubernetes.io/tls"}, {"data", {{"tls.crt", ""}}}};
  EXPECT_EQ(Messages(s.Validate(tls)), std::vector<std::string>{"data[tls.key]: Required value"});
  json sa = {{"metadata", Meta("tok")}, {"type", "kubernetes.io/service-account-token"}};
  EXPECT_EQ(Messages(s.Validate(sa)),
            std::vector<std::string>{"metadata.annotations[kubernetes.io/service-account.name]: Required value"});

  json retyped = secret;
  retyped["type"] = "kubernetes.io/basic-auth";
  retyped["data"]["username"] = "YQ==";
  EXPECT_EQ(Messages(s.ValidateUpdate(retyped, secret)),
            std::vector<std::string>{"type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable"});
  auto attrs = s.GetAttrs(secret);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(), std::pair<std::string, std::string>{"type", "Opaque"}),
            attrs.fields.end());
}

TEST(ServiceAccountStrategy, Table) {
  json sa = {{"metadata", Meta("default")}, {"secrets", json::array({{{"name", "a"}}})}};
  Core("serviceaccounts").PrepareForCreate(sa);
  EXPECT_TRUE(Core("serviceaccounts").Validate(sa).empty());
  EXPECT_EQ(Core("serviceaccounts").Cells(sa, At("2024-01-02T00:00:00Z")), json::parse(R"(["default",1,"24h"])"));
}

TEST(EventStrategy, ValidationTableAndFields) {
  const Strategy& s = Core("events");
  json ev = json::parse(R"({"metadata":{"name":"web-0.17a","namespace":"default"},
    "involvedObject":{"kind":"Pod","namespace":"default","name":"web-0","fieldPath":"spec.containers{app}"},
    "reason":"Pulled","message":"  Successfully pulled image \"nginx\"\n","type":"Normal","count":3,
    "source":{"component":"kubelet","host":"node-1"},
    "firstTimestamp":"2024-01-01T00:00:00Z","lastTimestamp":"2024-01-01T00:09:00Z"})");
  s.PrepareForCreate(ev);
  EXPECT_TRUE(s.Validate(ev).empty());
  EXPECT_EQ(ev["eventTime"], nullptr);
  EXPECT_EQ(ev["reportingComponent"], "");
  EXPECT_EQ(s.Cells(ev, At("2024-01-01T00:10:00Z")),
            json::parse(R"(["60s","Normal","Pulled","pod/web-0","spec.containers{app}","kubelet, node-1",
              "Successfully pulled image \"nginx\"","10m",3,"web-0.17a"])"));
  json elsewhere = ev;
  elsewhere["involvedObject"]["namespace"] = "other";
  EXPECT_EQ(Messages(s.Validate(elsewhere)),
            std::vector<std::string>{"involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"});
  json series = json::parse(R"({"metadata":{"name":"e","namespace":"default"},"eventTime":"2024-01-01T00:00:00.000000Z",
    "series":{"count":5,"lastObservedTime":"2024-01-01T00:08:00.000000Z"},"reportingComponent":"ctrl",
    "reportingInstance":"ctrl-1","action":"Sync","reason":"Done","involvedObject":{"kind":"Node","name":"n1"}})");
  s.PrepareForCreate(series);
  EXPECT_TRUE(s.Validate(series).empty());
  auto cells = s.Cells(series, At("2024-01-01T00:10:00Z"));
  EXPECT_EQ(cells[0], "2m");
  EXPECT_EQ(cells[5], "ctrl, ctrl-1");
  EXPECT_EQ(cells[7], "10m");
  EXPECT_EQ(cells[8], 5);
  json incomplete = series;
  incomplete.erase("action");
  EXPECT_EQ(Messages(s.Validate(incomplete)), std::vector<std::string>{"action: Required value"});
  auto attrs = s.GetAttrs(ev);
  for (const char* f : {"involvedObject.kind", "involvedObject.name", "reason", "source", "type", "reportingComponent"}) {
    EXPECT_NE(std::find_if(attrs.fields.begin(), attrs.fields.end(), [&](const auto& p) { return p.first == f; }),
              attrs.fields.end())
        << f;
  }
}

TEST(EndpointsStrategy, FormatEndpoints) {
  const Strategy& s = Core("endpoints");
  json ep = json::parse(R"({"metadata":{"name":"web","namespace":"default"},"subsets":[
    {"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"name":"http","port":80},{"name":"m","port":9090}]}]})");
  s.PrepareForCreate(ep);
  EXPECT_EQ(ep["subsets"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_TRUE(s.Validate(ep).empty());
  auto now = At("2024-01-01T00:00:00Z");
  EXPECT_EQ(s.Cells(ep, now)[1], "10.0.0.1:80,10.0.0.2:80,10.0.0.1:9090 + 1 more...");
  json v6 = json::parse(R"({"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":53}]}]})");
  EXPECT_EQ(s.Cells(v6, now)[1], "[fd00::1]:53");
  json headless = json::parse(R"({"metadata":{"name":"x"},"subsets":[{"addresses":[{"ip":"10.0.0.9"}]}]})");
  EXPECT_EQ(s.Cells(headless, now)[1], "10.0.0.9");
  EXPECT_EQ(s.Cells(json::parse(R"({"metadata":{"name":"x"}})"), now)[1], "<none>");
  EXPECT_EQ(s.Cells(json::parse(R"({"metadata":{"name":"x"},"subsets":[{"ports":[{"port":1}]}]})"), now)[1], "<none>");
  json bad = ep;
  bad["subsets"][0]["addresses"][0]["ip"] = "nope";
  EXPECT_EQ(Messages(s.Validate(bad)),
            std::vector<std::string>{"subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address, "
                                     "(e.g. 10.9.8.7 or 2001:db8::ffff)"});
}

TEST(NodeStrategy, RegistersWithStatusAndPrints) {
  const Strategy& s = Core("nodes");
  json node = json::parse(R"({"metadata":{"name":"node-1","creationTimestamp":"2024-01-01T00:00:00Z",
      "labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"worker"}},
    "spec":{"unschedulable":true,"taints":[{"key":"k","effect":"NoSchedule"}]},
    "status":{"capacity":{"cpu":"16","memory":"32Gi","pods":"110"},
      "conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
      "addresses":[{"type":"InternalIP","address":"10.0.0.7"},{"type":"Hostname","address":"node-1"}],
      "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12","kernelVersion":"6.1.0",
        "containerRuntimeVersion":"containerd://1.7"}}})");
  s.PrepareForCreate(node);
  EXPECT_EQ(node["status"]["conditions"].size(), 2u);  // the kubelet's status is kept
  EXPECT_EQ(node["status"]["allocatable"], node["status"]["capacity"]);
  EXPECT_TRUE(s.Validate(node).empty());
  EXPECT_EQ(s.Cells(node, At("2024-01-11T00:00:00Z")),
            json::parse(R"(["node-1","Ready,SchedulingDisabled","control-plane,worker","10d","v1.32.0","10.0.0.7",
              "<none>","Debian GNU/Linux 12","6.1.0","containerd://1.7"])"));
  auto attrs = s.GetAttrs(node);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(),
                      std::pair<std::string, std::string>{"spec.unschedulable", "true"}),
            attrs.fields.end());
  json bare = json::parse(R"({"metadata":{"name":"n2"}})");
  s.PrepareForCreate(bare);
  EXPECT_EQ(s.Cells(bare, At("2024-01-01T00:00:00Z")),
            json::parse(R"(["n2","Unknown","<none>","<unknown>","","<none>","<none>","<unknown>","<unknown>","<unknown>"])"));
  json tainted = node;
  tainted["spec"]["taints"][0]["effect"] = "Sometimes";
  EXPECT_EQ(Messages(s.Validate(tainted)),
            std::vector<std::string>{"spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: "
                                     "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""});
}

TEST(PersistentVolumeClaimStrategy, DefaultsValidationUpdateAndTable) {
  const Strategy& s = Core("persistentvolumeclaims");
  json pvc = json::parse(R"({"metadata":{"name":"data","namespace":"default","creationTimestamp":"2024-01-01T00:00:00Z"},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"storageClassName":"fast"}})");
  s.PrepareForCreate(pvc);
  EXPECT_EQ(pvc["spec"]["volumeMode"], "Filesystem");
  EXPECT_EQ(pvc["status"], json::parse(R"({"phase":"Pending"})"));
  EXPECT_TRUE(s.Validate(pvc).empty());
  auto now = At("2024-01-01T00:01:00Z");
  EXPECT_EQ(s.Cells(pvc, now), json::parse(R"(["data","Pending","","","","fast","<unset>","60s","Filesystem"])"));

  json bound = pvc;
  bound["spec"]["volumeName"] = "pv-1";
  bound["status"] = json::parse(R"({"phase":"Bound","accessModes":["ReadWriteMany","ReadWriteOnce"],
    "capacity":{"storage":"2Gi"}})");
  EXPECT_EQ(s.Cells(bound, now), json::parse(R"(["data","Bound","pv-1","2Gi","RWO,RWX","fast","<unset>","60s","Filesystem"])"));
  json grow = bound;
  grow["spec"]["resources"]["requests"]["storage"] = "5Gi";
  EXPECT_TRUE(s.ValidateUpdate(grow, bound).empty());
  json shrink = bound;
  shrink["spec"]["resources"]["requests"]["storage"] = "512Mi";
  EXPECT_EQ(Messages(s.ValidateUpdate(shrink, bound)),
            std::vector<std::string>{"spec.resources.requests.storage: Forbidden: field can not be less than previous value"});
  json reclass = bound;
  reclass["spec"]["storageClassName"] = "slow";
  EXPECT_EQ(Messages(s.ValidateUpdate(reclass, bound)),
            std::vector<std::string>{"spec: Forbidden: spec is immutable after creation except resources.requests and "
                                     "volumeAttributesClassName for bound claims"});
  json missing = json::parse(R"({"metadata":{"name":"d","namespace":"default"},"spec":{}})");
  s.PrepareForCreate(missing);
  EXPECT_EQ(Messages(s.Validate(missing)),
            (std::vector<std::string>{"spec.accessModes: Required value: at least 1 access mode is required",
                                      "spec.resources[storage]: Required value"}));
}

TEST(PersistentVolumeStrategy, DefaultsValidationAndTable) {
  const Strategy& s = Core("persistentvolumes");
  json pv = json::parse(R"({"metadata":{"name":"pv-1","creationTimestamp":"2024-01-01T00:00:00Z"},
    "spec":{"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/data"},
      "claimRef":{"namespace":"default","name":"data"}}})");
  s.PrepareForCreate(pv);
  EXPECT_EQ(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
  EXPECT_EQ(pv["spec"]["volumeMode"], "Filesystem");
  EXPECT_EQ(pv["spec"]["hostPath"]["type"], "");
  EXPECT_EQ(pv["status"], json::parse(R"({"phase":"Pending","lastPhaseTransitionTime":"2024-01-01T00:00:00Z"})"));
  EXPECT_TRUE(s.Validate(pv).empty());
  EXPECT_EQ(s.Cells(pv, At("2024-01-01T00:00:10Z")),
            json::parse(R"(["pv-1","10Gi","RWO","Retain","Pending","default/data","","<unset>","","10s","Filesystem"])"));
  json bound = pv;
  bound["status"]["phase"] = "Bound";
  s.PrepareForStatusUpdate(bound, pv);
  EXPECT_NE(bound["status"]["lastPhaseTransitionTime"], "2024-01-01T00:00:00Z");
  json nosource = json::parse(R"({"metadata":{"name":"pv-2"},"spec":{"capacity":{"storage":"1Gi"},
    "accessModes":["ReadWriteOnce"]}})");
  s.PrepareForCreate(nosource);
  EXPECT_EQ(Messages(s.Validate(nosource)), std::vector<std::string>{"spec: Required value: must specify a volume type"});
}

}  // namespace
}  // namespace vkube::resource
