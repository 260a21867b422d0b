// core/v1 Node: registered with its status (the kubelet's), allocatable defaults to capacity,
// taint validation, printNode, spec.unschedulable field selector.
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";

std::string Address(const json& node, std::string_view type) {
  const json& addrs = jsonx::At(node, "status.addresses");
  if (addrs.is_array()) {
    for (const auto& a : addrs) {
      if (Str(a, "type") == type) return Str(a, "address");
    }
  }
  return "<none>";
}

std::string OrUnknown(std::string s) { return s.empty() ? "<unknown>" : s; }

class NodeStrategy final : public Strategy {
 public:
  NodeStrategy()
      : Strategy({.has_status = true, .kind = "Node", .namespaced = false, .reset_status_on_create = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the node."),
        print::Column("Status", "Ready condition of the node, and whether scheduling is disabled."),
        print::Column("Roles", "Roles from the node-role.kubernetes.io/<role> labels."),
        print::AgeColumn(),
        print::Column("Version", "Kubelet version reported by the node."),
        print::Column("Internal-IP", "First internal address of the node.", 1),
        print::Column("External-IP", "First external address of the node.", 1),
        print::Column("OS-Image", "Operating system image reported by the node.", 1),
        print::Column("Kernel-Version", "Kernel version reported by the node.", 1),
        print::Column("Container-Runtime", "Container runtime and its version.", 1)};
    return kCols;
  }

  json Cells(const json& node, SystemTime now) const override {
    std::vector<std::string> status;
    const json& conds = jsonx::At(node, "status.conditions");
    if (conds.is_array()) {
      const json* ready = nullptr;  // the last Ready condition wins, as with kube's map
      for (const auto& c : conds) {
        if (Str(c, "type") == "Ready") ready = &c;
      }
      if (ready) status.emplace_back(Str(*ready, "status") == "True" ? "Ready" : "NotReady");
    }
    if (status.empty()) status.emplace_back("Unknown");
    if (jsonx::Bool(node, "spec.unschedulable")) status.emplace_back("SchedulingDisabled");

    std::set<std::string> roles;
    const json& labels = jsonx::At(node, "metadata.labels");
    if (labels.is_object()) {
      for (auto& [k, val] : labels.items()) {
        if (k.rfind(kRolePrefix, 0) == 0 && k.size() > kRolePrefix.size()) {
          roles.insert(k.substr(kRolePrefix.size()));
        } else if (k == "kubernetes.io/role" && val.is_string() && !val.get<std::string>().empty()) {
          roles.insert(val.get<std::string>());
        }
      }
    }
    const json& info = jsonx::At(node, "status.nodeInfo");
    return json::array({Str(node, "metadata.name"), print::Join(status, ","),
                        print::OrNone(print::Join(std::vector<std::string>(roles.begin(), roles.end()), ",")),
                        print::Age(node, now), Str(info, "kubeletVersion"), Address(node, "InternalIP"),
                        Address(node, "ExternalIP"), OrUnknown(Str(info, "osImage")),
                        OrUnknown(Str(info, "kernelVersion")), OrUnknown(Str(info, "containerRuntimeVersion"))});
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"spec.unschedulable"}; }

 protected:
  void Default(json& node) const override {
    jsonx::Object(node, "spec");
    // SetDefaults_NodeStatus: allocatable defaults to capacity.
    json* status = jsonx::Has(node, "status") ? jsonx::Object(node, "status") : nullptr;
    if (status && jsonx::Child(*status, "capacity").is_object() && !jsonx::Has(*status, "allocatable")) {
      (*status)["allocatable"] = (*status)["capacity"];
    }
  }

  void ValidateSpec(const json& node, std::vector<FieldCause>& errs) const override {
    const json& taints = jsonx::At(node, "spec.taints");
    if (taints.is_array()) {
      for (std::size_t i = 0; i < taints.size(); ++i) {
        std::string tp = "spec.taints[" + std::to_string(i) + "]";
        std::string key = Str(taints[i], "key");
        for (auto& m : v::IsQualifiedName(key)) errs.push_back(v::Invalid(tp + ".key", v::GoQuote(key), m));
        std::string val = Str(taints[i], "value");
        for (auto& m : v::IsValidLabelValue(val)) errs.push_back(v::Invalid(tp + ".value", v::GoQuote(val), m));
        std::string effect = Str(taints[i], "effect");
        if (effect.empty()) {
          errs.push_back(v::Required(tp + ".effect"));
        } else if (effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute") {
          errs.push_back(v::NotSupported(tp + ".effect", v::GoQuote(effect), {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
        }
      }
    }
    std::string cidr = Str(node, "spec.podCIDR");
    if (!cidr.empty()) {
      auto slash = cidr.find('/');
      if (slash == std::string::npos || !v::IsValidIp(cidr.substr(0, slash)).empty()) {
        errs.push_back(v::Invalid("spec.podCIDRs[0]", v::GoQuote(cidr),
                                  "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
      }
    }
  }

  void AddFields(const json& node, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("spec.unschedulable", jsonx::Bool(node, "spec.unschedulable") ? "true" : "false");
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeNodeStrategy() { return std::make_shared<NodeStrategy>(); }

}  // namespace vkube::resource
