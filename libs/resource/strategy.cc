#include "libs/resource/strategy.h"

#include <algorithm>

#include "libs/resource/meta.h"

namespace vkube::resource {
namespace {

const std::vector<ColumnDefinition>& DefaultColumns() {
  static const std::vector<ColumnDefinition> kCols = {
      {"Name", "string", "name", "Name of the object, unique within its namespace.", 0},
      {"Age", "string", "", "Time since the object was created.", 0}};
  return kCols;
}

bool ValidLabelValue(std::string_view v) {
  if (v.size() > 63) return false;
  if (v.empty()) return true;
  auto an = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!an(v.front()) || !an(v.back())) return false;
  return std::all_of(v.begin(), v.end(), [&](char c) { return an(c) || c == '-' || c == '_' || c == '.'; });
}

bool ValidQualifiedName(std::string_view k) {
  auto slash = k.find('/');
  std::string_view name = slash == std::string_view::npos ? k : k.substr(slash + 1);
  if (slash != std::string_view::npos && !ValidateDns1123Subdomain(k.substr(0, slash)).empty()) return false;
  return !name.empty() && ValidLabelValue(name);
}

}  // namespace

void Strategy::PrepareForCreate(nlohmann::json& obj) const {
  if (traits_.has_status) obj.erase("status");
  if (traits_.tracks_generation) obj["metadata"]["generation"] = 1;
  Default(obj);
}

void Strategy::PrepareForUpdate(nlohmann::json& obj, const nlohmann::json& old) const {
  if (traits_.has_status) {
    if (old.contains("status")) {
      obj["status"] = old["status"];
    } else {
      obj.erase("status");
    }
  }
  Default(obj);
  if (traits_.tracks_generation) {
    auto spec_of = [](const nlohmann::json& o) {
      nlohmann::json c = o;
      c.erase("metadata");
      c.erase("status");
      return c;
    };
    std::int64_t gen = old["metadata"].value("generation", std::int64_t{1});
    obj["metadata"]["generation"] = spec_of(obj) == spec_of(old) ? gen : gen + 1;
  }
}

void Strategy::PrepareForStatusUpdate(nlohmann::json& obj, const nlohmann::json& old) const {
  nlohmann::json status = obj.contains("status") ? obj["status"] : nlohmann::json();
  nlohmann::json meta = obj["metadata"];
  obj = old;
  if (status.is_null()) {
    obj.erase("status");
  } else {
    obj["status"] = std::move(status);
  }
  // Only labels/annotations-free metadata pieces follow the status write: resourceVersion for the
  // precondition. Everything else stays as stored.
  if (meta.contains("resourceVersion")) obj["metadata"]["resourceVersion"] = meta["resourceVersion"];
}

std::vector<FieldCause> Strategy::Validate(const nlohmann::json& obj) const {
  std::vector<FieldCause> errs;
  std::string name(GetString(obj, {"metadata", "name"}));
  auto name_errs = traits_.name_is_dns_label ? ValidateDns1123Label(name) : ValidateDns1123Subdomain(name);
  if (name.empty()) {
    errs.push_back({"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"});
  } else {
    for (auto& m : name_errs) {
      errs.push_back({"FieldValueInvalid", "Invalid value: \"" + name + "\": " + m, "metadata.name"});
    }
  }
  const auto& meta = obj["metadata"];
  if (meta.contains("labels")) {
    if (!meta["labels"].is_object()) {
      errs.push_back({"FieldValueInvalid", "Invalid value: must be a map of strings", "metadata.labels"});
    } else {
      for (auto& [k, v] : meta["labels"].items()) {
        if (!ValidQualifiedName(k)) {
          errs.push_back({"FieldValueInvalid",
                          "Invalid value: \"" + k +
                              "\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                              "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
                              "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                          "metadata.labels"});
        } else if (!v.is_string() || !ValidLabelValue(v.get_ref<const std::string&>())) {
          errs.push_back({"FieldValueInvalid",
                          "Invalid value: \"" + (v.is_string() ? v.get<std::string>() : v.dump()) +
                              "\": a valid label must be an empty string or consist of alphanumeric characters, '-', "
                              "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                              "'my_value',  or '12345', regex used for validation is "
                              "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                          "metadata.labels"});
        }
      }
    }
  }
  if (meta.contains("annotations")) {
    if (!meta["annotations"].is_object()) {
      errs.push_back({"FieldValueInvalid", "Invalid value: must be a map of strings", "metadata.annotations"});
    } else {
      std::size_t total = 0;
      for (auto& [k, v] : meta["annotations"].items()) {
        if (!ValidQualifiedName(k)) {
          errs.push_back({"FieldValueInvalid", "Invalid value: \"" + k + "\": name part must consist of alphanumeric "
                                               "characters, '-', '_' or '.'", "metadata.annotations"});
        }
        if (!v.is_string()) {
          errs.push_back({"FieldValueInvalid", "Invalid value: annotation values must be strings", "metadata.annotations"});
        } else {
          total += k.size() + v.get_ref<const std::string&>().size();
        }
      }
      if (total > 256 * 1024) {
        errs.push_back({"FieldValueTooLong", "Too long: must have at most 262144 bytes", "metadata.annotations"});
      }
    }
  }
  ValidateSpec(obj, errs);
  return errs;
}

std::vector<FieldCause> Strategy::ValidateUpdate(const nlohmann::json& obj, const nlohmann::json& old) const {
  return Validate(obj);
}

const std::vector<ColumnDefinition>& Strategy::Columns() const { return DefaultColumns(); }

nlohmann::json Strategy::Cells(const nlohmann::json& obj, SystemTime now) const {
  std::string age = "<unknown>";
  if (auto t = ParseRfc3339(GetString(obj, {"metadata", "creationTimestamp"}))) {
    age = HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  }
  return nlohmann::json::array({GetString(obj, {"metadata", "name"}), age});
}

store::Attrs Strategy::GetAttrs(const nlohmann::json& obj) const {
  store::Attrs a;
  if (obj.contains("metadata")) {
    const auto& meta = obj["metadata"];
    if (meta.contains("labels") && meta["labels"].is_object()) {
      for (auto& [k, v] : meta["labels"].items()) {
        if (v.is_string()) a.labels.emplace_back(k, v.get<std::string>());
      }
    }
  }
  std::sort(a.labels.begin(), a.labels.end());
  a.fields.emplace_back("metadata.name", GetString(obj, {"metadata", "name"}));
  a.fields.emplace_back("metadata.namespace", GetString(obj, {"metadata", "namespace"}));
  AddFields(obj, a.fields);
  std::sort(a.fields.begin(), a.fields.end());
  return a;
}

}  // namespace vkube::resource
