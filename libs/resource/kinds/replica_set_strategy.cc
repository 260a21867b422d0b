// apps/v1 ReplicaSet: replicas 1 by default, ValidateReplicaSetSpec, printReplicaSet,
// status.replicas field selector.
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

class ReplicaSetStrategy final : public WorkloadStrategy {
 public:
  ReplicaSetStrategy()
      : WorkloadStrategy({.kind = "ReplicaSet",
                          .empty_selector_noun = "deployment",  // sic: kube's ReplicaSet message says deployment
                          .initial_status = {{"replicas", 0}}}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the replica set, unique within its namespace."),
        print::Column("Desired", "Replicas the replica set should run.", 0, "integer"),
        print::Column("Current", "Replicas the replica set runs.", 0, "integer"),
        print::Column("Ready", "Replicas that are ready.", 0, "integer"),
        print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1),
        print::Column("Selector", "Label selector of the replica set's pods.", 1)};
    return kCols;
  }

  json Cells(const json& rs, SystemTime now) const override {
    json cells = json::array({Str(rs, "metadata.name"), Int(rs, "spec.replicas"), Int(rs, "status.replicas"),
                              Int(rs, "status.readyReplicas"), print::Age(rs, now)});
    for (auto& c : ContainerAndSelectorCells(rs, true)) cells.push_back(std::move(c));
    return cells;
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"status.replicas"}; }

 protected:
  void DefaultSpec(json& spec) const override { jsonx::Default(spec, "replicas", 1); }

  void ValidateWorkloadSpec(const json& spec, std::vector<FieldCause>& errs) const override {
    ValidateTemplateRestart(spec, "activeDeadlineSeconds in ReplicaSet is not Supported", true, errs);
    v::ValidateNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
  }

  void AddFields(const json& rs, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("status.replicas", std::to_string(Int(rs, "status.replicas")));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeReplicaSetStrategy() { return std::make_shared<ReplicaSetStrategy>(); }

}  // namespace vkube::resource
