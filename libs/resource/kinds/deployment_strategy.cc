// apps/v1 Deployment: SetDefaults_Deployment, ValidateDeploymentSpec, printDeployment; annotation
// changes bump the generation too (they are copied to the replica sets).
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

class DeploymentStrategy final : public WorkloadStrategy {
 public:
  DeploymentStrategy()
      : WorkloadStrategy({.kind = "Deployment", .empty_selector_noun = "deployment", .initial_status = json::object()}) {}

  // kube's deployment status strategy keeps the caller's annotations: the controller records
  // `deployment.kubernetes.io/revision` with its status write, without bumping generation.
  void PrepareForStatusUpdate(json& d, const json& old) const override {
    json annotations = jsonx::At(d, "metadata.annotations");
    Strategy::PrepareForStatusUpdate(d, old);
    json* meta = jsonx::Object(d, "metadata");
    if (meta == nullptr) return;
    if (annotations.is_null()) {
      meta->erase("annotations");
    } else {
      (*meta)["annotations"] = std::move(annotations);
    }
  }

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the deployment, unique within its namespace."),
        print::Column("Ready", "Ready replicas out of desired replicas."),
        print::Column("Up-to-date", "Replicas running the latest pod template."),
        print::Column("Available", "Replicas available to serve (ready for minReadySeconds)."),
        print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1),
        print::Column("Selector", "Label selector of the deployment's pods.", 1)};
    return kCols;
  }

  json Cells(const json& d, SystemTime now) const override {
    json cells = json::array({Str(d, "metadata.name"),
                              std::to_string(Int(d, "status.readyReplicas")) + "/" + std::to_string(Int(d, "spec.replicas")),
                              Int(d, "status.updatedReplicas"), Int(d, "status.availableReplicas"), print::Age(d, now)});
    for (auto& c : ContainerAndSelectorCells(d, true)) cells.push_back(std::move(c));
    return cells;
  }

 protected:
  void DefaultSpec(json& spec) const override {
    jsonx::Default(spec, "replicas", 1);
    json* strategy = jsonx::Object(spec, "strategy");
    if (strategy) {
      jsonx::Default(*strategy, "type", "RollingUpdate");
      if (Str(*strategy, "type") == "RollingUpdate") {
        if (json* ru = jsonx::Object(*strategy, "rollingUpdate")) {
          jsonx::Default(*ru, "maxUnavailable", "25%");
          jsonx::Default(*ru, "maxSurge", "25%");
        }
      }
    }
    jsonx::Default(spec, "revisionHistoryLimit", 10);
    jsonx::Default(spec, "progressDeadlineSeconds", 600);
  }

  bool GenerationChanged(const json& d, const json& old) const override {
    return jsonx::Child(d, "spec") != jsonx::Child(old, "spec") ||
           jsonx::At(d, "metadata.annotations") != jsonx::At(old, "metadata.annotations");
  }

  void ValidateWorkloadSpec(const json& spec, std::vector<FieldCause>& errs) const override {
    ValidateTemplateRestart(spec, "activeDeadlineSeconds in ReplicaSet is not Supported", true, errs);
    const json& strategy = jsonx::Child(spec, "strategy");
    std::string type = Str(strategy, "type");
    if (type == "Recreate") {
      if (jsonx::Has(strategy, "rollingUpdate")) {
        errs.push_back(v::Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
      }
    } else if (type == "RollingUpdate") {
      const json& ru = jsonx::Child(strategy, "rollingUpdate");
      if (!ru.is_object()) {
        errs.push_back(v::Required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"));
      } else {
        const json& mu = jsonx::Child(ru, "maxUnavailable");
        const json& ms = jsonx::Child(ru, "maxSurge");
        ValidateIntOrPercent(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs);
        ValidateIntOrPercent(ms, "spec.strategy.rollingUpdate.maxSurge", errs);
        auto value = [](const json& x) {
          if (x.is_number_integer()) return x.get<std::int64_t>();
          if (x.is_string()) return static_cast<std::int64_t>(std::atoll(x.get<std::string>().c_str()));
          return std::int64_t{0};
        };
        if (value(mu) == 0 && value(ms) == 0) {
          errs.push_back(v::Invalid("spec.strategy.rollingUpdate.maxUnavailable", v::GoIntOrString(mu),
                                    "may not be 0 when `maxSurge` is 0"));
        }
        if (mu.is_string() && value(mu) > 100) {
          errs.push_back(v::Invalid("spec.strategy.rollingUpdate.maxUnavailable", v::GoIntOrString(mu),
                                    "must not be greater than 100%"));
        }
      }
    } else {
      errs.push_back(v::NotSupported("spec.strategy", v::GoValue(jsonx::Child(strategy, "type")),
                                     {"Recreate", "RollingUpdate"}));
    }
    v::ValidateNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    v::ValidateNonnegative(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", errs);
    if (jsonx::Has(spec, "progressDeadlineSeconds")) {
      v::ValidateNonnegative(spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds", errs);
      if (Int(spec, "progressDeadlineSeconds") <= Int(spec, "minReadySeconds")) {
        errs.push_back(v::Invalid("spec.progressDeadlineSeconds", std::to_string(Int(spec, "progressDeadlineSeconds")),
                                  "must be greater than minReadySeconds"));
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeDeploymentStrategy() { return std::make_shared<DeploymentStrategy>(); }

}  // namespace vkube::resource
