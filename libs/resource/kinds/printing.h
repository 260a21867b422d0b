#pragma once
// Cell formatting shared by the kinds' Table printers (kube-apiserver's printers conventions).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/time.h"
#include "libs/resource/strategy.h"

namespace vkube::resource::print {

using nlohmann::json;

// Value at a dotted path ("status.phase"), or nullptr json.
const json& At(const json& obj, std::string_view dotted);
std::string Str(const json& obj, std::string_view dotted, std::string_view fallback = "");
std::int64_t Int(const json& obj, std::string_view dotted, std::int64_t fallback = 0);
std::string Age(const json& obj, SystemTime now);  // from metadata.creationTimestamp
std::string AgeOf(std::string_view rfc3339, SystemTime now);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string OrNone(std::string s);  // "" → "<none>"
// metav1.LabelSelector as text ("app=web,tier in (a,b)"), "<none>" when empty.
std::string LabelSelectorText(const json& selector);
// map[string]string as "k=v,k2=v2" sorted, "<none>" when empty.
std::string MapText(const json& map);
std::string ContainerNames(const json& pod_spec);
std::string ContainerImages(const json& pod_spec);
std::string AccessModes(const json& modes);  // ["ReadWriteOnce"] → "RWO"

// Column definitions shared by the kinds' printers.
ColumnDefinition NameCol();
ColumnDefinition AgeCol();
ColumnDefinition Col(std::string name, std::string desc, int priority = 0, std::string type = "string");

}  // namespace vkube::resource::print
