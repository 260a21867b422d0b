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
// metav1.FormatLabelSelector: like SelectorText, but "<none>" when it selects everything or nothing.
std::string FormatLabelSelector(const json& selector);
// metadata.creationTimestamp as time.RFC3339 in UTC, the "Created At" cell (Go's zero time when absent).
std::string CreatedAt(const json& obj);
// intstr.IntOrString.String(): the number or the string as written.
std::string IntOrStringText(const json& v);
// printBoolPtr: "True" / "False", "<unset>" when absent.
std::string BoolPtr(const json& v);
// listWithMoreString: up to `max` items joined by ",", then " + N more..."; "<unset>" when empty.
std::string ListWithMore(const std::vector<std::string>& list, bool more, std::size_t count, std::size_t max);
// layoutContainerCells: container names and images, comma-joined.
std::pair<std::string, std::string> ContainerCells(const json& pod_spec);
// helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each at most once.
std::string AccessModes(const json& modes);

}  // namespace vkube::resource::print
