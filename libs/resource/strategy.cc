#include "libs/resource/strategy.h"

#include <algorithm>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
namespace v = validation;

const std::vector<ColumnDefinition>& DefaultColumns() {
  static const std::vector<ColumnDefinition> kCols = {
      {"Name", "string", "name", "Name of the object, unique within its namespace.", 0},
      {"Age", "string", "", "Time since the object was created.", 0}};
  return kCols;
}

std::vector<std::string> CheckName(NameRule rule, std::string_view name) {
  switch (rule) {
    case NameRule::kDns1123Label: return v::IsDns1123Label(name);
    case NameRule::kDns1035Label: return v::IsDns1035Label(name);
    case NameRule::kPathSegment: return v::IsValidPathSegmentName(name);
    case NameRule::kDns1123Subdomain: break;
  }
  return v::IsDns1123Subdomain(name);
}

std::string GoStrings(const std::vector<std::string>& items) {
  if (items.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + v::GoQuote(items[i]);
  return out + "}";
}

std::vector<std::string> Strings(const json& arr) {
  std::vector<std::string> out;
  if (!arr.is_array()) return out;
  for (const auto& s : arr) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

// apimachinery's ValidateObjectMetaAccessor, in its order.
void ValidateObjectMeta(const json& obj, const StrategyTraits& traits, std::vector<FieldCause>& errs) {
  const json& meta = jsonx::At(obj, "metadata");
  if (!meta.is_null() && !meta.is_object()) {
    errs.push_back(v::Invalid("metadata", v::GoValue(meta), "must be an object"));
    return;
  }
  std::string generate = jsonx::Str(meta, "generateName");
  if (!generate.empty()) {
    for (auto& m : CheckName(traits.name_rule, v::MaskTrailingDash(generate))) {
      errs.push_back(v::Invalid("metadata.generateName", v::GoQuote(generate), m));
    }
  }
  const json& name_value = jsonx::Child(meta, "name");
  std::string name = jsonx::Str(meta, "name");
  if (!name_value.is_null() && !name_value.is_string()) {
    errs.push_back(v::Invalid("metadata.name", v::GoValue(name_value), "must be a string"));
  } else if (name.empty()) {
    errs.push_back(v::Required("metadata.name", "name or generateName is required"));
  } else {
    for (auto& m : CheckName(traits.name_rule, name)) errs.push_back(v::Invalid("metadata.name", v::GoQuote(name), m));
  }
  std::string ns = jsonx::Str(meta, "namespace");
  if (traits.namespaced) {
    if (ns.empty()) {
      errs.push_back(v::Required("metadata.namespace"));
    } else {
      for (auto& m : v::IsDns1123Label(ns)) errs.push_back(v::Invalid("metadata.namespace", v::GoQuote(ns), m));
    }
  } else if (!ns.empty()) {
    errs.push_back(v::Forbidden("metadata.namespace", "not allowed on this type"));
  }
  v::ValidateNonnegative(meta, "generation", "metadata.generation", errs);
  v::ValidateLabels(jsonx::Child(meta, "labels"), "metadata.labels", errs);
  v::ValidateAnnotations(jsonx::Child(meta, "annotations"), "metadata.annotations", errs);

  const json& owners = jsonx::Child(meta, "ownerReferences");
  if (owners.is_array()) {
    std::vector<std::string> controllers;
    for (const auto& ref : owners) {
      std::string api_version = jsonx::Str(ref, "apiVersion");
      std::string version = api_version.substr(api_version.find('/') == std::string::npos ? 0 : api_version.find('/') + 1);
      if (version.empty()) {
        errs.push_back(v::Invalid("metadata.ownerReferences.apiVersion", v::GoQuote(api_version),
                                  "version must not be empty"));
      }
      for (const char* key : {"kind", "name", "uid"}) {
        if (jsonx::Str(ref, key).empty()) {
          errs.push_back(v::Invalid(std::string("metadata.ownerReferences.") + key, v::GoQuote(jsonx::Str(ref, key)),
                                    std::string(key) + " must not be empty"));
        }
      }
      if (jsonx::Bool(ref, "controller")) controllers.push_back(jsonx::Str(ref, "kind") + "/" + jsonx::Str(ref, "name"));
    }
    if (controllers.size() > 1) {
      std::string names;
      for (std::size_t i = 0; i < controllers.size(); ++i) names += (i ? " and " : "") + controllers[i];
      errs.push_back(v::Invalid("metadata.ownerReferences", owners.dump(),
                                "Only one reference can have Controller set to true. Found \"true\" in references for " +
                                    names));
    }
  }
  auto finalizers = Strings(jsonx::Child(meta, "finalizers"));
  bool orphan = false, foreground = false;
  for (const auto& f : finalizers) {
    for (auto& m : v::IsQualifiedName(f)) errs.push_back(v::Invalid("metadata.finalizers", v::GoQuote(f), m));
    orphan |= f == "orphan";
    foreground |= f == "foregroundDeletion";
  }
  if (orphan && foreground) {
    errs.push_back(v::Invalid("metadata.finalizers", GoStrings(finalizers),
                              "finalizer orphan and foregroundDeletion cannot be both set"));
  }
}

void ValidateObjectMetaUpdate(const json& obj, const json& old, std::vector<FieldCause>& errs) {
  for (const char* key : {"name", "namespace"}) {
    std::string now = jsonx::Str(obj, std::string("metadata.") + key);
    if (now != jsonx::Str(old, std::string("metadata.") + key)) {
      errs.push_back(v::Invalid(std::string("metadata.") + key, v::GoQuote(now), "field is immutable"));
    }
  }
  if (jsonx::Has(jsonx::At(old, "metadata"), "deletionTimestamp")) {
    auto before = Strings(jsonx::At(old, "metadata.finalizers"));
    std::vector<std::string> added;
    for (const auto& f : Strings(jsonx::At(obj, "metadata.finalizers"))) {
      if (std::find(before.begin(), before.end(), f) == before.end()) added.push_back(f);
    }
    if (!added.empty()) {
      errs.push_back(v::Forbidden("metadata.finalizers",
                                  "no new finalizers can be added if the object is being deleted, found new finalizers " +
                                      GoStrings(added)));
    }
  }
}

}  // namespace

void Strategy::PrepareForCreate(json& obj) const {
  if (!obj.is_object()) return;
  if (traits_.has_status && traits_.reset_status_on_create) obj.erase("status");
  Default(obj);
  PrepareCreate(obj);
  if (traits_.tracks_generation) {
    if (json* meta = jsonx::Object(obj, "metadata")) (*meta)["generation"] = 1;
  }
}

bool Strategy::GenerationChanged(const json& obj, const json& old) const {
  return jsonx::Child(obj, "spec") != jsonx::Child(old, "spec");
}

void Strategy::PrepareForUpdate(json& obj, const json& old) const {
  if (!obj.is_object()) return;
  if (traits_.has_status) {
    if (jsonx::Has(old, "status")) {
      obj["status"] = old["status"];
    } else {
      obj.erase("status");
    }
  }
  Default(obj);
  PrepareUpdate(obj, old);
  if (traits_.tracks_generation) {
    std::int64_t gen = jsonx::Int(old, "metadata.generation", 0);
    if (json* meta = jsonx::Object(obj, "metadata")) (*meta)["generation"] = GenerationChanged(obj, old) ? gen + 1 : gen;
  }
}

void Strategy::PrepareForStatusUpdate(json& obj, const json& old) const {
  // Everything but .status comes from the stored object (kube resets spec and metadata alike);
  // the client's resourceVersion stays for the precondition check.
  json status = jsonx::Child(obj, "status");
  json rv = jsonx::At(obj, "metadata.resourceVersion");
  obj = old.is_object() ? old : json::object();
  if (status.is_null()) {
    obj.erase("status");
  } else {
    obj["status"] = std::move(status);
  }
  if (!rv.is_null()) {
    if (json* meta = jsonx::Object(obj, "metadata")) (*meta)["resourceVersion"] = std::move(rv);
  }
  Default(obj);
}

std::vector<FieldCause> Strategy::ValidateCommon(const json& obj) const {
  std::vector<FieldCause> errs;
  if (!obj.is_object()) {
    errs.push_back(v::Invalid("<root>", v::GoValue(obj), "must be an object"));
    return errs;
  }
  ValidateObjectMeta(obj, traits_, errs);
  ValidateSpec(obj, errs);
  return errs;
}

std::vector<FieldCause> Strategy::Validate(const json& obj) const {
  auto errs = ValidateCommon(obj);
  if (obj.is_object()) ValidateCreate(obj, errs);
  return errs;
}

std::vector<FieldCause> Strategy::ValidateUpdate(const json& obj, const json& old) const {
  std::vector<FieldCause> errs;
  if (!obj.is_object()) return ValidateCommon(obj);
  ValidateObjectMetaUpdate(obj, old, errs);
  auto full = ValidateCommon(obj);
  errs.insert(errs.end(), std::make_move_iterator(full.begin()), std::make_move_iterator(full.end()));
  ValidateSpecUpdate(obj, old, errs);
  return errs;
}

const std::vector<ColumnDefinition>& Strategy::Columns() const { return DefaultColumns(); }

json Strategy::Cells(const json& obj, SystemTime now) const {
  std::string age = "<unknown>";
  if (auto t = ParseRfc3339(jsonx::Str(obj, "metadata.creationTimestamp"))) {
    age = HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  }
  return json::array({jsonx::Str(obj, "metadata.name"), age});
}

store::Attrs Strategy::GetAttrs(const json& obj) const {
  store::Attrs a;
  const json& labels = jsonx::At(obj, "metadata.labels");
  if (labels.is_object()) {
    for (auto& [k, val] : labels.items()) {
      if (val.is_string()) a.labels.emplace_back(k, val.get<std::string>());
    }
  }
  std::sort(a.labels.begin(), a.labels.end());
  a.fields.emplace_back("metadata.name", jsonx::Str(obj, "metadata.name"));
  a.fields.emplace_back("metadata.namespace", jsonx::Str(obj, "metadata.namespace"));
  AddFields(obj, a.fields);
  std::sort(a.fields.begin(), a.fields.end());
  return a;
}

}  // namespace vkube::resource
