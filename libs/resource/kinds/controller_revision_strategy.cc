// apps/v1 ControllerRevision: data required and immutable, revision nonnegative,
// printControllerRevision (the controlling owner as kind.group/name).
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

class ControllerRevisionStrategy final : public Strategy {
 public:
  ControllerRevisionStrategy() : Strategy({.kind = "ControllerRevision"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the revision, unique within its namespace."),
        print::Column("Controller", "The controller that owns the revision, as kind.group/name."),
        print::Column("Revision", "Revision number of the recorded state."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& cr, SystemTime now) const override {
    std::string controller = "<none>";
    const json& owners = jsonx::At(cr, "metadata.ownerReferences");
    if (owners.is_array()) {
      for (const auto& ref : owners) {
        if (!jsonx::Bool(ref, "controller")) continue;
        std::string api_version = Str(ref, "apiVersion");
        auto slash = api_version.find('/');
        std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
        std::string kind = Str(ref, "kind");
        if (kind.empty() && group.empty()) {
          controller = Str(ref, "name");
        } else {
          std::string gk = group.empty() ? kind : kind + "." + group;
          std::transform(gk.begin(), gk.end(), gk.begin(), [](unsigned char c) { return std::tolower(c); });
          controller = gk + "/" + Str(ref, "name");
        }
        break;
      }
    }
    return json::array({Str(cr, "metadata.name"), controller, jsonx::Int(cr, "revision"), print::Age(cr, now)});
  }

 protected:
  void ValidateSpec(const json& cr, std::vector<FieldCause>& errs) const override {
    if (!jsonx::Has(cr, "data")) errs.push_back(v::Required("data", "data is mandatory"));
    v::ValidateNonnegative(cr, "revision", "revision", errs);
  }

  void ValidateSpecUpdate(const json& cr, const json& old, std::vector<FieldCause>& errs) const override {
    if (jsonx::Child(cr, "data") != jsonx::Child(old, "data")) {
      errs.push_back(v::Invalid("data", "runtime.RawExtension{...}", "field is immutable"));
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeControllerRevisionStrategy() {
  return std::make_shared<ControllerRevisionStrategy>();
}

}  // namespace vkube::resource
