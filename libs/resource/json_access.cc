#include "libs/resource/json_access.h"

namespace vkube::resource::jsonx {

const json& At(const json& obj, std::string_view dotted) {
  static const json kNull;
  const json* cur = &obj;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = dotted.find('.', start);
    auto key = dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!cur->is_object()) return kNull;
    auto it = cur->find(key);
    if (it == cur->end()) return kNull;
    cur = &*it;
    if (dot == std::string_view::npos) return *cur;
    start = dot + 1;
  }
}

const json& Child(const json& obj, std::string_view key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Str(const json& obj, std::string_view dotted, std::string_view fallback) {
  const json& v = At(obj, dotted);
  return v.is_string() ? v.get<std::string>() : std::string(fallback);
}

std::int64_t Int(const json& obj, std::string_view dotted, std::int64_t fallback) {
  const json& v = At(obj, dotted);
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? fallback : static_cast<std::int64_t>(u);
  }
  return v.is_number_integer() ? v.get<std::int64_t>() : fallback;
}

bool Bool(const json& obj, std::string_view dotted, bool fallback) {
  const json& v = At(obj, dotted);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

std::size_t Size(const json& obj, std::string_view dotted) {
  const json& v = At(obj, dotted);
  return v.is_array() || v.is_object() ? v.size() : 0;
}

bool Has(const json& obj, std::string_view key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  return it != obj.end() && !it->is_null();
}

json* Object(json& parent, std::string_view key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    json& child = parent[std::string(key)];
    child = json::object();
    return &child;
  }
  return it->is_object() ? &*it : nullptr;
}

json* Array(json& parent, std::string_view key) {
  if (!parent.is_object()) return nullptr;
  auto it = parent.find(key);
  return it != parent.end() && it->is_array() ? &*it : nullptr;
}

void Default(json& parent, std::string_view key, json value) {
  if (!parent.is_object()) return;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) parent[std::string(key)] = std::move(value);
}

}  // namespace vkube::resource::jsonx
