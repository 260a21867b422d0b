#pragma once
// Total (never-throwing) access to objects as the client sent them: any field may be missing,
// null or of the wrong type, and defaulting/validation/printing must neither crash nor throw.
// JSON null counts as absent, as it does for kube's decoder.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vkube::resource::jsonx {

using nlohmann::json;

// Value at a dotted path ("status.phase"), or a null json.
const json& At(const json& obj, std::string_view dotted);
// Direct child by key (keys may contain dots: annotation names), or a null json.
const json& Child(const json& obj, std::string_view key);
// String at path ("" or fallback when absent or not a string).
std::string Str(const json& obj, std::string_view dotted, std::string_view fallback = "");
// Integer at path (fallback when absent or not an integer).
std::int64_t Int(const json& obj, std::string_view dotted, std::int64_t fallback = 0);
bool Bool(const json& obj, std::string_view dotted, bool fallback = false);
// Number of entries of an array/object at path (0 otherwise).
std::size_t Size(const json& obj, std::string_view dotted);
bool Has(const json& obj, std::string_view key);  // present and not null

// Child object `key` of `parent`, created (as {}) when absent or null; nullptr when `parent` is
// not an object or the child exists with another type.
json* Object(json& parent, std::string_view key);
// Existing child array, or nullptr.
json* Array(json& parent, std::string_view key);
// parent[key] = value when parent is an object and key is absent or null.
void Default(json& parent, std::string_view key, json value);

}  // namespace vkube::resource::jsonx
