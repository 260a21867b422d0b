// core/v1 kinds other than Pod: namespaces, services, configmaps, secrets, serviceaccounts,
// events, endpoints, nodes, persistentvolumeclaims, persistentvolumes.
#include <openssl/evp.h>

#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/kind_strategy.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using print::Int;
using print::Str;

using print::AgeCol;
using print::Col;
using print::NameCol;

std::int64_t MapSize(const json& obj, std::string_view path) {
  const json& m = print::At(obj, path);
  return m.is_object() ? static_cast<std::int64_t>(m.size()) : 0;
}

bool ValidConfigKey(const std::string& k) {
  if (k.empty() || k.size() > 253 || k == "." || k == "..") return false;
  for (char c : k) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

void ValidateKeys(const json& obj, const char* field, std::vector<FieldCause>& errs) {
  const json& m = print::At(obj, field);
  if (m.is_null()) return;
  if (!m.is_object()) {
    errs.push_back({"FieldValueInvalid", "Invalid value: must be a map", field});
    return;
  }
  for (auto& [k, v] : m.items()) {
    if (!ValidConfigKey(k)) {
      errs.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + k + "\": a valid config key must consist of alphanumeric characters, '-', "
                      "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
                      "'[-._a-zA-Z0-9]+')",
                      std::string(field) + "[" + k + "]"});
    }
    if (!v.is_string()) {
      errs.push_back({"FieldValueInvalid", "Invalid value: values must be strings", std::string(field) + "[" + k + "]"});
    }
  }
}

bool IsBase64(const std::string& s) {
  if (s.size() % 4 != 0) return false;
  std::string out(s.size(), '\0');
  return EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                         static_cast<int>(s.size())) >= 0 || s.empty();
}

std::string ServicePorts(const json& svc) {
  const json& ports = print::At(svc, "spec.ports");
  if (!ports.is_array() || ports.empty()) return "<none>";
  std::vector<std::string> out;
  for (const auto& p : ports) {
    std::string s = std::to_string(Int(p, "port"));
    if (Int(p, "nodePort") != 0) s += ":" + std::to_string(Int(p, "nodePort"));
    out.push_back(s + "/" + Str(p, "protocol", "TCP"));
  }
  return print::Join(out, ",");
}

std::string ExternalIp(const json& svc) {
  std::string type = Str(svc, "spec.type", "ClusterIP");
  std::vector<std::string> ips;
  const json& ext = print::At(svc, "spec.externalIPs");
  if (ext.is_array()) {
    for (const auto& e : ext) ips.push_back(e.is_string() ? e.get<std::string>() : "");
  }
  if (type == "ExternalName") return Str(svc, "spec.externalName");
  if (type == "LoadBalancer") {
    const json& ing = print::At(svc, "status.loadBalancer.ingress");
    if (ing.is_array()) {
      for (const auto& i : ing) ips.push_back(!Str(i, "ip").empty() ? Str(i, "ip") : Str(i, "hostname"));
    }
    return ips.empty() ? "<pending>" : print::Join(ips, ",");
  }
  return ips.empty() ? "<none>" : print::Join(ips, ",");
}

}  // namespace

std::shared_ptr<const Strategy> MakeNamespaceStrategy() {
  KindSpec s;
  s.traits = {true, false, true, "Namespace"};
  s.columns = {NameCol(), Col("Status", "Lifecycle phase of the namespace."), AgeCol()};
  s.cells = [](const json& o, SystemTime now) {
    return json::array({Str(o, "metadata.name"), Str(o, "status.phase", "Active"), print::Age(o, now)});
  };
  s.defaults = [](json& o) {
    if (!o.contains("spec") || !o["spec"].is_object()) o["spec"] = json::object();
    if (!o["spec"].contains("finalizers")) o["spec"]["finalizers"] = json::array({"kubernetes"});
    if (!o.contains("status") || !o["status"].is_object()) o["status"] = json::object();
    if (!o["status"].contains("phase")) o["status"]["phase"] = "Active";
    // kube labels every namespace with its own name.
    o["metadata"]["labels"]["kubernetes.io/metadata.name"] = o["metadata"].value("name", "");
  };
  s.extra_fields = {"status.phase"};
  s.fields = [](const json& o, FieldList& f) { f.emplace_back("status.phase", Str(o, "status.phase")); };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeServiceStrategy() {
  KindSpec s;
  s.traits = {true, false, true, "Service"};
  s.columns = {NameCol(),
               Col("Type", "How the service is exposed."),
               Col("Cluster-IP", "Virtual IP inside the cluster."),
               Col("External-IP", "External addresses."),
               Col("Port(s)", "Exposed ports."),
               AgeCol(),
               Col("Selector", "Pods the service routes to.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    std::string cip = Str(o, "spec.clusterIP");
    return json::array({Str(o, "metadata.name"), Str(o, "spec.type", "ClusterIP"), cip.empty() ? "<none>" : cip,
                        ExternalIp(o), ServicePorts(o), print::Age(o, now), print::MapText(print::At(o, "spec.selector"))});
  };
  s.defaults = [](json& o) {
    auto& spec = o["spec"];
    if (!spec.is_object()) spec = json::object();
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    std::string type = spec["type"].is_string() ? spec["type"].get<std::string>() : "";
    if (type != "ExternalName") {
      if (!spec.contains("internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
      if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
      if (!spec.contains("ipFamilies")) spec["ipFamilies"] = json::array({"IPv4"});
    }
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (auto& p : spec["ports"]) {
        if (!p.is_object()) continue;
        if (!p.contains("protocol")) p["protocol"] = "TCP";
        if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
      }
    }
    if (!o.contains("status") || !o["status"].is_object()) o["status"] = {{"loadBalancer", json::object()}};
  };
  s.validate = [](const json& o, std::vector<FieldCause>& errs) {
    std::string type = Str(o, "spec.type", "ClusterIP");
    const json& ports = print::At(o, "spec.ports");
    if (type != "ExternalName" && Str(o, "spec.clusterIP") != "None" && (!ports.is_array() || ports.empty())) {
      errs.push_back({"FieldValueRequired", "Required value", "spec.ports"});
    }
    if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName") {
      errs.push_back({"FieldValueNotSupported",
                      "Unsupported value: \"" + type +
                          "\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                      "spec.type"});
    }
    if (ports.is_array()) {
      for (std::size_t i = 0; i < ports.size(); ++i) {
        std::int64_t port = Int(ports[i], "port");
        if (port < 1 || port > 65535) {
          errs.push_back({"FieldValueInvalid",
                          "Invalid value: " + std::to_string(port) + ": must be between 1 and 65535, inclusive",
                          "spec.ports[" + std::to_string(i) + "].port"});
        }
      }
    }
  };
  s.validate_update = [](const json& o, const json& old, std::vector<FieldCause>& errs) {
    std::string a = Str(o, "spec.clusterIP"), b = Str(old, "spec.clusterIP");
    if (!b.empty() && !a.empty() && a != b) {
      errs.push_back({"FieldValueInvalid", "Invalid value: \"" + a + "\": field is immutable", "spec.clusterIPs[0]"});
    }
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeConfigMapStrategy() {
  KindSpec s;
  s.traits = {false, false, false, "ConfigMap"};
  s.columns = {NameCol(), Col("Data", "Number of data entries."), AgeCol()};
  s.cells = [](const json& o, SystemTime now) {
    return json::array({Str(o, "metadata.name"), MapSize(o, "data") + MapSize(o, "binaryData"), print::Age(o, now)});
  };
  s.validate = [](const json& o, std::vector<FieldCause>& errs) {
    ValidateKeys(o, "data", errs);
    ValidateKeys(o, "binaryData", errs);
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeSecretStrategy() {
  KindSpec s;
  s.traits = {false, false, false, "Secret"};
  s.columns = {NameCol(), Col("Type", "Secret type."), Col("Data", "Number of data entries."), AgeCol()};
  s.cells = [](const json& o, SystemTime now) {
    return json::array({Str(o, "metadata.name"), Str(o, "type", "Opaque"), MapSize(o, "data"), print::Age(o, now)});
  };
  s.defaults = [](json& o) {
    if (!o.contains("type")) o["type"] = "Opaque";
    // stringData is write-only: merged into data (base64) and dropped, as kube does.
    if (o.contains("stringData") && o["stringData"].is_object()) {
      for (auto& [k, v] : o["stringData"].items()) {
        if (!v.is_string()) continue;
        const std::string& raw = v.get_ref<const std::string&>();
        std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
        int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
        b64.resize(static_cast<std::size_t>(n));
        o["data"][k] = b64;
      }
      o.erase("stringData");
    }
  };
  s.validate = [](const json& o, std::vector<FieldCause>& errs) {
    ValidateKeys(o, "data", errs);
    const json& d = print::At(o, "data");
    if (d.is_object()) {
      for (auto& [k, v] : d.items()) {
        if (v.is_string() && !IsBase64(v.get<std::string>())) {
          errs.push_back({"FieldValueInvalid", "Invalid value: illegal base64 data", "data[" + k + "]"});
        }
      }
    }
  };
  s.validate_update = [](const json& o, const json& old, std::vector<FieldCause>& errs) {
    if (Str(o, "type", "Opaque") != Str(old, "type", "Opaque")) {
      errs.push_back({"FieldValueInvalid", "Invalid value: \"" + Str(o, "type") + "\": field is immutable", "type"});
    }
  };
  s.extra_fields = {"type"};
  s.fields = [](const json& o, FieldList& f) { f.emplace_back("type", Str(o, "type")); };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeServiceAccountStrategy() {
  KindSpec s;
  s.traits = {false, false, false, "ServiceAccount"};
  s.columns = {NameCol(), Col("Secrets", "Number of referenced secrets."), AgeCol()};
  s.cells = [](const json& o, SystemTime now) {
    const json& sec = print::At(o, "secrets");
    return json::array({Str(o, "metadata.name"), sec.is_array() ? static_cast<std::int64_t>(sec.size()) : 0,
                        print::Age(o, now)});
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeEventStrategy() {
  KindSpec s;
  s.traits = {false, false, false, "Event"};
  s.columns = {Col("Last Seen", "Time since the event was last observed."),
               Col("Type", "Normal or Warning."),
               Col("Reason", "Short machine-readable reason."),
               Col("Object", "Object the event is about."),
               Col("Subobject", "Part of the object the event is about.", 1),
               Col("Source", "Component that reported the event.", 1),
               Col("Message", "Human-readable description."),
               Col("First Seen", "Time since the event was first observed.", 1),
               Col("Count", "Times the event occurred.", 1),
               {"Name", "string", "name", "Name of the event.", 1}};
  s.cells = [](const json& o, SystemTime now) {
    std::string last = Str(o, "lastTimestamp");
    if (last.empty()) last = Str(o, "eventTime");
    if (last.empty()) last = Str(o, "metadata.creationTimestamp");
    std::string first = Str(o, "firstTimestamp");
    if (first.empty()) first = Str(o, "eventTime");
    std::string source = Str(o, "source.component");
    if (source.empty()) source = Str(o, "reportingComponent");
    if (!Str(o, "source.host").empty()) source += ", " + Str(o, "source.host");
    std::string kind = Str(o, "involvedObject.kind");
    std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
    std::int64_t count = Int(o, "count", 1);
    return json::array({print::AgeOf(last, now), Str(o, "type"), Str(o, "reason"),
                        kind + "/" + Str(o, "involvedObject.name"), Str(o, "involvedObject.fieldPath"), source,
                        Str(o, "message"), print::AgeOf(first, now), count, Str(o, "metadata.name")});
  };
  s.extra_fields = {"involvedObject.kind",       "involvedObject.namespace", "involvedObject.name",
                    "involvedObject.uid",        "involvedObject.apiVersion", "involvedObject.resourceVersion",
                    "involvedObject.fieldPath",  "reason",                   "reportingComponent",
                    "source",                    "type"};
  s.fields = [](const json& o, FieldList& f) {
    for (const char* k : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      f.emplace_back(std::string("involvedObject.") + k, Str(o, std::string("involvedObject.") + k));
    }
    f.emplace_back("reason", Str(o, "reason"));
    f.emplace_back("reportingComponent", Str(o, "reportingComponent"));
    f.emplace_back("source", Str(o, "source.component"));
    f.emplace_back("type", Str(o, "type"));
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeEndpointsStrategy() {
  KindSpec s;
  s.traits = {false, false, false, "Endpoints"};
  s.columns = {NameCol(), Col("Endpoints", "Ready addresses and ports."), AgeCol()};
  s.cells = [](const json& o, SystemTime now) {
    std::vector<std::string> eps;
    std::size_t total = 0;
    const json& subsets = print::At(o, "subsets");
    if (subsets.is_array()) {
      for (const auto& ss : subsets) {
        const json& addrs = print::At(ss, "addresses");
        const json& ports = print::At(ss, "ports");
        if (!addrs.is_array()) continue;
        for (const auto& a : addrs) {
          if (ports.is_array() && !ports.empty()) {
            for (const auto& p : ports) {
              ++total;
              if (eps.size() < 3) eps.push_back(Str(a, "ip") + ":" + std::to_string(Int(p, "port")));
            }
          } else {
            ++total;
            if (eps.size() < 3) eps.push_back(Str(a, "ip"));
          }
        }
      }
    }
    std::string text = eps.empty() ? "<none>" : print::Join(eps, ",");
    if (total > 3) text += " + " + std::to_string(total - 3) + " more...";
    return json::array({Str(o, "metadata.name"), text, print::Age(o, now)});
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeNodeStrategy() {
  KindSpec s;
  s.traits = {true, false, false, "Node"};
  s.columns = {NameCol(),
               Col("Status", "Ready condition and scheduling state."),
               Col("Roles", "Roles from node-role.kubernetes.io labels."),
               AgeCol(),
               Col("Version", "Kubelet version."),
               Col("Internal-IP", "Internal address.", 1),
               Col("External-IP", "External address.", 1),
               Col("OS-Image", "Operating system image.", 1),
               Col("Kernel-Version", "Kernel version.", 1),
               Col("Container-Runtime", "Container runtime version.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    std::string status = "Unknown";
    const json& conds = print::At(o, "status.conditions");
    if (conds.is_array()) {
      for (const auto& c : conds) {
        if (Str(c, "type") == "Ready") status = Str(c, "status") == "True" ? "Ready" : "NotReady";
      }
    }
    if (print::At(o, "spec.unschedulable").is_boolean() && o["spec"]["unschedulable"].get<bool>()) {
      status += ",SchedulingDisabled";
    }
    std::vector<std::string> roles;
    const json& labels = print::At(o, "metadata.labels");
    if (labels.is_object()) {
      for (auto& [k, v] : labels.items()) {
        constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
        if (k.rfind(kPrefix, 0) == 0 && k.size() > kPrefix.size()) roles.push_back(k.substr(kPrefix.size()));
        if (k == "kubernetes.io/role" && v.is_string()) roles.push_back(v.get<std::string>());
      }
    }
    std::string internal_ip, external_ip;
    const json& addrs = print::At(o, "status.addresses");
    if (addrs.is_array()) {
      for (const auto& a : addrs) {
        if (Str(a, "type") == "InternalIP" && internal_ip.empty()) internal_ip = Str(a, "address");
        if (Str(a, "type") == "ExternalIP" && external_ip.empty()) external_ip = Str(a, "address");
      }
    }
    return json::array({Str(o, "metadata.name"), status, roles.empty() ? "<none>" : print::Join(roles, ","),
                        print::Age(o, now), Str(o, "status.nodeInfo.kubeletVersion"), print::OrNone(internal_ip),
                        print::OrNone(external_ip), Str(o, "status.nodeInfo.osImage", "<unknown>"),
                        Str(o, "status.nodeInfo.kernelVersion", "<unknown>"),
                        Str(o, "status.nodeInfo.containerRuntimeVersion", "<unknown>")});
  };
  s.extra_fields = {"spec.unschedulable"};
  s.fields = [](const json& o, FieldList& f) {
    bool u = print::At(o, "spec.unschedulable").is_boolean() && o["spec"]["unschedulable"].get<bool>();
    f.emplace_back("spec.unschedulable", u ? "true" : "false");
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakePersistentVolumeClaimStrategy() {
  KindSpec s;
  s.traits = {true, false, false, "PersistentVolumeClaim"};
  s.columns = {NameCol(),
               Col("Status", "Binding phase."),
               Col("Volume", "Bound volume."),
               Col("Capacity", "Provisioned capacity."),
               Col("Access Modes", "Access modes."),
               Col("StorageClass", "Storage class."),
               Col("VolumeAttributesClass", "Volume attributes class."),
               AgeCol(),
               Col("VolumeMode", "Filesystem or Block.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    std::string phase = Str(o, "status.phase", "Pending");
    if (!Str(o, "metadata.deletionTimestamp").empty()) phase = "Terminating";
    std::string sc = Str(o, "spec.storageClassName");
    std::string vac = Str(o, "spec.volumeAttributesClassName");
    return json::array({Str(o, "metadata.name"), phase, Str(o, "spec.volumeName"), Str(o, "status.capacity.storage"),
                        print::AccessModes(print::At(o, "status.accessModes")), sc, vac.empty() ? "<unset>" : vac,
                        print::Age(o, now), Str(o, "spec.volumeMode", "Filesystem")});
  };
  s.defaults = [](json& o) {
    if (!o["spec"].is_object()) o["spec"] = json::object();
    if (!o["spec"].contains("volumeMode")) o["spec"]["volumeMode"] = "Filesystem";
    if (!o.contains("status") || !o["status"].is_object()) o["status"] = json::object();
    if (!o["status"].contains("phase")) o["status"]["phase"] = "Pending";
  };
  s.validate = [](const json& o, std::vector<FieldCause>& errs) {
    const json& modes = print::At(o, "spec.accessModes");
    if (!modes.is_array() || modes.empty()) {
      errs.push_back({"FieldValueRequired", "Required value: at least 1 access mode is required", "spec.accessModes"});
    }
    if (print::At(o, "spec.resources.requests.storage").is_null()) {
      errs.push_back({"FieldValueRequired", "Required value", "spec.resources[storage]"});
    }
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakePersistentVolumeStrategy() {
  KindSpec s;
  s.traits = {true, false, false, "PersistentVolume"};
  s.columns = {NameCol(),
               Col("Capacity", "Capacity."),
               Col("Access Modes", "Access modes."),
               Col("Reclaim Policy", "What happens when released."),
               Col("Status", "Binding phase."),
               Col("Claim", "Bound claim."),
               Col("StorageClass", "Storage class."),
               Col("VolumeAttributesClass", "Volume attributes class."),
               Col("Reason", "Reason for the phase."),
               AgeCol(),
               Col("VolumeMode", "Filesystem or Block.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    std::string claim;
    if (!Str(o, "spec.claimRef.name").empty()) claim = Str(o, "spec.claimRef.namespace") + "/" + Str(o, "spec.claimRef.name");
    std::string phase = Str(o, "status.phase", "Pending");
    if (!Str(o, "metadata.deletionTimestamp").empty()) phase = "Terminating";
    std::string vac = Str(o, "spec.volumeAttributesClassName");
    return json::array({Str(o, "metadata.name"), Str(o, "spec.capacity.storage"),
                        print::AccessModes(print::At(o, "spec.accessModes")),
                        Str(o, "spec.persistentVolumeReclaimPolicy"), phase, claim, Str(o, "spec.storageClassName"),
                        vac.empty() ? "<unset>" : vac, Str(o, "status.reason"), print::Age(o, now),
                        Str(o, "spec.volumeMode", "Filesystem")});
  };
  s.defaults = [](json& o) {
    if (!o["spec"].is_object()) o["spec"] = json::object();
    if (!o["spec"].contains("persistentVolumeReclaimPolicy")) o["spec"]["persistentVolumeReclaimPolicy"] = "Retain";
    if (!o["spec"].contains("volumeMode")) o["spec"]["volumeMode"] = "Filesystem";
    if (!o.contains("status") || !o["status"].is_object()) o["status"] = json::object();
    if (!o["status"].contains("phase")) o["status"]["phase"] = "Pending";
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

}  // namespace vkube::resource
