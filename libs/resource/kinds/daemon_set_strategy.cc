// apps/v1 DaemonSet: SetDefaults_DaemonSet, ValidateDaemonSetSpec, printDaemonSet.
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

class DaemonSetStrategy final : public WorkloadStrategy {
 public:
  DaemonSetStrategy()
      : WorkloadStrategy({.kind = "DaemonSet",
                          .empty_selector_noun = "daemonset",
                          .selector_required = false,
                          .initial_status = {{"currentNumberScheduled", 0},
                                             {"numberMisscheduled", 0},
                                             {"desiredNumberScheduled", 0},
                                             {"numberReady", 0}}}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the daemon set, unique within its namespace."),
        print::Column("Desired", "Nodes that should run the daemon pod.", 0, "integer"),
        print::Column("Current", "Nodes running at least one daemon pod.", 0, "integer"),
        print::Column("Ready", "Nodes whose daemon pod is ready.", 0, "integer"),
        print::Column("Up-to-date", "Nodes running the latest pod template.", 0, "integer"),
        print::Column("Available", "Nodes whose daemon pod is available.", 0, "integer"),
        print::Column("Node Selector", "Node selector of the pod template."),
        print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1),
        print::Column("Selector", "Label selector of the daemon set's pods.", 1)};
    return kCols;
  }

  json Cells(const json& ds, SystemTime now) const override {
    json cells = json::array({Str(ds, "metadata.name"), Int(ds, "status.desiredNumberScheduled"),
                              Int(ds, "status.currentNumberScheduled"), Int(ds, "status.numberReady"),
                              Int(ds, "status.updatedNumberScheduled"), Int(ds, "status.numberAvailable"),
                              print::FormatLabels(jsonx::At(ds, "spec.template.spec.nodeSelector")),
                              print::Age(ds, now)});
    for (auto& c : ContainerAndSelectorCells(ds, true)) cells.push_back(std::move(c));
    return cells;
  }

 protected:
  void DefaultSpec(json& spec) const override {
    if (json* us = jsonx::Object(spec, "updateStrategy")) {
      jsonx::Default(*us, "type", "RollingUpdate");
      if (Str(*us, "type") == "RollingUpdate") {
        if (json* ru = jsonx::Object(*us, "rollingUpdate")) {
          jsonx::Default(*ru, "maxUnavailable", 1);
          jsonx::Default(*ru, "maxSurge", 0);
        }
      }
    }
    jsonx::Default(spec, "revisionHistoryLimit", 10);
  }

  void ValidateWorkloadSpec(const json& spec, std::vector<FieldCause>& errs) const override {
    ValidateTemplateRestart(spec, "activeDeadlineSeconds must be nil for daemons", false, errs);
    v::ValidateNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    const json& us = jsonx::Child(spec, "updateStrategy");
    std::string type = Str(us, "type");
    if (type == "RollingUpdate") {
      const json& ru = jsonx::Child(us, "rollingUpdate");
      if (!ru.is_object()) {
        errs.push_back(v::Required("spec.updateStrategy.rollingUpdate"));
      } else {
        ValidateIntOrPercent(jsonx::Child(ru, "maxUnavailable"), "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
        ValidateIntOrPercent(jsonx::Child(ru, "maxSurge"), "spec.updateStrategy.rollingUpdate.maxSurge", errs);
      }
    } else if (type != "OnDelete") {
      errs.push_back(v::NotSupported("spec.updateStrategy", v::GoValue(jsonx::Child(us, "type")),
                                     {"RollingUpdate", "OnDelete"}));
    }
    v::ValidateNonnegative(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", errs);
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeDaemonSetStrategy() { return std::make_shared<DaemonSetStrategy>(); }

}  // namespace vkube::resource
