#include "libs/translate/service_translator.h"

#include "libs/translate/name_translator.h"

namespace vkube::translate {

using json = nlohmann::json;

namespace {

// The spec fields copied as they are (the tenant's intent; nothing in them names tenant objects).
constexpr const char* kCopiedSpecFields[] = {"type",
                                             "sessionAffinity",
                                             "sessionAffinityConfig",
                                             "publishNotReadyAddresses",
                                             "externalName",
                                             "externalTrafficPolicy",
                                             "internalTrafficPolicy",
                                             "loadBalancerSourceRanges",
                                             "loadBalancerClass",
                                             "allocateLoadBalancerNodePorts",
                                             "ipFamilyPolicy"};

const json& Spec(const json& svc) {
  static const json kEmpty = json::object();
  auto it = svc.find("spec");
  return it != svc.end() && it->is_object() ? *it : kEmpty;
}

std::string ClusterIp(const json& svc) {
  auto it = Spec(svc).find("clusterIP");
  return it != Spec(svc).end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Type(const json& svc) { return Spec(svc).value("type", std::string("ClusterIP")); }

// Ports without node ports (the host's to allocate).
json HostPorts(const json& ports) {
  json out = json::array();
  if (!ports.is_array()) return out;
  for (json p : ports) {
    if (!p.is_object()) continue;
    p.erase("nodePort");
    out.push_back(std::move(p));
  }
  return out;
}

// `desired` ports with the node ports `current` already has for the same port and protocol.
json KeepNodePorts(json desired, const json& current) {
  if (!current.is_array()) return desired;
  for (json& p : desired) {
    for (const json& c : current) {
      if (c.is_object() && c.value("port", 0) == p.value("port", 0) &&
          c.value("protocol", std::string("TCP")) == p.value("protocol", std::string("TCP")) &&
          c.contains("nodePort")) {
        p["nodePort"] = c["nodePort"];
      }
    }
  }
  return desired;
}

}  // namespace

json TranslateService(const json& vsvc, const PodTranslateOptions& o) {
  const json& vspec = Spec(vsvc);
  json spec = json::object();
  for (const char* f : kCopiedSpecFields) {
    if (vspec.contains(f)) spec[f] = vspec[f];
  }
  spec["ports"] = HostPorts(vspec.value("ports", json::array()));
  if (ClusterIp(vsvc) == "None") spec["clusterIP"] = "None";  // headless stays headless
  const json& selector = vspec.value("selector", json::object());
  if (selector.is_object() && !selector.empty()) {
    StringMap m;
    for (const auto& [k, v] : selector.items()) {
      if (v.is_string()) m.emplace(k, v.get<std::string>());
    }
    json host_selector = json::object();
    for (const auto& [k, v] : HostSelector(m, vsvc["metadata"].value("namespace", ""), o.tenant)) host_selector[k] = v;
    spec["selector"] = std::move(host_selector);
  }
  return json{
      {"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", HostMetadata(vsvc, "Service", o)}, {"spec", spec}};
}

std::optional<json> UpdatedHostService(const json& current, const json& desired) {
  if (!current.is_object() || !desired.is_object()) return std::nullopt;
  json next = current;
  json& spec = next["spec"];
  if (!spec.is_object()) spec = json::object();
  const json& want = Spec(desired);
  for (const char* f : kCopiedSpecFields) {
    if (want.contains(f)) {
      spec[f] = want[f];
    } else if (std::string_view(f) != "type" && std::string_view(f) != "ipFamilyPolicy" &&
               std::string_view(f) != "sessionAffinity" && std::string_view(f) != "internalTrafficPolicy") {
      spec.erase(f);  // (the kept ones are defaulted by the host when unset)
    }
  }
  spec["ports"] = KeepNodePorts(want.value("ports", json::array()), spec.value("ports", json::array()));
  if (want.contains("selector")) {
    spec["selector"] = want["selector"];
  } else {
    spec.erase("selector");
  }
  for (const char* f : {"labels", "annotations"}) {
    next["metadata"][f] = desired["metadata"].value(f, json::object());
  }
  if (next == current) return std::nullopt;
  return next;
}

std::optional<std::string> HostClusterIpToAdopt(const json& vsvc, const json& hsvc) {
  const std::string host_ip = ClusterIp(hsvc);
  if (host_ip.empty() || host_ip == "None" || Type(vsvc) == "ExternalName" || ClusterIp(vsvc) == "None") {
    return std::nullopt;
  }
  if (ClusterIp(vsvc) == host_ip) return std::nullopt;
  return host_ip;
}

json ServiceWithClusterIp(const json& vsvc, const std::string& cluster_ip) {
  json out = vsvc;
  json& meta = out["metadata"];
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation",
                        "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) {
    meta.erase(f);
  }
  out.erase("status");
  out["spec"]["clusterIP"] = cluster_ip;
  out["spec"]["clusterIPs"] = json::array({cluster_ip});
  return out;
}

}  // namespace vkube::translate
