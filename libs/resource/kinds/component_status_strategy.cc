// core/v1 ComponentStatus (read-only, cluster-scoped): printComponentStatus, from the Healthy
// condition.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;

class ComponentStatusStrategy final : public Strategy {
 public:
  ComponentStatusStrategy() : Strategy({.kind = "ComponentStatus", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the control-plane component."),
        print::Column("Status", "Healthy, Unhealthy or Unknown."),
        print::Column("Message", "What the component's health check reported."),
        print::Column("Error", "Error of the component's health check, if any.")};
    return kCols;
  }

  json Cells(const json& cs, SystemTime) const override {
    std::string status = "Unknown", message, error;
    const json& conds = jsonx::Child(cs, "conditions");
    if (conds.is_array()) {
      for (const auto& c : conds) {
        if (Str(c, "type") != "Healthy") continue;
        status = Str(c, "status") == "True" ? "Healthy" : "Unhealthy";
        message = Str(c, "message");
        error = Str(c, "error");
        break;
      }
    }
    return json::array({Str(cs, "metadata.name"), status, message, error});
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeComponentStatusStrategy() { return std::make_shared<ComponentStatusStrategy>(); }

}  // namespace vkube::resource
