// core/v1 ReplicationController: SetDefaults_ReplicationController (selector and labels from the
// template, one replica), ValidateReplicationControllerSpec (a map selector that must match the
// template, restartPolicy Always), status and generation, printReplicationController.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

class ReplicationControllerStrategy final : public Strategy {
 public:
  ReplicationControllerStrategy()
      : Strategy({.has_status = true, .tracks_generation = true, .kind = "ReplicationController"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the replication controller, unique within its namespace."),
        print::Column("Desired", "Replicas the controller should run.", 0, "integer"),
        print::Column("Current", "Replicas the controller runs.", 0, "integer"),
        print::Column("Ready", "Replicas that are ready.", 0, "integer"),
        print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1),
        print::Column("Selector", "Labels the controller's pods carry.", 1)};
    return kCols;
  }

  json Cells(const json& rc, SystemTime now) const override {
    auto [names, images] = print::ContainerCells(jsonx::At(rc, "spec.template.spec"));
    return json::array({Str(rc, "metadata.name"), Int(rc, "spec.replicas"), Int(rc, "status.replicas"),
                        Int(rc, "status.readyReplicas"), print::Age(rc, now), names, images,
                        print::FormatLabels(jsonx::At(rc, "spec.selector"))});
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"status.replicas"}; }

 protected:
  void Default(json& rc) const override {
    json* spec = jsonx::Object(rc, "spec");
    if (spec == nullptr) return;
    const json& tpl_labels = jsonx::At(*spec, "template.metadata.labels");
    if (tpl_labels.is_object()) {
      if (jsonx::Size(*spec, "selector") == 0) (*spec)["selector"] = tpl_labels;
      if (json* meta = jsonx::Object(rc, "metadata"); meta != nullptr && jsonx::Size(*meta, "labels") == 0) {
        (*meta)["labels"] = tpl_labels;
      }
    }
    jsonx::Default(*spec, "replicas", 1);
    if (jsonx::Has(*spec, "template")) {
      if (json* tpl = jsonx::Object(*spec, "template")) DefaultPodTemplateSpec(*tpl);
    }
  }

  void PrepareCreate(json& rc) const override { rc["status"] = {{"replicas", 0}}; }

  void ValidateSpec(const json& rc, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(rc, "spec");
    v::ValidateNonnegative(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    const json& selector = jsonx::Child(spec, "selector");
    if (jsonx::Size(spec, "selector") == 0) errs.push_back(v::Required("spec.selector"));
    v::ValidateLabels(selector, "spec.selector", errs);
    v::ValidateNonnegative(spec, "replicas", "spec.replicas", errs);
    const json& tpl = jsonx::Child(spec, "template");
    if (!tpl.is_object()) {
      errs.push_back(v::Required("spec.template"));
      return;
    }
    const json& labels = jsonx::At(tpl, "metadata.labels");
    if (selector.is_object() && !selector.empty()) {
      bool matches = labels.is_object();
      for (auto& [k, val] : selector.items()) matches = matches && jsonx::Child(labels, k) == val;
      if (!matches) {
        errs.push_back(v::Invalid("spec.template.metadata.labels", v::GoStringMap(labels),
                                  "selector does not match labels in spec.template"));
      }
    }
    ValidatePodTemplateSpec(tpl, "spec.template", errs);
    const json& rp = jsonx::At(tpl, "spec.restartPolicy");
    if (rp != "Always") errs.push_back(v::NotSupported("spec.template.spec.restartPolicy", v::GoValue(rp), {"Always"}));
    if (jsonx::Has(jsonx::Child(tpl, "spec"), "activeDeadlineSeconds")) {
      errs.push_back(v::Forbidden("spec.template.spec.activeDeadlineSeconds",
                                  "activeDeadlineSeconds in ReplicationController is not Supported"));
    }
  }

  void AddFields(const json& rc, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("status.replicas", std::to_string(Int(rc, "status.replicas")));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeReplicationControllerStrategy() {
  return std::make_shared<ReplicationControllerStrategy>();
}

}  // namespace vkube::resource
