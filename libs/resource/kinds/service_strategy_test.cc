#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Services() {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("", "v1", "services")->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

json Svc(const char* spec) {
  json s = {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}, {"creationTimestamp", "2024-01-01T00:00:00Z"}}},
            {"spec", json::parse(spec)}};
  Services().PrepareForCreate(s);
  return s;
}

TEST(ServiceStrategy, Defaults) {
  json s = Svc(R"({"selector":{"app":"web"},"ports":[{"port":80},{"name":"https","port":443,"targetPort":"https"}]})");
  const json& spec = s["spec"];
  EXPECT_EQ(spec["type"], "ClusterIP");
  EXPECT_EQ(spec["sessionAffinity"], "None");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(spec["ipFamilies"], json::array({"IPv4"}));
  EXPECT_EQ(spec["ports"][0], json::parse(R"({"port":80,"protocol":"TCP","targetPort":80})"));
  EXPECT_EQ(spec["ports"][1]["targetPort"], "https");
  EXPECT_FALSE(spec.contains("externalTrafficPolicy"));
  EXPECT_FALSE(spec.contains("clusterIP"));  // allocation happens in the REST layer
  EXPECT_EQ(s["status"], json::parse(R"({"loadBalancer":{}})"));

  json lb = Svc(R"({"type":"LoadBalancer","sessionAffinity":"ClientIP","ports":[{"port":80}]})");
  EXPECT_EQ(lb["spec"]["externalTrafficPolicy"], "Cluster");
  EXPECT_EQ(lb["spec"]["allocateLoadBalancerNodePorts"], true);
  EXPECT_EQ(lb["spec"]["sessionAffinityConfig"], json::parse(R"({"clientIP":{"timeoutSeconds":10800}})"));

  json headless = Svc(R"({"clusterIP":"None"})");
  EXPECT_EQ(headless["spec"]["clusterIPs"], json::array({"None"}));
  EXPECT_EQ(headless["spec"]["ipFamilyPolicy"], "RequireDualStack");  // headless without selector
  EXPECT_TRUE(Services().Validate(headless).empty());

  json external = Svc(R"({"type":"ExternalName","externalName":"db.example.com"})");
  EXPECT_FALSE(external["spec"].contains("ipFamilies"));
  EXPECT_FALSE(external["spec"].contains("internalTrafficPolicy"));
  EXPECT_TRUE(Services().Validate(external).empty());
}

TEST(ServiceStrategy, Validation) {
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"selector":{"app":"web"}})"))),
            std::vector<std::string>{"spec.ports: Required value"});
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"ports":[{"port":80},{"port":0,"protocol":"HTTP"}]})"))),
            (std::vector<std::string>{
                "spec.ports[0].name: Required value", "spec.ports[1].name: Required value",
                "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.ports[1].targetPort: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: must be "
                "between 1 and 65535, inclusive"}));
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"type":"Magic","ports":[{"port":80,"nodePort":30080}]})"))),
            std::vector<std::string>{"spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", "
                                     "\"ExternalName\", \"LoadBalancer\", \"NodePort\""});
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"ports":[{"port":80,"nodePort":30080}]})"))),
            std::vector<std::string>{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"});
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"type":"ExternalName"})"))),
            std::vector<std::string>{"spec.externalName: Required value"});
  EXPECT_EQ(Messages(Services().Validate(Svc(R"({"clusterIP":"10.0.0.300","ports":[{"port":80}]})"))),
            std::vector<std::string>{"spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, "
                                     "(e.g. 10.9.8.7 or 2001:db8::ffff)"});
}

TEST(ServiceStrategy, UpdateKeepsAllocatedValues) {
  json old = Svc(R"({"type":"NodePort","clusterIP":"10.96.0.10","ports":[{"port":80,"nodePort":30080}]})");
  json upd = json::parse(R"({"metadata":{"name":"web","namespace":"default"},"spec":{"type":"NodePort",
    "ports":[{"port":80}]}})");
  Services().PrepareForUpdate(upd, old);
  EXPECT_EQ(upd["spec"]["clusterIP"], "10.96.0.10");
  EXPECT_EQ(upd["spec"]["clusterIPs"], json::array({"10.96.0.10"}));
  EXPECT_EQ(upd["spec"]["ports"][0]["nodePort"], 30080);
  EXPECT_TRUE(Services().ValidateUpdate(upd, old).empty());

  json moved = old;
  moved["spec"]["clusterIP"] = "10.96.0.11";
  moved["spec"]["clusterIPs"] = json::array({"10.96.0.11"});
  EXPECT_EQ(Messages(Services().ValidateUpdate(moved, old)),
            std::vector<std::string>{
                "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set"});
}

TEST(ServiceStrategy, TableCells) {
  auto now = *ParseRfc3339("2024-01-01T00:10:00Z");
  json s = Svc(R"({"selector":{"tier":"web","app":"shop"},"clusterIP":"10.96.0.10",
    "ports":[{"port":80},{"name":"dns","port":53,"protocol":"UDP"}]})");
  EXPECT_EQ(Services().Cells(s, now),
            json::parse(R"(["web","ClusterIP","10.96.0.10","<none>","80/TCP,53/UDP","10m","app=shop,tier=web"])"));
  json lb = Svc(R"({"type":"LoadBalancer","clusterIP":"10.96.0.12","ports":[{"port":443,"nodePort":31443}]})");
  EXPECT_EQ(Services().Cells(lb, now)[3], "<pending>");
  lb["status"]["loadBalancer"]["ingress"] = json::parse(R"([{"ip":"203.0.113.9"},{"hostname":"lb.example.com"}])");
  EXPECT_EQ(Services().Cells(lb, now)[3], "203.0.113.9,lb.example.com");
  EXPECT_EQ(Services().Cells(lb, now)[4], "443:31443/TCP");
  EXPECT_EQ(Services().Cells(lb, now)[6], "<none>");
  json ext = Svc(R"({"type":"ExternalName","externalName":"db.example.com"})");
  EXPECT_EQ(Services().Cells(ext, now), json::parse(R"(["web","ExternalName","<none>","db.example.com","<none>","10m","<none>"])"));
}

}  // namespace
}  // namespace vkube::resource
