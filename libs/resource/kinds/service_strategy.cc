// core/v1 Service: SetDefaults_Service, the IP-family defaults of the service REST layer (the
// cluster IP itself is allocated elsewhere), ValidateService(Update) and printService.
#include <algorithm>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::At;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::int64_t kDefaultClientIpAffinitySeconds = 10800;

std::string Type(const json& svc) { return Str(svc, "spec.type"); }
bool IsHeadless(const json& svc) { return Str(svc, "spec.clusterIP") == "None"; }
bool ExternallyAccessible(const json& spec) {
  std::string t = Str(spec, "type");
  return t == "LoadBalancer" || t == "NodePort" || (t == "ClusterIP" && jsonx::Size(spec, "externalIPs") > 0);
}

std::vector<std::string> ClusterIps(const json& svc) {
  std::vector<std::string> out;
  const json& ips = At(svc, "spec.clusterIPs");
  if (ips.is_array()) {
    for (const auto& ip : ips) out.push_back(ip.is_string() ? ip.get<std::string>() : "");
  } else if (!Str(svc, "spec.clusterIP").empty()) {
    out.push_back(Str(svc, "spec.clusterIP"));
  }
  return out;
}

std::string GoStrings(const std::vector<std::string>& items) {
  if (items.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + v::GoQuote(items[i]);
  return out + "}";
}

// getServiceExternalIP of printers.go (server side prints the wide form: no truncation).
std::string ExternalIp(const json& svc) {
  std::vector<std::string> ext;
  const json& e = At(svc, "spec.externalIPs");
  if (e.is_array()) {
    for (const auto& ip : e) ext.push_back(ip.is_string() ? ip.get<std::string>() : "");
  }
  std::string type = Type(svc);
  if (type == "ClusterIP" || type == "NodePort") return ext.empty() ? "<none>" : print::Join(ext, ",");
  if (type == "ExternalName") return Str(svc, "spec.externalName");
  if (type == "LoadBalancer") {
    std::set<std::string> lb;  // a sorted set, as sets.NewString().List()
    const json& ing = At(svc, "status.loadBalancer.ingress");
    if (ing.is_array()) {
      for (const auto& i : ing) {
        if (!Str(i, "ip").empty()) {
          lb.insert(Str(i, "ip"));
        } else if (!Str(i, "hostname").empty()) {
          lb.insert(Str(i, "hostname"));
        }
      }
    }
    std::vector<std::string> all(lb.begin(), lb.end());
    all.insert(all.end(), ext.begin(), ext.end());
    return all.empty() ? "<pending>" : print::Join(all, ",");
  }
  return "<unknown>";
}

std::string PortsText(const json& svc) {
  std::vector<std::string> out;
  const json& ports = At(svc, "spec.ports");
  if (ports.is_array()) {
    for (const auto& p : ports) {
      std::string s = std::to_string(Int(p, "port"));
      if (Int(p, "nodePort") > 0) s += ":" + std::to_string(Int(p, "nodePort"));
      out.push_back(s + "/" + Str(p, "protocol"));
    }
  }
  return print::OrNone(print::Join(out, ","));
}

class ServiceStrategy final : public Strategy {
 public:
  ServiceStrategy() : Strategy({.has_status = true, .name_rule = NameRule::kDns1035Label, .kind = "Service"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the service, unique within its namespace."),
        print::Column("Type", "How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."),
        print::Column("Cluster-IP", "Virtual IP of the service inside the cluster."),
        print::Column("External-IP", "Addresses the service is reachable at from outside the cluster."),
        print::Column("Port(s)", "Service ports, with node ports and protocol."),
        print::AgeColumn(),
        print::Column("Selector", "Labels of the pods that back the service.", 1)};
    return kCols;
  }

  json Cells(const json& svc, SystemTime now) const override {
    auto ips = ClusterIps(svc);
    return json::array({Str(svc, "metadata.name"), Type(svc), ips.empty() ? "<none>" : ips[0], ExternalIp(svc),
                        PortsText(svc), print::Age(svc, now), print::FormatLabels(At(svc, "spec.selector"))});
  }

 protected:
  void Default(json& svc) const override {
    json* spec = jsonx::Object(svc, "spec");
    if (!spec) return;
    jsonx::Default(*spec, "sessionAffinity", "None");
    std::string affinity = Str(*spec, "sessionAffinity");
    if (affinity == "None") spec->erase("sessionAffinityConfig");
    if (affinity == "ClientIP" && !At(*spec, "sessionAffinityConfig.clientIP.timeoutSeconds").is_number()) {
      (*spec)["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", kDefaultClientIpAffinitySeconds}}}};
    }
    jsonx::Default(*spec, "type", "ClusterIP");
    if (json* ports = jsonx::Array(*spec, "ports")) {
      for (auto& p : *ports) {
        jsonx::Default(p, "protocol", "TCP");
        const json& tp = jsonx::Child(p, "targetPort");
        bool unset = tp.is_null() || (tp.is_number() && Int(p, "targetPort") == 0) ||
                     (tp.is_string() && tp.get<std::string>().empty());
        if (unset && p.is_object() && jsonx::Has(p, "port")) p["targetPort"] = p["port"];
      }
    }
    std::string type = Str(*spec, "type");
    if (ExternallyAccessible(*spec)) jsonx::Default(*spec, "externalTrafficPolicy", "Cluster");
    if (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer") {
      jsonx::Default(*spec, "internalTrafficPolicy", "Cluster");
    }
    if (type == "LoadBalancer") jsonx::Default(*spec, "allocateLoadBalancerNodePorts", true);
    // v1 keeps clusterIP and clusterIPs[0] in step.
    if (!Str(*spec, "clusterIP").empty() && !jsonx::Has(*spec, "clusterIPs")) {
      (*spec)["clusterIPs"] = json::array({(*spec)["clusterIP"]});
    } else if (Str(*spec, "clusterIP").empty() && jsonx::Size(*spec, "clusterIPs") > 0 &&
               (*spec)["clusterIPs"][0].is_string()) {
      (*spec)["clusterIP"] = (*spec)["clusterIPs"][0];
    }
    json* status = jsonx::Object(svc, "status");
    if (!status) return;
    json* lb = jsonx::Object(*status, "loadBalancer");
    if (lb && type == "LoadBalancer") {
      if (json* ingress = jsonx::Array(*lb, "ingress")) {
        for (auto& i : *ingress) {
          if (!Str(i, "ip").empty()) jsonx::Default(i, "ipMode", "VIP");
        }
      }
    }
  }

  void PrepareCreate(json& svc) const override {
    svc["status"] = {{"loadBalancer", json::object()}};
    json* spec = jsonx::Object(svc, "spec");
    if (!spec || Str(*spec, "type") == "ExternalName") return;
    // Single-stack IPv4 cluster. Headless services without a selector may claim both families.
    if (!jsonx::Has(*spec, "ipFamilyPolicy") && jsonx::Size(*spec, "ipFamilies") == 2) {
      (*spec)["ipFamilyPolicy"] = "RequireDualStack";
    }
    bool headless_selectorless = Str(*spec, "clusterIP") == "None" && jsonx::Size(*spec, "selector") == 0;
    jsonx::Default(*spec, "ipFamilyPolicy", headless_selectorless ? "RequireDualStack" : "SingleStack");
    jsonx::Default(*spec, "ipFamilies", json::array({"IPv4"}));
  }

  void PrepareUpdate(json& svc, const json& old) const override {
    // patchAllocatedValues: clients may omit what the server allocated.
    json* spec = jsonx::Object(svc, "spec");
    const json& old_spec = jsonx::Child(old, "spec");
    if (!spec || !old_spec.is_object()) return;
    bool needs_ip = Str(*spec, "type") != "ExternalName" && Str(old_spec, "type") != "ExternalName";
    if (needs_ip && Str(*spec, "clusterIP").empty() && !Str(old_spec, "clusterIP").empty()) {
      for (const char* k : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
        if (jsonx::Has(old_spec, k) && !jsonx::Has(*spec, k)) (*spec)[k] = old_spec[k];
      }
    }
    if (needs_ip) {
      for (const char* k : {"ipFamilies", "ipFamilyPolicy"}) {
        if (jsonx::Has(old_spec, k) && !jsonx::Has(*spec, k)) (*spec)[k] = old_spec[k];
      }
    }
    json* ports = jsonx::Array(*spec, "ports");
    const json& old_ports = jsonx::Child(old_spec, "ports");
    if (ports && old_ports.is_array() && Str(*spec, "type") != "ClusterIP" && Str(*spec, "type") != "ExternalName") {
      for (auto& p : *ports) {
        if (!p.is_object() || Int(p, "nodePort") != 0) continue;
        for (const auto& op : old_ports) {
          if (Int(op, "port") == Int(p, "port") && Int(op, "nodePort") != 0) p["nodePort"] = op["nodePort"];
        }
      }
    }
    if (jsonx::Has(old_spec, "healthCheckNodePort") && !jsonx::Has(*spec, "healthCheckNodePort") &&
        Str(*spec, "externalTrafficPolicy") == "Local" && Str(*spec, "type") == "LoadBalancer") {
      (*spec)["healthCheckNodePort"] = old_spec["healthCheckNodePort"];
    }
  }

  void ValidateSpec(const json& svc, std::vector<FieldCause>& errs) const override;
  void ValidateSpecUpdate(const json& svc, const json& old, std::vector<FieldCause>& errs) const override;
};

void ServiceStrategy::ValidateSpec(const json& svc, std::vector<FieldCause>& errs) const {
  const json& spec = jsonx::Child(svc, "spec");
  std::string type = Str(spec, "type");
  const json& ports = jsonx::Child(spec, "ports");
  if (jsonx::Size(spec, "ports") == 0 && !IsHeadless(svc) && type != "ExternalName") {
    errs.push_back(v::Required("spec.ports"));
  }
  if (type == "ExternalName") {
    std::string name = Str(spec, "externalName");
    if (name.empty()) {
      errs.push_back(v::Required("spec.externalName"));
    } else {
      std::string trimmed = name.back() == '.' ? name.substr(0, name.size() - 1) : name;
      for (auto& m : v::IsDns1123Subdomain(trimmed)) errs.push_back(v::Invalid("spec.externalName", v::GoQuote(name), m));
    }
  }
  if (ports.is_array()) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const json& p = ports[i];
      std::string pp = "spec.ports[" + std::to_string(i) + "]";
      std::string name = Str(p, "name");
      if (name.empty()) {
        if (ports.size() > 1) errs.push_back(v::Required(pp + ".name"));
      } else {
        for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(pp + ".name", v::GoQuote(name), m));
        if (!names.insert(name).second) errs.push_back(v::Duplicate(pp + ".name", v::GoQuote(name)));
      }
      std::int64_t port = Int(p, "port");
      for (auto& m : v::IsValidPortNum(port)) errs.push_back(v::Invalid(pp + ".port", std::to_string(port), m));
      std::string proto = Str(p, "protocol");
      if (proto.empty()) {
        errs.push_back(v::Required(pp + ".protocol"));
      } else if (proto != "SCTP" && proto != "TCP" && proto != "UDP") {
        errs.push_back(v::NotSupported(pp + ".protocol", v::GoQuote(proto), {"SCTP", "TCP", "UDP"}));
      }
      const json& tp = jsonx::Child(p, "targetPort");
      if (tp.is_string()) {
        for (auto& m : v::IsValidPortName(tp.get<std::string>())) {
          errs.push_back(v::Invalid(pp + ".targetPort", v::GoIntOrString(tp), m));
        }
      } else if (tp.is_number()) {
        for (auto& m : v::IsValidPortNum(Int(p, "targetPort"))) {
          errs.push_back(v::Invalid(pp + ".targetPort", v::GoIntOrString(tp), m));
        }
      }
      if (std::int64_t np = Int(p, "nodePort"); np != 0) {
        if (type == "ClusterIP" || type == "ExternalName") {
          errs.push_back(v::Forbidden(pp + ".nodePort", "may not be used when `type` is '" + type + "'"));
        } else {
          for (auto& m : v::IsValidPortNum(np)) errs.push_back(v::Invalid(pp + ".nodePort", std::to_string(np), m));
        }
      }
    }
  }
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName") {
    errs.push_back(v::NotSupported("spec.type", v::GoValue(jsonx::Child(spec, "type")),
                                   {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
  }
  std::string affinity = Str(spec, "sessionAffinity");
  if (affinity != "None" && affinity != "ClientIP") {
    errs.push_back(v::NotSupported("spec.sessionAffinity", v::GoQuote(affinity), {"ClientIP", "None"}));
  }
  v::ValidateLabels(jsonx::Child(spec, "selector"), "spec.selector", errs);
  auto ips = ClusterIps(svc);
  for (std::size_t i = 0; i < ips.size(); ++i) {
    if (ips[i] == "None" && i == 0) continue;
    for (auto& m : v::IsValidIp(ips[i])) {
      errs.push_back(v::Invalid("spec.clusterIPs[" + std::to_string(i) + "]", v::GoQuote(ips[i]), m));
    }
  }
  const json& ext = jsonx::Child(spec, "externalIPs");
  if (ext.is_array()) {
    for (std::size_t i = 0; i < ext.size(); ++i) {
      std::string ip = ext[i].is_string() ? ext[i].get<std::string>() : "";
      for (auto& m : v::IsValidIp(ip)) {
        errs.push_back(v::Invalid("spec.externalIPs[" + std::to_string(i) + "]", v::GoQuote(ip), m));
      }
    }
  }
  if (jsonx::Has(spec, "internalTrafficPolicy")) {
    std::string itp = Str(spec, "internalTrafficPolicy");
    if (itp != "Cluster" && itp != "Local") {
      errs.push_back(v::NotSupported("spec.internalTrafficPolicy", v::GoQuote(itp), {"Cluster", "Local"}));
    }
  }
  if (jsonx::Has(spec, "externalTrafficPolicy") && ExternallyAccessible(spec)) {
    std::string etp = Str(spec, "externalTrafficPolicy");
    if (etp != "Cluster" && etp != "Local") {
      errs.push_back(v::NotSupported("spec.externalTrafficPolicy", v::GoQuote(etp), {"Cluster", "Local"}));
    }
  }
}

void ServiceStrategy::ValidateSpecUpdate(const json& svc, const json& old, std::vector<FieldCause>& errs) const {
  // validateUpgradeDowngradeClusterIPs (single-stack subset): the primary IP never changes.
  if (Type(svc) == "ExternalName" || Type(old) == "ExternalName") return;
  if (IsHeadless(svc) && IsHeadless(old)) return;
  auto now = ClusterIps(svc), before = ClusterIps(old);
  if (now.size() == before.size()) {
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i] != now[i]) {
        errs.push_back(v::Invalid("spec.clusterIPs[" + std::to_string(i) + "]", GoStrings(now), "may not change once set"));
      }
    }
  } else if (now.empty() && !before.empty()) {
    errs.push_back(v::Invalid("spec.clusterIPs[0]", GoStrings(now), "primary clusterIP can not be unset"));
  }
}

}  // namespace

std::shared_ptr<const Strategy> MakeServiceStrategy() { return std::make_shared<ServiceStrategy>(); }

}  // namespace vkube::resource
