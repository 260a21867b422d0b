// storage.k8s.io/v1 StorageClass and CSIDriver: kube's defaults (reclaimPolicy Delete,
// volumeBindingMode Immediate; the CSIDriver booleans and lifecycle modes), validation with the
// fields kube keeps immutable, and their printers.
#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr std::size_t kMaxProvisionerParameterSize = 256 * 1024;
constexpr std::size_t kMaxProvisionerParameters = 512;
constexpr std::size_t kMaxCsiDriverNameLength = 63;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class StorageClassStrategy final : public Strategy {
 public:
  StorageClassStrategy() : Strategy({.kind = "StorageClass", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the storage class; \"(default)\" marks the default class."),
        print::Column("Provisioner", "Volume plugin or CSI driver that provisions volumes."),
        print::Column("ReclaimPolicy", "What happens to a provisioned volume once released."),
        print::Column("VolumeBindingMode", "When volumes are bound and provisioned."),
        print::Column("AllowVolumeExpansion", "Whether claims of this class may grow."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& sc, SystemTime now) const override {
    std::string name = Str(sc, "metadata.name");
    const json& annotations = jsonx::At(sc, "metadata.annotations");
    if (jsonx::Child(annotations, "storageclass.kubernetes.io/is-default-class") == "true" ||
        jsonx::Child(annotations, "storageclass.beta.kubernetes.io/is-default-class") == "true") {
      name += " (default)";
    }
    return json::array({name, Str(sc, "provisioner"), Str(sc, "reclaimPolicy", "Delete"),
                        Str(sc, "volumeBindingMode", "Immediate"), jsonx::Bool(sc, "allowVolumeExpansion"),
                        print::Age(sc, now)});
  }

 protected:
  void Default(json& sc) const override {
    if (!sc.is_object()) return;
    jsonx::Default(sc, "reclaimPolicy", "Delete");
    jsonx::Default(sc, "volumeBindingMode", "Immediate");
  }

  void ValidateSpec(const json& sc, std::vector<FieldCause>& errs) const override {
    const std::string provisioner = Str(sc, "provisioner");
    if (provisioner.empty()) {
      errs.push_back(v::Required("provisioner"));
    } else {
      for (auto& m : v::IsQualifiedName(Lower(provisioner))) {
        errs.push_back(v::Invalid("provisioner", v::GoQuote(Lower(provisioner)), m));
      }
    }
    const json& params = jsonx::Child(sc, "parameters");
    if (params.is_object()) {
      if (params.size() > kMaxProvisionerParameters) {
        errs.push_back(v::TooLong("parameters", static_cast<std::int64_t>(kMaxProvisionerParameters)));
      }
      std::size_t total = 0;
      for (auto& [k, val] : params.items()) {
        if (k.empty()) errs.push_back(v::Invalid("parameters", "\"\"", "field can not be empty."));
        total += k.size() + (val.is_string() ? val.get<std::string>().size() : 0);
      }
      if (total > kMaxProvisionerParameterSize) {
        errs.push_back(v::TooLong("parameters", static_cast<std::int64_t>(kMaxProvisionerParameterSize)));
      }
    }
    const json& reclaim = jsonx::Child(sc, "reclaimPolicy");
    if (!reclaim.is_null() && reclaim != "Delete" && reclaim != "Retain") {
      errs.push_back(v::NotSupported("reclaimPolicy", v::GoValue(reclaim), {"Delete", "Retain"}));
    }
    const json& mode = jsonx::Child(sc, "volumeBindingMode");
    if (mode.is_null()) {
      errs.push_back(v::Required("volumeBindingMode"));
    } else if (mode != "Immediate" && mode != "WaitForFirstConsumer") {
      errs.push_back(v::NotSupported("volumeBindingMode", v::GoValue(mode), {"Immediate", "WaitForFirstConsumer"}));
    }
    const json& topologies = jsonx::Child(sc, "allowedTopologies");
    if (topologies.is_array()) {
      for (std::size_t i = 0; i < topologies.size(); ++i) {
        const std::string p = "allowedTopologies[" + std::to_string(i) + "]";
        if (jsonx::Size(topologies[i], "matchLabelExpressions") == 0) {
          errs.push_back(v::Required(p + ".matchLabelExpressions", "must have at least one label expression"));
        }
      }
    }
  }

  void ValidateSpecUpdate(const json& sc, const json& old, std::vector<FieldCause>& errs) const override {
    if (jsonx::Child(sc, "parameters") != jsonx::Child(old, "parameters")) {
      errs.push_back(v::Forbidden("parameters", "updates to parameters are forbidden."));
    }
    if (Str(sc, "provisioner") != Str(old, "provisioner")) {
      errs.push_back(v::Forbidden("provisioner", "updates to provisioner are forbidden."));
    }
    if (Str(sc, "reclaimPolicy") != Str(old, "reclaimPolicy")) {
      errs.push_back(v::Forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
    }
    if (jsonx::Child(sc, "volumeBindingMode") != jsonx::Child(old, "volumeBindingMode")) {
      errs.push_back(v::Invalid("volumeBindingMode", v::GoValue(jsonx::Child(sc, "volumeBindingMode")), "field is immutable"));
    }
  }
};

class CsiDriverStrategy final : public Strategy {
 public:
  CsiDriverStrategy() : Strategy({.kind = "CSIDriver", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the CSI driver."),
        print::Column("AttachRequired", "Whether volumes must be attached before they are mounted.", 0, "boolean"),
        print::Column("PodInfoOnMount", "Whether the driver is told about the pod on mount.", 0, "boolean"),
        print::Column("StorageCapacity", "Whether the scheduler considers the driver's reported capacity.", 0, "boolean"),
        print::Column("TokenRequests", "Audiences of the service account tokens handed to the driver."),
        print::Column("RequiresRepublish", "Whether volumes are periodically re-published.", 0, "boolean"),
        print::Column("Modes", "Volume lifecycle modes the driver supports."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& d, SystemTime now) const override {
    const json& spec = jsonx::Child(d, "spec");
    std::string tokens = "<unset>";
    const json& reqs = jsonx::Child(spec, "tokenRequests");
    if (reqs.is_array()) {
      std::vector<std::string> audiences;
      for (const auto& r : reqs) audiences.push_back(Str(r, "audience"));
      tokens = print::Join(audiences, ",");
    }
    std::vector<std::string> modes;
    const json& m = jsonx::Child(spec, "volumeLifecycleModes");
    if (m.is_array()) {
      for (const auto& x : m) modes.push_back(x.is_string() ? x.get<std::string>() : "");
    }
    return json::array({Str(d, "metadata.name"), jsonx::Bool(spec, "attachRequired", true),
                        jsonx::Bool(spec, "podInfoOnMount"), jsonx::Bool(spec, "storageCapacity"), tokens,
                        jsonx::Bool(spec, "requiresRepublish"), print::OrNone(print::Join(modes, ",")),
                        print::Age(d, now)});
  }

 protected:
  void Default(json& d) const override {
    json* spec = jsonx::Object(d, "spec");
    if (spec == nullptr) return;
    jsonx::Default(*spec, "attachRequired", true);
    jsonx::Default(*spec, "podInfoOnMount", false);
    jsonx::Default(*spec, "storageCapacity", false);
    jsonx::Default(*spec, "fsGroupPolicy", "ReadWriteOnceWithFSType");
    jsonx::Default(*spec, "requiresRepublish", false);
    jsonx::Default(*spec, "seLinuxMount", false);
    if (jsonx::Size(*spec, "volumeLifecycleModes") == 0) (*spec)["volumeLifecycleModes"] = json::array({"Persistent"});
  }

  void ValidateSpec(const json& d, std::vector<FieldCause>& errs) const override {
    // ValidateCSIDriverName: a DNS subdomain of at most 63 characters.
    const std::string name = Str(d, "metadata.name");
    if (name.size() > kMaxCsiDriverNameLength) {
      errs.push_back(v::TooLong("metadata.name", static_cast<std::int64_t>(kMaxCsiDriverNameLength)));
    }
    const json& spec = jsonx::Child(d, "spec");
    for (const char* key : {"attachRequired", "podInfoOnMount", "storageCapacity", "requiresRepublish"}) {
      if (!jsonx::Child(spec, key).is_boolean()) errs.push_back(v::Required(std::string("spec.") + key));
    }
    const json& policy = jsonx::Child(spec, "fsGroupPolicy");
    if (!policy.is_null() && policy != "File" && policy != "None" && policy != "ReadWriteOnceWithFSType") {
      errs.push_back(v::NotSupported("spec.fsGroupPolicy", v::GoValue(policy), {"File", "None", "ReadWriteOnceWithFSType"}));
    }
    const json& modes = jsonx::Child(spec, "volumeLifecycleModes");
    if (modes.is_array()) {
      for (std::size_t i = 0; i < modes.size(); ++i) {
        if (modes[i] != "Persistent" && modes[i] != "Ephemeral") {
          errs.push_back(v::NotSupported("spec.volumeLifecycleModes", v::GoValue(modes[i]), {"Ephemeral", "Persistent"}));
        }
      }
    }
    const json& reqs = jsonx::Child(spec, "tokenRequests");
    if (reqs.is_array()) {
      std::vector<std::string> seen;
      for (std::size_t i = 0; i < reqs.size(); ++i) {
        const std::string p = "spec.tokenRequests[" + std::to_string(i) + "]";
        const std::string audience = Str(reqs[i], "audience");
        if (std::find(seen.begin(), seen.end(), audience) != seen.end()) {
          errs.push_back(v::Duplicate(p + ".audience", v::GoQuote(audience)));
        }
        seen.push_back(audience);
        const json& exp = jsonx::Child(reqs[i], "expirationSeconds");
        if (exp.is_number_integer() && exp.get<std::int64_t>() < 600) {
          errs.push_back(v::Invalid(p + ".expirationSeconds", exp.dump(),
                                    "may not specify a duration less than 10 minutes"));
        }
      }
    }
  }

  void ValidateSpecUpdate(const json& d, const json& old, std::vector<FieldCause>& errs) const override {
    for (const char* key : {"attachRequired", "fsGroupPolicy", "volumeLifecycleModes"}) {
      const json& now = jsonx::At(d, std::string("spec.") + key);
      if (now != jsonx::At(old, std::string("spec.") + key)) {
        errs.push_back(v::Invalid(std::string("spec.") + key, now.is_array() ? now.dump() : v::GoValue(now),
                                  "field is immutable"));
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeStorageClassStrategy() { return std::make_shared<StorageClassStrategy>(); }
std::shared_ptr<const Strategy> MakeCsiDriverStrategy() { return std::make_shared<CsiDriverStrategy>(); }

}  // namespace vkube::resource
