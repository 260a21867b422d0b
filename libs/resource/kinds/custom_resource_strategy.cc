// Custom resources: the strategy of one served version of a CRD, as kube's customresource
// registry behaves (k8s.io/apiextensions-apiserver/pkg/registry/customresource): every write is
// stored at the storage version with pruned unknown fields and schema defaults, validated against
// the structural schema; generation tracks everything but metadata (and status when it is a
// subresource); the Table comes from additionalPrinterColumns.
#include <algorithm>
#include <cmath>

#include "libs/resource/custom_resource_kinds.h"
#include "libs/resource/field_set.h"
#include "libs/resource/json_access.h"
#include "libs/resource/json_path.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/structural_schema.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using jsonx::Str;
using nlohmann::json;
namespace v = validation;

struct PrinterColumn {
  ColumnDefinition def;
  std::optional<JsonPath> path;
};

class CustomResourceStrategy final : public Strategy {
 public:
  CustomResourceStrategy(StrategyTraits traits, std::string storage_api_version,
                         std::shared_ptr<const StructuralSchema> schema, std::vector<PrinterColumn> columns)
      : Strategy(std::move(traits)),
        storage_api_version_(std::move(storage_api_version)),
        schema_(std::move(schema)),
        columns_(std::move(columns)) {
    defs_.push_back(
        print::NameColumn("Name must be unique within a namespace. Is required when creating resources, "
                          "although some resources may allow a client to request the generation of an "
                          "appropriate name automatically. Name is primarily intended for creation "
                          "idempotence and configuration definition. Cannot be updated. More info: "
                          "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"));
    for (const auto& c : columns_) defs_.push_back(c.def);
  }

  const std::vector<ColumnDefinition>& Columns() const override { return defs_; }

  json Cells(const json& obj, SystemTime now) const override {
    json cells = json::array({Str(obj, "metadata.name")});
    for (const auto& c : columns_) {
      const json* value = nullptr;
      if (c.path) {
        auto found = c.path->Find(obj);
        if (!found.empty()) value = found.front();
      }
      cells.push_back(value == nullptr ? json() : Cell(c.def.type, *value, now));
    }
    return cells;
  }

 protected:
  void Default(json& obj) const override {
    if (!obj.is_object()) return;
    obj["apiVersion"] = storage_api_version_;  // conversion "None": only apiVersion differs
    schema_->Prune(obj);
    schema_->Default(obj);
  }

  void ValidateSpec(const json& obj, std::vector<FieldCause>& errs) const override { schema_->Validate(obj, errs); }

  // kube bumps a custom resource's generation on any change outside metadata (and outside status
  // when status is a subresource).
  bool GenerationChanged(const json& obj, const json& old) const override {
    auto strip = [this](const json& o) {
      json c = o.is_object() ? o : json::object();
      c.erase("metadata");
      c.erase("apiVersion");
      if (traits().has_status) c.erase("status");
      return c;
    };
    return strip(obj) != strip(old);
  }

 private:
  // kube's tableconvertor cellForJSONValue (and jsonpath printing for string columns).
  static json Cell(const std::string& type, const json& value, SystemTime now) {
    if (value.is_null()) return json();
    if (type == "integer") {
      if (value.is_number_integer()) return value;
      if (value.is_number_float()) return static_cast<std::int64_t>(value.get<double>());
      return json();
    }
    if (type == "number") return value.is_number() ? json(value.get<double>()) : json();
    if (type == "boolean") return value.is_boolean() ? value : json();
    if (type == "date") {
      if (!value.is_string()) return json();
      const std::string age = print::AgeOf(value.get<std::string>(), now);
      return age == "<unknown>" ? json("<invalid>") : json(age);
    }
    return value.is_string() ? value : json(value.dump());
  }

  std::string storage_api_version_;
  std::shared_ptr<const StructuralSchema> schema_;
  std::vector<PrinterColumn> columns_;
  std::vector<ColumnDefinition> defs_;
};

// The version's columns, kube's default (Age) when it declares none.
std::vector<PrinterColumn> ColumnsOf(const json& version) {
  std::vector<PrinterColumn> out;
  const json& cols = jsonx::At(version, "additionalPrinterColumns");
  if (!cols.is_array() || cols.empty()) {
    PrinterColumn age{print::AgeColumn(), std::nullopt};
    if (auto p = JsonPath::Parse(".metadata.creationTimestamp")) age.path = std::move(*p);
    age.def.type = "date";
    out.push_back(std::move(age));
    return out;
  }
  for (const auto& c : cols) {
    PrinterColumn pc;
    pc.def.name = Str(c, "name");
    pc.def.type = Str(c, "type", "string");
    pc.def.format = Str(c, "format");
    pc.def.description = Str(c, "description");
    if (pc.def.description.empty()) {
      pc.def.description = "Custom resource definition column (in JSONPath format): " + Str(c, "jsonPath");
    }
    pc.def.priority = static_cast<int>(jsonx::Int(c, "priority", 0));
    if (auto p = JsonPath::Parse(Str(c, "jsonPath"))) pc.path = std::move(*p);
    out.push_back(std::move(pc));
  }
  return out;
}

}  // namespace

bool IsCrdEstablished(const json& crd) {
  const json& conds = jsonx::At(crd, "status.conditions");
  if (!conds.is_array()) return false;
  return std::any_of(conds.begin(), conds.end(),
                     [](const json& c) { return Str(c, "type") == "Established" && Str(c, "status") == "True"; });
}

std::vector<Kind> CustomResourceKinds(const json& crd) {
  std::vector<Kind> out;
  if (!IsCrdEstablished(crd)) return out;
  const json& spec = jsonx::At(crd, "spec");
  // Served under the accepted names (the controller's verdict), as kube does.
  const json& names = jsonx::At(crd, "status.acceptedNames");
  const std::string group = Str(spec, "group");
  const std::string plural = Str(names, "plural");
  const std::string kind = Str(names, "kind");
  const std::string storage = CustomResourceStorageVersion(crd);
  if (group.empty() || plural.empty() || kind.empty() || storage.empty()) return out;
  const bool namespaced = Str(spec, "scope") == "Namespaced";
  const bool terminating = jsonx::Has(jsonx::At(crd, "metadata"), "deletionTimestamp");
  auto strings = [](const json& arr) {
    std::vector<std::string> v;
    if (!arr.is_array()) return v;
    for (const auto& s : arr) {
      if (s.is_string()) v.push_back(s.get<std::string>());
    }
    return v;
  };
  const json& versions = jsonx::At(spec, "versions");
  if (!versions.is_array()) return out;
  for (const auto& ver : versions) {
    if (!jsonx::Bool(ver, "served")) continue;
    const std::string version = Str(ver, "name");
    const json& subresources = jsonx::At(ver, "subresources");
    const json& schema = jsonx::At(ver, "schema.openAPIV3Schema");
    Kind k;
    k.info.group = group;
    k.info.version = version;
    k.info.resource = plural;
    k.info.kind = kind;
    k.info.singular = Str(names, "singular");
    k.info.namespaced = namespaced;
    k.info.short_names = strings(jsonx::Child(names, "shortNames"));
    k.info.categories = strings(jsonx::Child(names, "categories"));
    // kube's crdHandler order, as discovery shows it
    k.info.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    k.info.has_status = jsonx::Child(subresources, "status").is_object();
    if (const json& scale = jsonx::Child(subresources, "scale"); scale.is_object()) {
      k.info.scale =
          ScalePaths{Str(scale, "specReplicasPath"), Str(scale, "statusReplicasPath"), Str(scale, "labelSelectorPath")};
    }
    k.info.storage_version = storage;
    k.info.terminating = terminating;
    StrategyTraits traits{
        .has_status = k.info.has_status, .tracks_generation = true, .kind = kind, .namespaced = namespaced};
    k.strategy = std::make_shared<CustomResourceStrategy>(std::move(traits), group + "/" + storage,
                                                          StructuralSchema::Compile(schema), ColumnsOf(ver));
    k.field_schema = CustomResourceFieldSchema(schema);
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace vkube::resource
