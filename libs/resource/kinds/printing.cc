#include "libs/resource/kinds/printing.h"

#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"

namespace vkube::resource::print {

ColumnDefinition NameColumn(std::string description) { return {"Name", "string", "name", std::move(description), 0}; }
ColumnDefinition AgeColumn() { return {"Age", "string", "", "Time since the object was created.", 0}; }
ColumnDefinition Column(std::string name, std::string description, int priority, std::string type) {
  return {std::move(name), std::move(type), "", std::move(description), priority};
}

std::string AgeOf(std::string_view rfc3339, SystemTime now) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string Age(const json& obj, SystemTime now) { return AgeOf(jsonx::Str(obj, "metadata.creationTimestamp"), now); }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::string OrNone(std::string s) { return s.empty() ? "<none>" : s; }

std::string FormatLabels(const json& map) {
  std::vector<std::string> kv;
  if (map.is_object()) {
    for (auto& [k, v] : map.items()) kv.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : std::string()));
  }
  return OrNone(Join(kv, ","));  // object keys iterate sorted
}

std::string SelectorText(const json& selector) {
  auto sel = LabelSelector::FromJson(selector);
  if (!sel) return "<invalid>";
  return sel->String();
}

std::string FormatLabelSelector(const json& selector) {
  auto sel = LabelSelector::FromJson(selector);
  if (!sel) return "<error>";
  return OrNone(sel->String());
}

std::string CreatedAt(const json& obj) {
  auto t = ParseRfc3339(jsonx::Str(obj, "metadata.creationTimestamp"));
  return t ? FormatRfc3339(*t) : "0001-01-01T00:00:00Z";
}

std::string IntOrStringText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return "0";
}

std::string BoolPtr(const json& v) {
  if (!v.is_boolean()) return "<unset>";
  return v.get<bool>() ? "True" : "False";
}

std::string ListWithMore(const std::vector<std::string>& list, bool more, std::size_t count, std::size_t max) {
  std::string out = Join(list, ",");
  if (more) return out + " + " + std::to_string(count - max) + " more...";
  return out.empty() ? "<unset>" : out;
}

std::pair<std::string, std::string> ContainerCells(const json& pod_spec) {
  std::vector<std::string> names, images;
  const json& cs = jsonx::Child(pod_spec, "containers");
  if (cs.is_array()) {
    for (const auto& c : cs) {
      names.push_back(jsonx::Str(c, "name"));
      images.push_back(jsonx::Str(c, "image"));
    }
  }
  return {Join(names, ","), Join(images, ",")};
}

std::string AccessModes(const json& modes) {
  std::vector<std::string> have;
  if (modes.is_array()) {
    for (const auto& m : modes) {
      if (m.is_string()) have.push_back(m.get<std::string>());
    }
  }
  std::vector<std::string> out;
  static constexpr std::pair<std::string_view, std::string_view> kOrder[] = {
      {"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"}, {"ReadWriteOncePod", "RWOP"}};
  for (const auto& [mode, abbrev] : kOrder) {
    if (std::find(have.begin(), have.end(), mode) != have.end()) out.emplace_back(abbrev);
  }
  return Join(out, ",");
}

}  // namespace vkube::resource::print
