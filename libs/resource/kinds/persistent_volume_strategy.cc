// core/v1 PersistentVolume: reclaim policy Retain, volumeMode Filesystem, phase Pending with its
// transition time, one volume source, printPersistentVolume.
#include <chrono>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/kinds/volume_common.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::At;
using jsonx::Str;
namespace v = validation;

// The PersistentVolumeSource members of core/v1.
constexpr const char* kSources[] = {
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs",    "cinder",        "csi",
    "fc",                   "flexVolume", "flocker",  "gcePersistentDisk", "glusterfs", "hostPath",
    "iscsi",                "local",     "nfs",       "photonPersistentDisk", "portworxVolume", "quobyte",
    "rbd",                  "scaleIO",   "storageos", "vsphereVolume"};

class PersistentVolumeStrategy final : public Strategy {
 public:
  PersistentVolumeStrategy()
      : Strategy({.has_status = true, .kind = "PersistentVolume", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the persistent volume."),
        print::Column("Capacity", "Storage capacity of the volume."),
        print::Column("Access Modes", "Ways the volume can be mounted."),
        print::Column("Reclaim Policy", "What happens to the volume when its claim is released."),
        print::Column("Status", "Binding phase of the volume."),
        print::Column("Claim", "Claim bound to the volume, as namespace/name."),
        print::Column("StorageClass", "Storage class of the volume."),
        print::Column("VolumeAttributesClass", "Volume attributes class of the volume."),
        print::Column("Reason", "Why the volume is in its phase, when it failed."),
        print::AgeColumn(),
        print::Column("VolumeMode", "Whether the volume is a filesystem or a raw block device.", 1)};
    return kCols;
  }

  json Cells(const json& pv, SystemTime now) const override {
    std::string claim;
    if (At(pv, "spec.claimRef").is_object()) claim = Str(pv, "spec.claimRef.namespace") + "/" + Str(pv, "spec.claimRef.name");
    std::string phase = Str(pv, "status.phase");
    if (jsonx::Has(jsonx::Child(pv, "metadata"), "deletionTimestamp")) phase = "Terminating";
    return json::array({Str(pv, "metadata.name"), QuantityText(At(pv, "spec.capacity.storage")),
                        print::AccessModes(At(pv, "spec.accessModes")), Str(pv, "spec.persistentVolumeReclaimPolicy"),
                        phase, claim, StorageClassOf(pv), Str(pv, "spec.volumeAttributesClassName", "<unset>"),
                        Str(pv, "status.reason"), print::Age(pv, now), Str(pv, "spec.volumeMode", "<unset>")});
  }

  void PrepareForStatusUpdate(json& pv, const json& old) const override {
    Strategy::PrepareForStatusUpdate(pv, old);
    json* status = jsonx::Object(pv, "status");
    if (!status) return;
    const json& before = jsonx::At(old, "status.lastPhaseTransitionTime");
    const json& now_time = jsonx::Child(*status, "lastPhaseTransitionTime");
    if (Str(old, "status.phase") == Str(*status, "phase")) {
      if (now_time.is_null() && !before.is_null()) (*status)["lastPhaseTransitionTime"] = before;
    } else if (now_time.is_null() || now_time == before) {
      (*status)["lastPhaseTransitionTime"] = FormatRfc3339(std::chrono::system_clock::now());
    }
  }

 protected:
  void Default(json& pv) const override {
    if (json* spec = jsonx::Object(pv, "spec")) {
      jsonx::Default(*spec, "persistentVolumeReclaimPolicy", "Retain");
      jsonx::Default(*spec, "volumeMode", "Filesystem");
      if (jsonx::Has(*spec, "hostPath")) {
        if (json* hp = jsonx::Object(*spec, "hostPath")) jsonx::Default(*hp, "type", "");
      }
    }
    if (json* status = jsonx::Object(pv, "status")) jsonx::Default(*status, "phase", "Pending");
  }

  void PrepareCreate(json& pv) const override {
    std::string created = Str(pv, "metadata.creationTimestamp");
    if (!ParseRfc3339(created)) created = FormatRfc3339(std::chrono::system_clock::now());
    pv["status"] = {{"phase", "Pending"}, {"lastPhaseTransitionTime", created}};
  }

  void ValidateSpec(const json& pv, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(pv, "spec");
    ValidateAccessModes(jsonx::Child(spec, "accessModes"), "spec.accessModes", /*claim=*/false, errs);
    const json& capacity = jsonx::Child(spec, "capacity");
    if (!capacity.is_object() || capacity.empty()) {
      errs.push_back(v::Required("spec.capacity"));
    } else if (!capacity.contains("storage") || capacity.size() > 1) {
      errs.push_back(v::NotSupported("spec.capacity", capacity.dump(), {"storage"}));
    }
    std::size_t sources = 0;
    for (const char* src : kSources) {
      if (!jsonx::Has(spec, src)) continue;
      if (++sources > 1) errs.push_back(v::Forbidden(std::string("spec.") + src, "may not specify more than 1 volume type"));
    }
    if (sources == 0) errs.push_back(v::Required("spec", "must specify a volume type"));
    if (jsonx::Has(spec, "local") && !jsonx::Has(spec, "nodeAffinity")) {
      errs.push_back(v::Required("spec.nodeAffinity", "Local volume requires node affinity"));
    }
    const json& policy = jsonx::Child(spec, "persistentVolumeReclaimPolicy");
    if (!policy.is_null() && policy != "Delete" && policy != "Recycle" && policy != "Retain") {
      errs.push_back(v::NotSupported("spec.persistentVolumeReclaimPolicy", v::GoValue(policy),
                                     {"Delete", "Recycle", "Retain"}));
    }
    ValidateVolumeMode(spec, errs);
  }

  void ValidateSpecUpdate(const json& pv, const json& old, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(pv, "spec");
    const json& old_spec = jsonx::Child(old, "spec");
    for (const char* src : kSources) {
      if (jsonx::Child(spec, src) != jsonx::Child(old_spec, src)) {
        errs.push_back(v::Forbidden("spec.persistentvolumesource",
                                    "spec.persistentvolumesource is forbidden once the volume has been created"));
        break;
      }
    }
    if (jsonx::Child(spec, "volumeMode") != jsonx::Child(old_spec, "volumeMode")) {
      errs.push_back(v::Invalid("spec.volumeMode", v::GoValue(jsonx::Child(spec, "volumeMode")), "field is immutable"));
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakePersistentVolumeStrategy() { return std::make_shared<PersistentVolumeStrategy>(); }

}  // namespace vkube::resource
