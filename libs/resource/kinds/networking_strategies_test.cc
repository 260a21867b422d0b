// networking.k8s.io/v1 (ingresses, ingress classes, network policies) and discovery.k8s.io/v1
// endpoint slices: defaults, validation messages, cells.
#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Kind(std::string_view group, std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find(group, "v1", resource)->strategy;
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

TEST(IngressStrategy, StatusValidationAndCells) {
  const Strategy& s = Kind("networking.k8s.io", "ingresses");
  json ing = Obj("web");
  ing["spec"] = json::parse(R"({"ingressClassName":"nginx","rules":[{"host":"foo.com","http":{"paths":[
    {"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}],
    "tls":[{"hosts":["foo.com"],"secretName":"cert"}]})");
  ing["status"] = {{"loadBalancer", {{"ingress", {{{"ip", "1.2.3.4"}}}}}}};
  s.PrepareForCreate(ing);
  EXPECT_EQ(ing["status"], json::parse(R"({"loadBalancer":{}})"));
  EXPECT_EQ(ing["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(ing).empty()) << Messages(s.Validate(ing))[0];
  ing["status"] = json::parse(R"({"loadBalancer":{"ingress":[{"ip":"10.0.0.2"},{"hostname":"lb.example.com"},
    {"ip":"10.0.0.1"}]}})");
  EXPECT_EQ(s.Cells(ing, At("2024-01-01T00:01:00Z")),
            json::parse(R"(["web","nginx","foo.com","10.0.0.1,10.0.0.2,lb.example.com","80, 443","60s"])"));

  json many = Obj("many");
  many["spec"]["rules"] = json::parse(R"([{"host":"a.com"},{},{"host":"b.com"},{"host":"c.com"},{"host":"d.com"}])");
  EXPECT_EQ(s.Cells(many, At("2024-01-01T00:01:00Z")),
            json::parse(R"(["many","<none>","a.com,b.com,c.com + 2 more...","","80","60s"])"));

  json empty = Obj("empty");
  EXPECT_EQ(Messages(s.Validate(empty)),
            std::vector<std::string>{"spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or "
                                     "`rules` must be specified"});

  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"rules":[{"host":"1.2.3.4","http":{"paths":[
    {"path":"api","pathType":"Exact","backend":{"service":{"name":"web"}}},
    {"path":"/x","backend":{"service":{"name":"web","port":{"number":80}}}},
    {"path":"/y","pathType":"Regex","backend":{}}]}},{"host":"*.foo.com"},{"host":"a.*.com"}]})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address",
                "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
                "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
                "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
                "spec.rules[0].http.paths[2].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", "
                "\"ImplementationSpecific\", \"Prefix\"",
                "spec.rules[0].http.paths[2].backend: Invalid value: \"\": resource or service backend is required",
                "spec.rules[2].host: Invalid value: \"a.*.com\": a wildcard DNS-1123 subdomain must start with '*.', "
                "followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or "
                "'.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is "
                "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}));
}

TEST(IngressClassStrategy, ControllerParametersAndCells) {
  const Strategy& s = Kind("networking.k8s.io", "ingressclasses");
  json ic = Obj("nginx", false);
  ic["spec"] = json::parse(R"({"controller":"k8s.io/ingress-nginx","parameters":{"apiGroup":"k8s.example.com",
    "kind":"IngressParameters","name":"external-lb"}})");
  s.PrepareForCreate(ic);
  EXPECT_EQ(ic["spec"]["parameters"]["scope"], "Cluster");
  EXPECT_TRUE(s.Validate(ic).empty()) << Messages(s.Validate(ic))[0];
  EXPECT_EQ(s.Cells(ic, At("2024-01-01T00:00:05Z")),
            json::parse(R"(["nginx","k8s.io/ingress-nginx","IngressParameters.k8s.example.com/external-lb","5s"])"));
  json moved = ic;
  moved["spec"]["controller"] = "example.com/other";
  EXPECT_EQ(Messages(s.ValidateUpdate(moved, ic)),
            std::vector<std::string>{"spec.controller: Invalid value: \"example.com/other\": field is immutable"});
  json bad = Obj("bad", false);
  bad["spec"] = json::parse(R"({"controller":"nginx","parameters":{"kind":"X","name":"y","scope":"Namespace"}})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")",
                "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"}));
}

TEST(NetworkPolicyStrategy, DefaultsValidationAndCells) {
  const Strategy& s = Kind("networking.k8s.io", "networkpolicies");
  json np = Obj("deny");
  np["spec"] = json::parse(R"({"egress":[{"ports":[{"port":53}]}]})");
  s.PrepareForCreate(np);
  EXPECT_EQ(np["spec"]["podSelector"], json::object());
  EXPECT_EQ(np["spec"]["policyTypes"], json::array({"Ingress", "Egress"}));
  EXPECT_EQ(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(np["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(np).empty());
  EXPECT_EQ(s.Cells(np, At("2024-01-01T00:00:05Z")), json::parse(R"(["deny","<none>","5s"])"));
  np["spec"]["podSelector"] = {{"matchLabels", {{"app", "db"}}}};
  EXPECT_EQ(s.Cells(np, At("2024-01-01T00:00:05Z"))[1], "app=db");

  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"ingress":[{"ports":[{"protocol":"ICMP","port":80,"endPort":70},{"port":"http","endPort":90}],
    "from":[{},{"ipBlock":{"cidr":"10.0.0.0/33"},"podSelector":{}}]}],"policyTypes":["Sideways"]})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", "
                "\"SCTP\"",
                "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
                "spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
                "spec.ingress[0].from[0]: Required value: must specify a peer",
                "spec.ingress[0].from[1].ipBlock.cidr: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, "
                "(e.g. 10.9.8.0/24 or 2001:db8::/64)",
                "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
                "spec.policyTypes[0]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\""}));
}

TEST(EndpointSliceStrategy, DefaultsValidationGenerationAndCells) {
  const Strategy& s = Kind("discovery.k8s.io", "endpointslices");
  json eps = Obj("web-abc");
  eps["addressType"] = "IPv4";
  eps["endpoints"] = json::parse(R"([{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2","10.0.0.3"]},
    {"addresses":["10.0.0.4"]}])");
  eps["ports"] = json::parse(R"([{"port":80},{"name":"https","port":443}])");
  s.PrepareForCreate(eps);
  EXPECT_EQ(eps["ports"][0], json::parse(R"({"name":"","port":80,"protocol":"TCP"})"));
  EXPECT_EQ(eps["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(eps).empty()) << Messages(s.Validate(eps))[0];
  EXPECT_EQ(s.Cells(eps, At("2024-01-01T00:00:05Z")),
            json::parse(R"(["web-abc","IPv4","80,443","10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...","5s"])"));
  json bare = Obj("bare");
  EXPECT_EQ(s.Cells(bare, At("2024-01-01T00:00:05Z")), json::parse(R"(["bare","","<unset>","<unset>","5s"])"));

  json relabelled = eps;
  relabelled["metadata"]["labels"] = {{"a", "b"}};
  s.PrepareForUpdate(relabelled, eps);
  EXPECT_EQ(relabelled["metadata"]["generation"], 2);
  json annotated = eps;
  annotated["metadata"]["annotations"] = {{"a", "b"}};
  s.PrepareForUpdate(annotated, eps);
  EXPECT_EQ(annotated["metadata"]["generation"], 1);

  json v6 = eps;
  v6["addressType"] = "IPv6";
  auto msgs = Messages(s.ValidateUpdate(v6, eps));
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.front(), "endpoints[0].addresses[0]: Invalid value: \"10.0.0.1\": must be a valid IPv6 address");
  EXPECT_EQ(msgs.back(), "addressType: Invalid value: \"IPv6\": field is immutable");

  json bad = Obj("bad");
  bad["addressType"] = "IPX";
  bad["endpoints"] = json::parse(R"([{"addresses":[]}])");
  bad["ports"] = json::parse(R"([{"name":"a","protocol":"ICMP"},{"name":"a"}])");
  s.PrepareForCreate(bad);
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "endpoints[0].addresses: Required value: must contain at least 1 address",
                "ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "ports[1].name: Duplicate value: \"a\"",
                "addressType: Unsupported value: \"IPX\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""}));
}

}  // namespace
}  // namespace vkube::resource
