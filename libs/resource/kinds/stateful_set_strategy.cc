// apps/v1 StatefulSet: SetDefaults_StatefulSet (incl. volumeClaimTemplates as claims),
// ValidateStatefulSetSpec, the spec fields an update may touch, printStatefulSet.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/kinds/workload_strategy.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::string_view kStatefulSetUpdateForbidden =
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

class StatefulSetStrategy final : public WorkloadStrategy {
 public:
  StatefulSetStrategy()
      : WorkloadStrategy({.kind = "StatefulSet",
                          .empty_selector_noun = "statefulset",
                          .selector_immutable_check = false,
                          .initial_status = {{"replicas", 0}, {"availableReplicas", 0}}}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the stateful set, unique within its namespace."),
        print::Column("Ready", "Ready replicas out of desired replicas."), print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1)};
    return kCols;
  }

  json Cells(const json& sts, SystemTime now) const override {
    json cells = json::array({Str(sts, "metadata.name"),
                              std::to_string(Int(sts, "status.readyReplicas")) + "/" +
                                  std::to_string(Int(sts, "spec.replicas")),
                              print::Age(sts, now)});
    for (auto& c : ContainerAndSelectorCells(sts, false)) cells.push_back(std::move(c));
    return cells;
  }

 protected:
  void DefaultSpec(json& spec) const override {
    jsonx::Default(spec, "podManagementPolicy", "OrderedReady");
    if (json* us = jsonx::Object(spec, "updateStrategy")) {
      if (Str(*us, "type").empty()) {
        (*us)["type"] = "RollingUpdate";
        jsonx::Object(*us, "rollingUpdate");
      }
      if (Str(*us, "type") == "RollingUpdate" && jsonx::Has(*us, "rollingUpdate")) {
        if (json* ru = jsonx::Object(*us, "rollingUpdate")) jsonx::Default(*ru, "partition", 0);
      }
    }
    if (json* policy = jsonx::Object(spec, "persistentVolumeClaimRetentionPolicy")) {
      jsonx::Default(*policy, "whenDeleted", "Retain");
      jsonx::Default(*policy, "whenScaled", "Retain");
    }
    jsonx::Default(spec, "replicas", 1);
    jsonx::Default(spec, "revisionHistoryLimit", 10);
    if (json* claims = jsonx::Array(spec, "volumeClaimTemplates")) {
      for (auto& c : *claims) {
        if (!c.is_object()) continue;
        jsonx::Default(c, "apiVersion", "v1");
        jsonx::Default(c, "kind", "PersistentVolumeClaim");
        if (json* cs = jsonx::Object(c, "spec")) jsonx::Default(*cs, "volumeMode", "Filesystem");
        if (json* st = jsonx::Object(c, "status")) jsonx::Default(*st, "phase", "Pending");
      }
    }
  }

  void ValidateWorkloadSpec(const json& spec, std::vector<FieldCause>& errs) const override {
    const json& pmp = jsonx::Child(spec, "podManagementPolicy");
    if (pmp.is_null() || pmp == "") {
      errs.push_back(v::Required("spec.podManagementPolicy"));
    } else if (pmp != "OrderedReady" && pmp != "Parallel") {
      errs.push_back(v::Invalid("spec.podManagementPolicy", v::GoValue(pmp), "must be 'OrderedReady' or 'Parallel'"));
    }
    std::string type = Str(spec, "updateStrategy.type");
    if (type.empty()) {
      errs.push_back(v::Required("spec.updateStrategy"));
    } else if (type == "OnDelete") {
      if (jsonx::Has(jsonx::Child(spec, "updateStrategy"), "rollingUpdate")) {
        errs.push_back(v::Invalid("spec.updateStrategy.rollingUpdate", jsonx::At(spec, "updateStrategy.rollingUpdate").dump(),
                                  "only allowed for updateStrategy 'RollingUpdate'"));
      }
    } else if (type == "RollingUpdate") {
      v::ValidateNonnegative(jsonx::At(spec, "updateStrategy.rollingUpdate"), "partition",
                             "spec.updateStrategy.rollingUpdate.partition", errs);
    } else {
      errs.push_back(v::Invalid("spec.updateStrategy", jsonx::Child(spec, "updateStrategy").dump(),
                                "must be 'RollingUpdate' or 'OnDelete'"));
    }
    for (const char* when : {"whenDeleted", "whenScaled"}) {
      const json& p = jsonx::At(spec, std::string("persistentVolumeClaimRetentionPolicy.") + when);
      if (!p.is_null() && p != "Retain" && p != "Delete") {
        errs.push_back(v::NotSupported(std::string("spec.persistentVolumeClaimRetentionPolicy.") + when, v::GoValue(p),
                                       {"Retain", "Delete"}));
      }
    }
    v::ValidateNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    v::ValidateNonnegative(jsonx::Child(spec, "ordinals"), "start", "spec.ordinals.start", errs);
    ValidateTemplateRestart(spec, "activeDeadlineSeconds in StatefulSet is not Supported", true, errs);
  }

  void ValidateSpecUpdate(const json& sts, const json& old, std::vector<FieldCause>& errs) const override {
    json a = jsonx::Child(sts, "spec"), b = jsonx::Child(old, "spec");
    for (json* s : {&a, &b}) {
      if (!s->is_object()) continue;
      for (const char* k : {"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                            "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}) {
        s->erase(k);
      }
    }
    if (a != b) errs.push_back(v::Forbidden("spec", kStatefulSetUpdateForbidden));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeStatefulSetStrategy() { return std::make_shared<StatefulSetStrategy>(); }

}  // namespace vkube::resource
