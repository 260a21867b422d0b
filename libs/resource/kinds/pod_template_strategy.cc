// core/v1 PodTemplate: the template defaulted and validated like a workload's, generation bumped
// on template changes, printPodTemplate.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;

class PodTemplateStrategy final : public Strategy {
 public:
  PodTemplateStrategy() : Strategy({.tracks_generation = true, .kind = "PodTemplate"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the pod template, unique within its namespace."),
        print::Column("Containers", "Names of the template's containers."),
        print::Column("Images", "Images of the template's containers."),
        print::Column("Pod Labels", "Labels the template gives its pods.")};
    return kCols;
  }

  json Cells(const json& pt, SystemTime) const override {
    auto [names, images] = print::ContainerCells(jsonx::At(pt, "template.spec"));
    return json::array({Str(pt, "metadata.name"), names, images, print::FormatLabels(jsonx::At(pt, "template.metadata.labels"))});
  }

 protected:
  void Default(json& pt) const override {
    if (jsonx::Has(pt, "template")) {
      if (json* tpl = jsonx::Object(pt, "template")) DefaultPodTemplateSpec(*tpl);
    }
  }

  bool GenerationChanged(const json& pt, const json& old) const override {
    return jsonx::Child(pt, "template") != jsonx::Child(old, "template");
  }

  void ValidateSpec(const json& pt, std::vector<FieldCause>& errs) const override {
    ValidatePodTemplateSpec(jsonx::Child(pt, "template"), "template", errs);
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakePodTemplateStrategy() { return std::make_shared<PodTemplateStrategy>(); }

}  // namespace vkube::resource
