// apiextensions.k8s.io/v1 CustomResourceDefinition: kube's SetDefaults_CustomResourceDefinition,
// ValidateCustomResourceDefinition (names, group, scope, versions, schemas, subresources, printer
// columns, conversion) and the strategy's status.storedVersions bookkeeping. Names acceptance and
// the Established condition are the CRD controller's (controllers/apiextensions).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

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

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The name of the version marked storage, "" when none or several.
std::string StorageVersion(const json& crd) {
  std::string out;
  int n = 0;
  const json& versions = jsonx::At(crd, "spec.versions");
  if (!versions.is_array()) return "";
  for (const auto& ver : versions) {
    if (jsonx::Bool(ver, "storage")) {
      out = Str(ver, "name");
      ++n;
    }
  }
  return n == 1 ? out : "";
}

void ValidateNames(const json& names, const std::string& path, v::Errors& errs) {
  const std::string plural = Str(names, "plural");
  const std::string singular = Str(names, "singular");
  const std::string kind = Str(names, "kind");
  const std::string list_kind = Str(names, "listKind");
  if (plural.empty()) {
    errs.push_back(v::Required(path + ".plural"));
  } else {
    for (auto& m : v::IsDns1035Label(plural)) errs.push_back(v::Invalid(path + ".plural", v::GoQuote(plural), m));
  }
  for (auto& m : v::IsDns1035Label(singular)) errs.push_back(v::Invalid(path + ".singular", v::GoQuote(singular), m));
  if (kind.empty()) {
    errs.push_back(v::Required(path + ".kind"));
  } else if (!std::isalpha(static_cast<unsigned char>(kind[0]))) {
    errs.push_back(v::Invalid(path + ".kind", v::GoQuote(kind), "must start with a letter"));
  }
  if (!kind.empty() && kind == list_kind) {
    errs.push_back(v::Invalid(path + ".listKind", v::GoQuote(list_kind), "kind and listKind may not be the same"));
  }
  if (list_kind.empty()) errs.push_back(v::Required(path + ".listKind"));
  const json& shorts = jsonx::At(names, "shortNames");
  if (shorts.is_array()) {
    for (std::size_t i = 0; i < shorts.size(); ++i) {
      const std::string s = shorts[i].is_string() ? shorts[i].get<std::string>() : "";
      for (auto& m : v::IsDns1035Label(s)) {
        errs.push_back(v::Invalid(path + ".shortNames[" + std::to_string(i) + "]", v::GoQuote(s), m));
      }
    }
  }
  const json& cats = jsonx::At(names, "categories");
  if (cats.is_array()) {
    for (std::size_t i = 0; i < cats.size(); ++i) {
      const std::string c = cats[i].is_string() ? cats[i].get<std::string>() : "";
      for (auto& m : v::IsDns1035Label(c)) {
        errs.push_back(v::Invalid(path + ".categories[" + std::to_string(i) + "]", v::GoQuote(c), m));
      }
    }
  }
}

// kube's ValidateCustomResourceColumnDefinition.
void ValidatePrinterColumns(const json& cols, const std::string& path, v::Errors& errs) {
  if (!cols.is_array()) return;
  static const std::vector<std::string> kTypes = {"integer", "number", "string", "boolean", "date"};
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const json& c = cols[i];
    if (Str(c, "name").empty()) errs.push_back(v::Required(p + ".name"));
    const std::string type = Str(c, "type");
    if (type.empty()) {
      errs.push_back(v::Required(p + ".type"));
    } else if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      errs.push_back(v::NotSupported(p + ".type", v::GoQuote(type), kTypes));
    }
    const std::string path_expr = Str(c, "jsonPath");
    if (path_expr.empty()) {
      errs.push_back(v::Required(p + ".jsonPath"));
    } else if (path_expr[0] != '.' || !JsonPath::Parse(path_expr)) {
      errs.push_back(v::Invalid(p + ".jsonPath", v::GoQuote(path_expr), "must be a simple json path starting with ."));
    }
  }
}

// kube's ValidateCustomResourceDefinitionSubresources (scale paths).
void ValidateSubresources(const json& sub, const std::string& path, v::Errors& errs) {
  if (!sub.is_object()) return;
  const json& scale = jsonx::Child(sub, "scale");
  if (scale.is_null()) return;
  const std::string spec = Str(scale, "specReplicasPath");
  const std::string status = Str(scale, "statusReplicasPath");
  if (spec.empty()) {
    errs.push_back(v::Required(path + ".scale.specReplicasPath"));
  } else if (spec.rfind(".spec.", 0) != 0) {
    errs.push_back(v::Invalid(path + ".scale.specReplicasPath", v::GoQuote(spec), "should be a json path under .spec"));
  }
  if (status.empty()) {
    errs.push_back(v::Required(path + ".scale.statusReplicasPath"));
  } else if (status.rfind(".status.", 0) != 0) {
    errs.push_back(
        v::Invalid(path + ".scale.statusReplicasPath", v::GoQuote(status), "should be a json path under .status"));
  }
  const std::string selector = Str(scale, "labelSelectorPath");
  if (!selector.empty() && selector.rfind(".spec.", 0) != 0 && selector.rfind(".status.", 0) != 0) {
    errs.push_back(v::Invalid(path + ".scale.labelSelectorPath", v::GoQuote(selector),
                              "should be a json path under either .spec or .status"));
  }
}

class CustomResourceDefinitionStrategy final : public Strategy {
 public:
  CustomResourceDefinitionStrategy()
      : Strategy({.has_status = true,
                  .tracks_generation = true,
                  .kind = "CustomResourceDefinition",
                  .namespaced = false,
                  .deletion_finalizer = kCustomResourceCleanupFinalizer}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the custom resource definition."),
        print::Column("Created At", "When the definition was created (RFC 3339, UTC).", 0, "date")};
    return kCols;
  }

  json Cells(const json& crd, SystemTime) const override {
    return json::array({Str(crd, "metadata.name"), print::CreatedAt(crd)});
  }

 protected:
  void Default(json& crd) const override {
    if (!crd.is_object()) return;
    json& spec = crd["spec"];
    if (!spec.is_object()) return;
    json& names = spec["names"];
    if (names.is_object()) {
      const std::string kind = Str(names, "kind");
      if (Str(names, "singular").empty() && !kind.empty()) names["singular"] = Lower(kind);
      if (Str(names, "listKind").empty() && !kind.empty()) names["listKind"] = kind + "List";
    }
    if (!spec.contains("conversion") || !spec["conversion"].is_object()) spec["conversion"] = {{"strategy", "None"}};
    if (spec["conversion"].value("strategy", "") == "Webhook") {
      json& svc = spec["conversion"]["webhook"]["clientConfig"]["service"];
      if (svc.is_object() && !svc.contains("port")) svc["port"] = 443;
    }
  }

  void PrepareCreate(json& crd) const override {
    crd["status"] = {{"conditions", json::array()}, {"acceptedNames", {{"plural", ""}, {"kind", ""}}}};
    if (const std::string sv = StorageVersion(crd); !sv.empty()) crd["status"]["storedVersions"] = json::array({sv});
  }

  void PrepareUpdate(json& crd, const json& /*old*/) const override {
    const std::string sv = StorageVersion(crd);
    if (sv.empty() || !crd.contains("status") || !crd["status"].is_object()) return;
    json& stored = crd["status"]["storedVersions"];
    if (!stored.is_array()) stored = json::array();
    if (std::find(stored.begin(), stored.end(), json(sv)) == stored.end()) stored.push_back(sv);
  }

  void ValidateSpec(const json& crd, v::Errors& errs) const override {
    const json& spec = jsonx::At(crd, "spec");
    const std::string group = Str(spec, "group");
    const std::string plural = jsonx::Str(spec, "names.plural");
    const std::string name = Str(crd, "metadata.name");
    if (name != plural + "." + group) {
      errs.push_back(v::Invalid("metadata.name", v::GoQuote(name), "must be spec.names.plural+\".\"+spec.group"));
    }
    if (group.empty()) {
      errs.push_back(v::Required("spec.group"));
    } else {
      for (auto& m : v::IsDns1123Subdomain(group)) errs.push_back(v::Invalid("spec.group", v::GoQuote(group), m));
      if (group.find('.') == std::string::npos) {
        errs.push_back(v::Invalid("spec.group", v::GoQuote(group), "should be a domain with at least one dot"));
      }
    }
    const std::string scope = Str(spec, "scope");
    if (scope.empty()) {
      errs.push_back(v::Required("spec.scope"));
    } else if (scope != "Cluster" && scope != "Namespaced") {
      errs.push_back(v::NotSupported("spec.scope", v::GoQuote(scope), {"Cluster", "Namespaced"}));
    }
    ValidateNames(jsonx::At(spec, "names"), "spec.names", errs);
    ValidateVersions(spec, errs);
    const std::string conversion = jsonx::Str(spec, "conversion.strategy");
    if (conversion != "None" && conversion != "Webhook") {
      errs.push_back(v::NotSupported("spec.conversion.strategy", v::GoQuote(conversion), {"None", "Webhook"}));
    } else if (conversion == "Webhook" && jsonx::At(spec, "conversion.webhook.clientConfig").is_null()) {
      errs.push_back(v::Required("spec.conversion.webhook", "required when strategy is set to Webhook"));
    }
    ValidateStoredVersions(crd, errs);
    if (jsonx::Bool(spec, "preserveUnknownFields")) {
      errs.push_back(
          v::Invalid("spec.preserveUnknownFields", "true", "must be false in order to use defaults in the schema"));
    }
  }

  void ValidateSpecUpdate(const json& crd, const json& old, v::Errors& errs) const override {
    if (Str(crd, "spec.scope") != Str(old, "spec.scope") && !Str(old, "spec.scope").empty()) {
      errs.push_back(v::Invalid("spec.scope", v::GoQuote(jsonx::Str(crd, "spec.scope")), "field is immutable"));
    }
    if (jsonx::Str(crd, "spec.group") != jsonx::Str(old, "spec.group")) {
      errs.push_back(v::Invalid("spec.group", v::GoQuote(jsonx::Str(crd, "spec.group")), "field is immutable"));
    }
  }

 private:
  // kube's ValidateCustomResourceDefinitionStoredVersions: at least one, the storage version among
  // them, and each one still listed in spec.versions.
  static void ValidateStoredVersions(const json& crd, v::Errors& errs) {
    const json& stored = jsonx::At(crd, "status.storedVersions");
    if (!stored.is_array() || stored.empty()) {
      errs.push_back(v::Invalid("status.storedVersions", stored.is_array() ? "[]string{}" : "[]string(nil)",
                                "must have at least one stored version"));
      return;
    }
    std::map<std::string, std::size_t> left;
    for (std::size_t i = 0; i < stored.size(); ++i) left[stored[i].is_string() ? stored[i].get<std::string>() : ""] = i;
    for (const auto& ver : jsonx::At(crd, "spec.versions")) {
      const std::string name = Str(ver, "name");
      const bool listed = left.erase(name) > 0;
      if (jsonx::Bool(ver, "storage") && !listed) {
        errs.push_back(v::Invalid("status.storedVersions", "{\"name\":" + v::GoQuote(name) + "}",
                                  "must have the storage version " + name));
      }
    }
    for (const auto& [name, i] : left) {
      errs.push_back(v::Invalid("status.storedVersions[" + std::to_string(i) + "]", v::GoQuote(name),
                                "must appear in spec.versions"));
    }
  }

  static void ValidateVersions(const json& spec, v::Errors& errs) {
    const json& versions = jsonx::At(spec, "versions");
    if (!versions.is_array() || versions.empty()) {
      errs.push_back(v::Invalid("spec.versions", "[]", "must have exactly one version marked as storage version"));
      return;
    }
    int storage = 0;
    bool served = false;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < versions.size(); ++i) {
      const json& ver = versions[i];
      const std::string p = "spec.versions[" + std::to_string(i) + "]";
      const std::string name = Str(ver, "name");
      if (name.empty()) {
        errs.push_back(v::Required(p + ".name"));
      } else {
        for (auto& m : v::IsDns1035Label(name)) errs.push_back(v::Invalid(p + ".name", v::GoQuote(name), m));
        if (!seen.insert(name).second)
          errs.push_back(v::Invalid("spec.versions", v::GoQuote(name), "must contain unique version names"));
      }
      if (jsonx::Bool(ver, "storage")) ++storage;
      if (jsonx::Bool(ver, "served")) served = true;
      const json& schema = jsonx::At(ver, "schema.openAPIV3Schema");
      if (schema.is_null()) {
        errs.push_back(v::Required(p + ".schema.openAPIV3Schema", "schemas are required"));
      } else {
        for (auto& c : StructuralSchema::Check(schema, p + ".schema.openAPIV3Schema")) errs.push_back(std::move(c));
      }
      ValidateSubresources(jsonx::At(ver, "subresources"), p + ".subresources", errs);
      ValidatePrinterColumns(jsonx::At(ver, "additionalPrinterColumns"), p + ".additionalPrinterColumns", errs);
    }
    if (storage != 1) {
      errs.push_back(v::Invalid("spec.versions", "[...]", "must have exactly one version marked as storage version"));
    }
    if (!served)
      errs.push_back(v::Invalid("spec.versions", "[...]", "must have at least one version marked as served"));
  }
};

}  // namespace

std::string CustomResourceStorageVersion(const nlohmann::json& crd) { return StorageVersion(crd); }

std::shared_ptr<const Strategy> MakeCustomResourceDefinitionStrategy() {
  return std::make_shared<CustomResourceDefinitionStrategy>();
}

}  // namespace vkube::resource
