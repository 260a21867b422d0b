#include "libs/resource/kinds/printing.h"

#include <algorithm>

namespace vkube::resource::print {

const json& At(const json& obj, std::string_view dotted) {
  static const json kNull;
  const json* cur = &obj;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    auto dot = dotted.find('.', start);
    auto key = dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!cur->is_object()) return kNull;
    auto it = cur->find(key);
    if (it == cur->end()) return kNull;
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return *cur;
}

std::string Str(const json& obj, std::string_view dotted, std::string_view fallback) {
  const json& v = At(obj, dotted);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::string(fallback);
}

std::int64_t Int(const json& obj, std::string_view dotted, std::int64_t fallback) {
  const json& v = At(obj, dotted);
  return v.is_number_integer() ? v.get<std::int64_t>() : fallback;
}

std::string AgeOf(std::string_view rfc3339, SystemTime now) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string Age(const json& obj, SystemTime now) { return AgeOf(Str(obj, "metadata.creationTimestamp"), now); }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::string OrNone(std::string s) { return s.empty() ? "<none>" : s; }

std::string MapText(const json& map) {
  if (!map.is_object() || map.empty()) return "<none>";
  std::vector<std::string> kv;
  for (auto& [k, v] : map.items()) kv.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  std::sort(kv.begin(), kv.end());
  return Join(kv, ",");
}

std::string LabelSelectorText(const json& sel) {
  if (!sel.is_object()) return "<none>";
  std::vector<std::string> parts;
  if (sel.contains("matchLabels") && sel["matchLabels"].is_object()) {
    for (auto& [k, v] : sel["matchLabels"].items()) parts.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : ""));
  }
  if (sel.contains("matchExpressions") && sel["matchExpressions"].is_array()) {
    for (const auto& e : sel["matchExpressions"]) {
      std::string key = Str(e, "key"), op = Str(e, "operator");
      std::vector<std::string> vals;
      if (e.contains("values") && e["values"].is_array()) {
        for (const auto& v : e["values"]) {
          if (v.is_string()) vals.push_back(v.get<std::string>());
        }
      }
      std::sort(vals.begin(), vals.end());
      if (op == "In") parts.push_back(key + " in (" + Join(vals, ",") + ")");
      else if (op == "NotIn") parts.push_back(key + " notin (" + Join(vals, ",") + ")");
      else if (op == "Exists") parts.push_back(key);
      else if (op == "DoesNotExist") parts.push_back("!" + key);
    }
  }
  std::sort(parts.begin(), parts.end());
  return parts.empty() ? "<none>" : Join(parts, ",");
}

static std::string ContainerField(const json& spec, std::string_view field) {
  std::vector<std::string> out;
  const json& cs = At(spec, "containers");
  if (cs.is_array()) {
    for (const auto& c : cs) out.push_back(Str(c, field));
  }
  return Join(out, ",");
}

std::string ContainerNames(const json& pod_spec) { return ContainerField(pod_spec, "name"); }
std::string ContainerImages(const json& pod_spec) { return ContainerField(pod_spec, "image"); }

std::string AccessModes(const json& modes) {
  if (!modes.is_array()) return "";
  std::vector<std::string> out;
  for (const auto& m : modes) {
    std::string s = m.is_string() ? m.get<std::string>() : "";
    if (s == "ReadWriteOnce") out.emplace_back("RWO");
    else if (s == "ReadOnlyMany") out.emplace_back("ROX");
    else if (s == "ReadWriteMany") out.emplace_back("RWX");
    else if (s == "ReadWriteOncePod") out.emplace_back("RWOP");
  }
  return Join(out, ",");
}

ColumnDefinition NameCol() { return {"Name", "string", "name", "Name of the object.", 0}; }
ColumnDefinition AgeCol() { return {"Age", "string", "", "Time since creation.", 0}; }
ColumnDefinition Col(std::string name, std::string desc, int priority, std::string type) {
  return {std::move(name), std::move(type), "", std::move(desc), priority};
}

}  // namespace vkube::resource::print
