// core/v1 Namespace: the "kubernetes" finalizer, phase Active, the kubernetes.io/metadata.name
// label, finalizers changeable only through /finalize, printNamespace.
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

constexpr const char* kKubernetesFinalizer = "kubernetes";

class NamespaceStrategy final : public Strategy {
 public:
  NamespaceStrategy()
      : Strategy({.has_status = true, .name_rule = NameRule::kDns1123Label, .kind = "Namespace", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the namespace."),
        print::Column("Status", "Lifecycle phase of the namespace: Active or Terminating."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& ns, SystemTime now) const override {
    return json::array({Str(ns, "metadata.name"), Str(ns, "status.phase"), print::Age(ns, now)});
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"status.phase"}; }

 protected:
  void Default(json& ns) const override {
    jsonx::Object(ns, "spec");
    // Every namespace carries its own name as a label (selectable in namespaceSelectors).
    std::string name = Str(ns, "metadata.name");
    if (name.empty()) return;
    if (json* meta = jsonx::Object(ns, "metadata")) {
      if (json* labels = jsonx::Object(*meta, "labels")) (*labels)["kubernetes.io/metadata.name"] = name;
    }
  }

  void PrepareCreate(json& ns) const override {
    ns["status"] = {{"phase", "Active"}};
    json* spec = jsonx::Object(ns, "spec");
    if (!spec) return;
    json& fin = (*spec)["finalizers"];
    if (!fin.is_array()) fin = json::array();
    if (std::find(fin.begin(), fin.end(), kKubernetesFinalizer) == fin.end()) fin.push_back(kKubernetesFinalizer);
  }

  void PrepareUpdate(json& ns, const json& old) const override {
    // spec.finalizers only change through the /finalize subresource.
    json* spec = jsonx::Object(ns, "spec");
    if (!spec) return;
    const json& before = jsonx::At(old, "spec.finalizers");
    if (before.is_null()) {
      spec->erase("finalizers");
    } else {
      (*spec)["finalizers"] = before;
    }
  }

  void ValidateSpec(const json& ns, std::vector<FieldCause>& errs) const override {
    const json& fin = jsonx::At(ns, "spec.finalizers");
    if (!fin.is_array()) return;
    for (const auto& f : fin) {
      std::string name = f.is_string() ? f.get<std::string>() : "";
      auto msgs = v::IsQualifiedName(name);
      for (auto& m : msgs) errs.push_back(v::Invalid("spec.finalizers", v::GoQuote(name), m));
      if (msgs.empty() && name.find('/') == std::string::npos && name != kKubernetesFinalizer) {
        errs.push_back(v::Invalid("spec.finalizers", v::GoQuote(name),
                                  "name is neither a standard finalizer name nor is it fully qualified"));
      }
    }
  }

  void AddFields(const json& ns, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("status.phase", Str(ns, "status.phase"));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeNamespaceStrategy() { return std::make_shared<NamespaceStrategy>(); }

}  // namespace vkube::resource
