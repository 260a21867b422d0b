#pragma once
// Cell formatting shared by the kinds' Table printers, following the conventions of
// kube-apiserver's pkg/printers/internalversion/printers.go.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/time.h"
#include "libs/resource/strategy.h"

namespace vkube::resource::print {

using nlohmann::json;

ColumnDefinition NameColumn(std::string description);
ColumnDefinition AgeColumn();
ColumnDefinition Column(std::string name, std::string description, int priority = 0, std::string type = "string");

// translateTimestampSince: "<unknown>" when absent or unparsable, else a human duration.
std::string AgeOf(std::string_view rfc3339, SystemTime now);
std::string Age(const json& obj, SystemTime now);  // from metadata.creationTimestamp
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string OrNone(std::string s);  // "" → "<none>"
// labels.FormatLabels: map[string]string as "k=v,k2=v2" sorted by key, "<none>" when empty.
std::string FormatLabels(const json& map);
// metav1.LabelSelectorAsSelector(sel).String(): "" for null/empty, "<invalid>" on error.
std::string SelectorText(const json& selector);
// layoutContainerCells: container names and images, comma-joined.
std::pair<std::string, std::string> ContainerCells(const json& pod_spec);
// helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each at most once.
std::string AccessModes(const json& modes);

}  // namespace vkube::resource::print
