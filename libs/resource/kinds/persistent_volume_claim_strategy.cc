// core/v1 PersistentVolumeClaim: volumeMode Filesystem, phase Pending, claim-spec validation,
// spec immutable but for storage growth of bound claims, printPersistentVolumeClaim.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/kinds/volume_common.h"
#include "libs/resource/quantity.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::At;
using jsonx::Str;
namespace v = validation;

constexpr std::string_view kPvcSpecImmutable =
    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

class PersistentVolumeClaimStrategy final : public Strategy {
 public:
  PersistentVolumeClaimStrategy() : Strategy({.has_status = true, .kind = "PersistentVolumeClaim"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the claim, unique within its namespace."),
        print::Column("Status", "Binding phase of the claim."),
        print::Column("Volume", "Persistent volume bound to the claim."),
        print::Column("Capacity", "Capacity of the bound volume."),
        print::Column("Access Modes", "Access modes of the bound volume."),
        print::Column("StorageClass", "Storage class requested by the claim."),
        print::Column("VolumeAttributesClass", "Volume attributes class requested by the claim."),
        print::AgeColumn(),
        print::Column("VolumeMode", "Whether the volume is a filesystem or a raw block device.", 1)};
    return kCols;
  }

  json Cells(const json& pvc, SystemTime now) const override {
    std::string phase = Str(pvc, "status.phase");
    if (jsonx::Has(jsonx::Child(pvc, "metadata"), "deletionTimestamp")) phase = "Terminating";
    std::string capacity, modes;
    if (!Str(pvc, "spec.volumeName").empty()) {
      modes = print::AccessModes(At(pvc, "status.accessModes"));
      capacity = QuantityText(At(pvc, "status.capacity.storage"));
    }
    return json::array({Str(pvc, "metadata.name"), phase, Str(pvc, "spec.volumeName"), capacity, modes,
                        StorageClassOf(pvc), Str(pvc, "spec.volumeAttributesClassName", "<unset>"),
                        print::Age(pvc, now), Str(pvc, "spec.volumeMode", "<unset>")});
  }

 protected:
  void Default(json& pvc) const override {
    if (json* spec = jsonx::Object(pvc, "spec")) jsonx::Default(*spec, "volumeMode", "Filesystem");
    if (json* status = jsonx::Object(pvc, "status")) jsonx::Default(*status, "phase", "Pending");
  }

  void ValidateSpec(const json& pvc, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(pvc, "spec");
    ValidateAccessModes(jsonx::Child(spec, "accessModes"), "spec.accessModes", /*claim=*/true, errs);
    v::ValidateLabelSelector(jsonx::Child(spec, "selector"), "spec.selector", errs);
    const json& storage = At(spec, "resources.requests.storage");
    if (storage.is_null()) {
      errs.push_back(v::Required("spec.resources[storage]"));
    } else {
      auto q = Quantity::FromJson(storage);
      if (!q) {
        errs.push_back(v::Invalid("spec.resources.requests[storage]", v::GoValue(storage), kQuantityRegexMessage));
      } else if (!(*q > *Quantity::Parse("0"))) {
        errs.push_back(v::Invalid("spec.resources[storage]", v::GoValue(storage), "must be greater than zero"));
      }
    }
    ValidateVolumeMode(spec, errs);
  }

  void ValidateSpecUpdate(const json& pvc, const json& old, std::vector<FieldCause>& errs) const override {
    json now_spec = jsonx::Child(pvc, "spec"), old_spec = jsonx::Child(old, "spec");
    if (!now_spec.is_object() || !old_spec.is_object()) return;
    // Binding fills spec.volumeName once.
    if (Str(old_spec, "volumeName").empty()) {
      now_spec.erase("volumeName");
      old_spec.erase("volumeName");
    }
    if (Str(old, "status.phase") == "Bound") {
      auto now_q = Quantity::FromJson(At(now_spec, "resources.requests.storage"));
      auto old_q = Quantity::FromJson(At(old_spec, "resources.requests.storage"));
      if (now_q && old_q && *now_q < *old_q) {
        errs.push_back(v::Forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
      }
      for (json* s : {&now_spec, &old_spec}) {
        if (json* req = jsonx::Has(*s, "resources") ? jsonx::Object((*s)["resources"], "requests") : nullptr) {
          req->erase("storage");
        }
      }
    }
    if (now_spec != old_spec) errs.push_back(v::Forbidden("spec", kPvcSpecImmutable));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakePersistentVolumeClaimStrategy() {
  return std::make_shared<PersistentVolumeClaimStrategy>();
}

}  // namespace vkube::resource
