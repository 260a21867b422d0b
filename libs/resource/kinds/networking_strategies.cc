// networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy: kube's defaults (parameters scope,
// policyTypes, port protocols), ValidateIngressSpec / ValidateIngressClass / ValidateNetworkPolicy
// in kube's words, and their printers.
#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::size_t kMaxPrintedHosts = 3;
constexpr std::size_t kMaxControllerLength = 250;
constexpr std::size_t kMaxDns1123SubdomainLength = 253;

std::string Idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool IsIp(const std::string& s) { return v::IsValidIp(s).empty(); }

// validation.IsWildcardDNS1123Subdomain.
std::vector<std::string> IsWildcardDns1123Subdomain(const std::string& value) {
  std::vector<std::string> errs;
  if (value.size() > kMaxDns1123SubdomainLength) errs.push_back("must be no more than 253 characters");
  if (value.rfind("*.", 0) != 0 || !v::IsDns1123Subdomain(value.substr(2)).empty()) {
    errs.emplace_back(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of "
        "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', "
        "regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

void ValidateHost(const std::string& host, const std::string& path, std::vector<FieldCause>& errs) {
  auto msgs = host.find('*') != std::string::npos ? IsWildcardDns1123Subdomain(host) : v::IsDns1123Subdomain(host);
  for (auto& m : msgs) errs.push_back(v::Invalid(path, v::GoQuote(host), m));
}

// validateIngressTypedLocalObjectReference (resource backends, class parameters).
void ValidateTypedReference(const json& ref, const std::string& path, std::vector<FieldCause>& errs) {
  if (!ref.is_object()) return;
  if (ref.contains("apiGroup") && ref["apiGroup"].is_string()) {
    std::string g = ref["apiGroup"].get<std::string>();
    for (auto& m : v::IsDns1123Subdomain(g)) errs.push_back(v::Invalid(path + ".apiGroup", v::GoQuote(g), m));
  }
  for (const char* key : {"kind", "name"}) {
    std::string val = Str(ref, key);
    if (val.empty()) {
      errs.push_back(v::Required(path + "." + key, std::string(key) + " is required"));
    } else {
      for (auto& m : v::IsValidPathSegmentName(val)) errs.push_back(v::Invalid(path + "." + key, v::GoQuote(val), m));
    }
  }
}

void ValidateBackend(const json& backend, const std::string& path, std::vector<FieldCause>& errs) {
  const bool resource = jsonx::Has(backend, "resource"), service = jsonx::Has(backend, "service");
  if (resource && service) {
    errs.push_back(v::Invalid(path, "\"\"", "cannot set both resource and service backends"));
  } else if (resource) {
    ValidateTypedReference(jsonx::Child(backend, "resource"), path + ".resource", errs);
  } else if (service) {
    const json& svc = jsonx::Child(backend, "service");
    std::string name = Str(svc, "name");
    if (name.empty()) {
      errs.push_back(v::Required(path + ".service.name"));
    } else {
      for (auto& m : v::IsDns1035Label(name)) errs.push_back(v::Invalid(path + ".service.name", v::GoQuote(name), m));
    }
    std::string port_name = Str(svc, "port.name");
    std::int64_t port_number = Int(svc, "port.number");
    if (!port_name.empty() && port_number != 0) {
      errs.push_back(v::Invalid(path, "\"\"", "cannot set both port name & port number"));
    } else if (!port_name.empty()) {
      for (auto& m : v::IsValidPortName(port_name)) {
        errs.push_back(v::Invalid(path + ".service.port.name", v::GoQuote(port_name), m));
      }
    } else if (port_number != 0) {
      for (auto& m : v::IsValidPortNum(port_number)) {
        errs.push_back(v::Invalid(path + ".service.port.number", std::to_string(port_number), m));
      }
    } else {
      errs.push_back(v::Required(path, "port name or number is required"));
    }
  } else {
    errs.push_back(v::Invalid(path, "\"\"", "resource or service backend is required"));
  }
}

void ValidateIngressPath(const json& p, const std::string& path, std::vector<FieldCause>& errs) {
  const json& type = jsonx::Child(p, "pathType");
  if (type.is_null()) {
    errs.push_back(v::Required(path + ".pathType", "pathType must be specified"));
    return;
  }
  const std::string value = Str(p, "path");
  if (type == "Exact" || type == "Prefix") {
    if (value.rfind('/', 0) != 0) errs.push_back(v::Invalid(path + ".path", v::GoQuote(value), "must be an absolute path"));
    if (!value.empty()) {
      for (const char* seq : {"//", "/./", "/../", "%2f", "%2F"}) {
        if (value.find(seq) != std::string::npos) {
          errs.push_back(v::Invalid(path + ".path", v::GoQuote(value), std::string("must not contain '") + seq + "'"));
        }
      }
      for (std::string suffix : {"/..", "/."}) {
        if (value.size() >= suffix.size() && value.compare(value.size() - suffix.size(), suffix.size(), suffix) == 0) {
          errs.push_back(v::Invalid(path + ".path", v::GoQuote(value), "cannot end with '" + suffix + "'"));
        }
      }
    }
  } else if (type == "ImplementationSpecific") {
    if (!value.empty() && value[0] != '/') {
      errs.push_back(v::Invalid(path + ".path", v::GoQuote(value), "must be an absolute path"));
    }
  } else {
    errs.push_back(v::NotSupported(path + ".pathType", v::GoValue(type), {"Exact", "ImplementationSpecific", "Prefix"}));
  }
  ValidateBackend(jsonx::Child(p, "backend"), path + ".backend", errs);
}

class IngressStrategy final : public Strategy {
 public:
  IngressStrategy() : Strategy({.has_status = true, .tracks_generation = true, .kind = "Ingress"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the ingress, unique within its namespace."),
        print::Column("Class", "Ingress class that serves this ingress."),
        print::Column("Hosts", "Host names the rules match."),
        print::Column("Address", "Addresses the load balancer reported."),
        print::Column("Ports", "Ports the ingress listens on (443 when TLS is configured)."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& ing, SystemTime now) const override {
    const json& spec = jsonx::Child(ing, "spec");
    const json& cls = jsonx::Child(spec, "ingressClassName");
    // formatHosts: the first three named hosts, then how many rules are left.
    std::vector<std::string> hosts;
    bool more = false;
    const json& rules = jsonx::Child(spec, "rules");
    std::size_t rule_count = rules.is_array() ? rules.size() : 0;
    for (std::size_t i = 0; i < rule_count; ++i) {
      if (hosts.size() == kMaxPrintedHosts) more = true;
      if (!more && !Str(rules[i], "host").empty()) hosts.push_back(Str(rules[i], "host"));
    }
    std::string host_text = hosts.empty() ? "*" : print::Join(hosts, ",");
    if (more) host_text += " + " + std::to_string(rule_count - kMaxPrintedHosts) + " more...";
    // ingressLoadBalancerStatusStringer (wide): IPs, else host names, sorted and unique.
    std::set<std::string> addresses;
    const json& lb = jsonx::At(ing, "status.loadBalancer.ingress");
    if (lb.is_array()) {
      for (const auto& e : lb) {
        if (!Str(e, "ip").empty()) {
          addresses.insert(Str(e, "ip"));
        } else if (!Str(e, "hostname").empty()) {
          addresses.insert(Str(e, "hostname"));
        }
      }
    }
    return json::array({Str(ing, "metadata.name"), cls.is_string() ? cls.get<std::string>() : std::string("<none>"),
                        host_text, print::Join({addresses.begin(), addresses.end()}, ","),
                        jsonx::Size(spec, "tls") > 0 ? "80, 443" : "80", print::Age(ing, now)});
  }

 protected:
  void PrepareCreate(json& ing) const override { ing["status"] = {{"loadBalancer", json::object()}}; }

  void ValidateSpec(const json& ing, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(ing, "spec");
    const json& rules = jsonx::Child(spec, "rules");
    const std::size_t rule_count = rules.is_array() ? rules.size() : 0;
    if (rule_count == 0 && !jsonx::Has(spec, "defaultBackend")) {
      errs.push_back(v::Invalid("spec", "[]networking.IngressRule(nil)", "either `defaultBackend` or `rules` must be specified"));
    }
    if (jsonx::Has(spec, "defaultBackend")) ValidateBackend(spec["defaultBackend"], "spec.defaultBackend", errs);
    for (std::size_t i = 0; i < rule_count; ++i) {
      const std::string p = Idx("spec.rules", i);
      const std::string host = Str(rules[i], "host");
      if (!host.empty()) {
        if (IsIp(host)) errs.push_back(v::Invalid(p + ".host", v::GoQuote(host), "must be a DNS name, not an IP address"));
        ValidateHost(host, p + ".host", errs);
      }
      if (jsonx::Has(rules[i], "http")) {
        const json& paths = jsonx::At(rules[i], "http.paths");
        if (!paths.is_array() || paths.empty()) {
          errs.push_back(v::Required(p + ".http.paths"));
        } else {
          for (std::size_t j = 0; j < paths.size(); ++j) ValidateIngressPath(paths[j], Idx(p + ".http.paths", j), errs);
        }
      }
    }
    const json& tls = jsonx::Child(spec, "tls");
    if (tls.is_array()) {
      for (std::size_t i = 0; i < tls.size(); ++i) {
        const json& hosts = jsonx::Child(tls[i], "hosts");
        if (hosts.is_array()) {
          for (std::size_t j = 0; j < hosts.size(); ++j) {
            ValidateHost(hosts[j].is_string() ? hosts[j].get<std::string>() : "", Idx(Idx("spec.tls", i) + ".hosts", j), errs);
          }
        }
        std::string secret = Str(tls[i], "secretName");
        if (!secret.empty()) {
          for (auto& m : v::IsDns1123Subdomain(secret)) {
            errs.push_back(v::Invalid(Idx("spec.tls", i) + ".secretName", v::GoQuote(secret), m));
          }
        }
      }
    }
    const json& cls = jsonx::Child(spec, "ingressClassName");
    if (cls.is_string()) {
      for (auto& m : v::IsDns1123Subdomain(cls.get<std::string>())) {
        errs.push_back(v::Invalid("spec.ingressClassName", v::GoValue(cls), m));
      }
    }
  }
};

class IngressClassStrategy final : public Strategy {
 public:
  IngressClassStrategy() : Strategy({.tracks_generation = true, .kind = "IngressClass", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the ingress class."),
        print::Column("Controller", "Controller that implements the class."),
        print::Column("Parameters", "Object holding the controller's settings, as kind.group/name."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& ic, SystemTime now) const override {
    std::string params = "<none>";
    const json& p = jsonx::At(ic, "spec.parameters");
    if (p.is_object()) {
      params = Str(p, "kind");
      if (jsonx::Child(p, "apiGroup").is_string()) params += "." + Str(p, "apiGroup");
      params += "/" + Str(p, "name");
    }
    return json::array({Str(ic, "metadata.name"), Str(ic, "spec.controller"), params, print::Age(ic, now)});
  }

 protected:
  void Default(json& ic) const override {
    if (!jsonx::Has(jsonx::Child(ic, "spec"), "parameters")) return;
    if (json* p = jsonx::Object(ic["spec"], "parameters")) jsonx::Default(*p, "scope", "Cluster");
  }

  void ValidateSpec(const json& ic, std::vector<FieldCause>& errs) const override {
    const std::string controller = Str(ic, "spec.controller");
    if (controller.size() > kMaxControllerLength) errs.push_back(v::TooLong("spec.controller", kMaxControllerLength));
    // IsDomainPrefixedPath.
    auto slash = controller.find('/');
    if (controller.empty()) {
      errs.push_back(v::Required("spec.controller"));
    } else if (slash == std::string::npos || slash == 0 || slash + 1 == controller.size()) {
      errs.push_back(v::Invalid("spec.controller", v::GoQuote(controller),
                                "must be a domain-prefixed path (such as \"acme.io/foo\")"));
    } else {
      std::string host = controller.substr(0, slash), rest = controller.substr(slash + 1);
      for (auto& m : v::IsDns1123Subdomain(host)) errs.push_back(v::Invalid("spec.controller", v::GoQuote(host), m));
      const std::string allowed = "/-._~%!$&'()*+,;=:";
      bool ok = std::all_of(rest.begin(), rest.end(), [&](unsigned char c) {
        return std::isalnum(c) || allowed.find(static_cast<char>(c)) != std::string::npos;
      });
      if (!ok) {
        errs.push_back(v::Invalid("spec.controller", v::GoQuote(rest),
                                  "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
      }
    }
    const json& params = jsonx::At(ic, "spec.parameters");
    if (!params.is_object()) return;
    ValidateTypedReference(params, "spec.parameters", errs);
    const json& scope = jsonx::Child(params, "scope");
    if (scope.is_null()) {
      errs.push_back(v::Required("spec.parameters.scope"));
    } else if (scope != "Cluster" && scope != "Namespace") {
      errs.push_back(v::NotSupported("spec.parameters.scope", v::GoValue(scope), {"Cluster", "Namespace"}));
    } else if (scope == "Namespace") {
      const json& ns = jsonx::Child(params, "namespace");
      if (!ns.is_string()) {
        errs.push_back(v::Required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"));
      } else {
        for (auto& m : v::IsDns1123Label(ns.get<std::string>())) {
          errs.push_back(v::Invalid("spec.parameters.namespace", v::GoValue(ns), m));
        }
      }
    } else if (jsonx::Has(params, "namespace")) {
      errs.push_back(v::Forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"));
    }
  }

  void ValidateSpecUpdate(const json& ic, const json& old, std::vector<FieldCause>& errs) const override {
    if (Str(ic, "spec.controller") != Str(old, "spec.controller")) {
      errs.push_back(v::Invalid("spec.controller", v::GoQuote(Str(ic, "spec.controller")), "field is immutable"));
    }
  }
};

// validation.IsValidCIDR: an address, '/', a prefix length that fits the family.
bool IsCidr(const std::string& s, int* family = nullptr) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash + 1 == s.size()) return false;
  std::string ip = s.substr(0, slash), bits = s.substr(slash + 1);
  if (!std::all_of(bits.begin(), bits.end(), [](unsigned char c) { return std::isdigit(c); }) || bits.size() > 3) return false;
  unsigned char buf[16];
  int max = 0;
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    max = 32;
    if (family) *family = 4;
  } else if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    max = 128;
    if (family) *family = 6;
  } else {
    return false;
  }
  return std::stoi(bits) <= max;
}

void ValidatePort(const json& port, const std::string& path, std::vector<FieldCause>& errs) {
  const json& proto = jsonx::Child(port, "protocol");
  if (!proto.is_null() && proto != "TCP" && proto != "UDP" && proto != "SCTP") {
    errs.push_back(v::NotSupported(path + ".protocol", v::GoValue(proto), {"TCP", "UDP", "SCTP"}));
  }
  const json& p = jsonx::Child(port, "port");
  const json& end = jsonx::Child(port, "endPort");
  if (p.is_number_integer()) {
    for (auto& m : v::IsValidPortNum(p.get<std::int64_t>())) errs.push_back(v::Invalid(path + ".port", p.dump(), m));
    if (end.is_number_integer()) {
      if (end.get<std::int64_t>() < p.get<std::int64_t>()) {
        errs.push_back(v::Invalid(path + ".endPort", p.dump(), "must be greater than or equal to `port`"));
      }
      for (auto& m : v::IsValidPortNum(end.get<std::int64_t>())) errs.push_back(v::Invalid(path + ".endPort", end.dump(), m));
    }
  } else if (p.is_string()) {
    if (!end.is_null()) {
      errs.push_back(v::Invalid(path + ".endPort", end.dump(), "may not be specified when `port` is non-numeric"));
    }
    for (auto& m : v::IsValidPortName(p.get<std::string>())) errs.push_back(v::Invalid(path + ".port", v::GoValue(p), m));
  } else if (!end.is_null()) {
    errs.push_back(v::Invalid(path + ".endPort", end.dump(), "may not be specified when `port` is not specified"));
  }
}

void ValidatePeer(const json& peer, const std::string& path, std::vector<FieldCause>& errs) {
  int peers = 0;
  for (const char* key : {"podSelector", "namespaceSelector"}) {
    if (jsonx::Has(peer, key)) {
      ++peers;
      v::ValidateLabelSelector(jsonx::Child(peer, key), path + "." + key, errs);
    }
  }
  const bool ip_block = jsonx::Has(peer, "ipBlock");
  if (ip_block) {
    ++peers;
    const json& block = jsonx::Child(peer, "ipBlock");
    std::string cidr = Str(block, "cidr");
    if (cidr.empty()) {
      errs.push_back(v::Required(path + ".ipBlock.cidr"));
    } else {
      int family = 0;
      if (!IsCidr(cidr, &family)) {
        errs.push_back(v::Invalid(path + ".ipBlock.cidr", v::GoQuote(cidr),
                                  "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
      }
      const json& except = jsonx::Child(block, "except");
      if (except.is_array()) {
        for (std::size_t i = 0; i < except.size(); ++i) {
          std::string e = except[i].is_string() ? except[i].get<std::string>() : "";
          if (!IsCidr(e)) {
            errs.push_back(v::Invalid(Idx(path + ".ipBlock.except", i), v::GoQuote(e),
                                      "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
          }
        }
      }
    }
  }
  if (peers == 0) {
    errs.push_back(v::Required(path, "must specify a peer"));
  } else if (peers > 1 && ip_block) {
    errs.push_back(v::Forbidden(path, "may not specify both ipBlock and another peer"));
  }
}

class NetworkPolicyStrategy final : public Strategy {
 public:
  NetworkPolicyStrategy() : Strategy({.tracks_generation = true, .kind = "NetworkPolicy"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the network policy, unique within its namespace."),
        print::Column("Pod-Selector", "Pods the policy applies to."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& np, SystemTime now) const override {
    return json::array(
        {Str(np, "metadata.name"), print::FormatLabelSelector(jsonx::At(np, "spec.podSelector")), print::Age(np, now)});
  }

 protected:
  void Default(json& np) const override {
    json* spec = jsonx::Object(np, "spec");
    if (spec == nullptr) return;
    jsonx::Default(*spec, "podSelector", json::object());
    for (const char* dir : {"ingress", "egress"}) {
      json* rules = jsonx::Array(*spec, dir);
      if (rules == nullptr) continue;
      for (auto& rule : *rules) {
        json* ports = rule.is_object() ? jsonx::Array(rule, "ports") : nullptr;
        if (ports == nullptr) continue;
        for (auto& port : *ports) {
          if (port.is_object()) jsonx::Default(port, "protocol", "TCP");
        }
      }
    }
    if (jsonx::Size(*spec, "policyTypes") == 0) {
      json types = json::array({"Ingress"});
      if (jsonx::Size(*spec, "egress") > 0) types.push_back("Egress");
      (*spec)["policyTypes"] = types;
    }
  }

  void ValidateSpec(const json& np, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(np, "spec");
    v::ValidateLabelSelector(jsonx::Child(spec, "podSelector"), "spec.podSelector", errs);
    for (auto [dir, peers] : {std::pair{"ingress", "from"}, {"egress", "to"}}) {
      const json& rules = jsonx::Child(spec, dir);
      if (!rules.is_array()) continue;
      for (std::size_t i = 0; i < rules.size(); ++i) {
        const std::string p = Idx(std::string("spec.") + dir, i);
        const json& ports = jsonx::Child(rules[i], "ports");
        if (ports.is_array()) {
          for (std::size_t j = 0; j < ports.size(); ++j) ValidatePort(ports[j], Idx(p + ".ports", j), errs);
        }
        const json& list = jsonx::Child(rules[i], peers);
        if (list.is_array()) {
          for (std::size_t j = 0; j < list.size(); ++j) ValidatePeer(list[j], Idx(p + "." + peers, j), errs);
        }
      }
    }
    const json& types = jsonx::Child(spec, "policyTypes");
    if (types.is_array()) {
      if (types.size() > 2) {
        errs.push_back(v::Invalid("spec.policyTypes", types.dump(), "may not specify more than two policyTypes"));
        return;
      }
      for (std::size_t i = 0; i < types.size(); ++i) {
        if (types[i] != "Ingress" && types[i] != "Egress") {
          errs.push_back(v::NotSupported(Idx("spec.policyTypes", i), v::GoValue(types[i]), {"Ingress", "Egress"}));
        }
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeIngressStrategy() { return std::make_shared<IngressStrategy>(); }
std::shared_ptr<const Strategy> MakeIngressClassStrategy() { return std::make_shared<IngressClassStrategy>(); }
std::shared_ptr<const Strategy> MakeNetworkPolicyStrategy() { return std::make_shared<NetworkPolicyStrategy>(); }

}  // namespace vkube::resource
