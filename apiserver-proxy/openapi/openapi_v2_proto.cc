#include "apiserver-proxy/openapi/openapi_v2_proto.h"

#include <cstdint>
#include <cstring>

namespace vkube::apiserver {
namespace {

using nlohmann::json;

// Field numbers of gnostic's OpenAPIv2.proto (github.com/googleapis/gnostic/openapiv2).
namespace doc {
constexpr int kSwagger = 1, kInfo = 2, kPaths = 8, kDefinitions = 9;
}
namespace info {
constexpr int kTitle = 1, kVersion = 2;
}
namespace schema {
constexpr int kRef = 1, kFormat = 2, kTitle = 3, kDescription = 4, kDefault = 5, kMultipleOf = 6, kMaximum = 7,
              kExclusiveMaximum = 8, kMinimum = 9, kExclusiveMinimum = 10, kMaxLength = 11, kMinLength = 12,
              kPattern = 13, kMaxItems = 14, kMinItems = 15, kUniqueItems = 16, kMaxProperties = 17,
              kMinProperties = 18, kRequired = 19, kEnum = 20, kAdditionalProperties = 21, kType = 22, kItems = 23,
              kAllOf = 24, kProperties = 25, kReadOnly = 27, kExample = 30, kVendorExtension = 31;
}
constexpr int kNamedName = 1, kNamedValue = 2;  // NamedSchema, NamedAny, NamedPathItem
constexpr int kAnyYaml = 2;                     // Any.yaml
constexpr int kRepeatedFirst = 1;               // TypeItem.value, ItemsItem.schema, Properties/Definitions entries
constexpr int kAdditionalSchema = 1, kAdditionalBoolean = 2;
constexpr int kPathsPath = 2;  // Paths.path (NamedPathItem)
constexpr int kMaxDepth = 64;  // schemas nest far less; a cycle-free document always ends

class Writer {
 public:
  void Varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void Tag(int field, int wire) { Varint((static_cast<std::uint64_t>(field) << 3) | static_cast<unsigned>(wire)); }
  void String(int field, const std::string& s) {
    if (s.empty()) return;  // proto3: defaults are not written
    Tag(field, 2);
    Varint(s.size());
    out_ += s;
  }
  void Bytes(int field, const std::string& s) {  // a nested message, written even when empty
    Tag(field, 2);
    Varint(s.size());
    out_ += s;
  }
  void Bool(int field, bool b) {
    if (!b) return;
    Tag(field, 0);
    Varint(1);
  }
  void Int(int field, std::int64_t v) {
    if (v == 0) return;
    Tag(field, 0);
    Varint(static_cast<std::uint64_t>(v));
  }
  void Double(int field, double d) {
    if (d == 0) return;
    Tag(field, 1);
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// gnostic's Any: the value as YAML (JSON is YAML).
std::string AnyYaml(const json& v) {
  Writer w;
  w.String(kAnyYaml, v.dump());
  return w.Take();
}

std::string NamedAny(const std::string& name, const json& v) {
  Writer w;
  w.String(kNamedName, name);
  w.Bytes(kNamedValue, AnyYaml(v));
  return w.Take();
}

std::string Schema(const json& s, int depth);

std::string NamedSchema(const std::string& name, const json& s, int depth) {
  Writer w;
  w.String(kNamedName, name);
  w.Bytes(kNamedValue, Schema(s, depth));
  return w.Take();
}

std::string Schema(const json& s, int depth) {
  Writer w;
  if (!s.is_object() || depth > kMaxDepth) return w.Take();
  namespace f = schema;
  w.String(f::kRef, Str(s, "$ref"));
  w.String(f::kFormat, Str(s, "format"));
  w.String(f::kTitle, Str(s, "title"));
  w.String(f::kDescription, Str(s, "description"));
  if (auto it = s.find("default"); it != s.end()) w.Bytes(f::kDefault, AnyYaml(*it));
  auto num = [&](const char* key, int field) {
    if (auto it = s.find(key); it != s.end() && it->is_number()) w.Double(field, it->get<double>());
  };
  auto integer = [&](const char* key, int field) {
    if (auto it = s.find(key); it != s.end() && it->is_number_integer()) w.Int(field, it->get<std::int64_t>());
  };
  auto boolean = [&](const char* key, int field) {
    if (auto it = s.find(key); it != s.end() && it->is_boolean()) w.Bool(field, it->get<bool>());
  };
  num("multipleOf", f::kMultipleOf);
  num("maximum", f::kMaximum);
  boolean("exclusiveMaximum", f::kExclusiveMaximum);
  num("minimum", f::kMinimum);
  boolean("exclusiveMinimum", f::kExclusiveMinimum);
  integer("maxLength", f::kMaxLength);
  integer("minLength", f::kMinLength);
  w.String(f::kPattern, Str(s, "pattern"));
  integer("maxItems", f::kMaxItems);
  integer("minItems", f::kMinItems);
  boolean("uniqueItems", f::kUniqueItems);
  integer("maxProperties", f::kMaxProperties);
  integer("minProperties", f::kMinProperties);
  if (auto it = s.find("required"); it != s.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (r.is_string()) w.String(f::kRequired, r.get<std::string>());
    }
  }
  if (auto it = s.find("enum"); it != s.end() && it->is_array()) {
    for (const auto& e : *it) w.Bytes(f::kEnum, AnyYaml(e));
  }
  if (auto it = s.find("additionalProperties"); it != s.end()) {
    Writer ap;
    if (it->is_boolean()) {
      ap.Tag(kAdditionalBoolean, 0);  // oneof: written even when false
      ap.Varint(it->get<bool>() ? 1 : 0);
    } else {
      ap.Bytes(kAdditionalSchema, Schema(*it, depth + 1));
    }
    w.Bytes(f::kAdditionalProperties, ap.Take());
  }
  if (auto it = s.find("type"); it != s.end()) {
    Writer t;
    if (it->is_string()) t.String(kRepeatedFirst, it->get<std::string>());
    if (it->is_array()) {
      for (const auto& v : *it) {
        if (v.is_string()) t.String(kRepeatedFirst, v.get<std::string>());
      }
    }
    w.Bytes(f::kType, t.Take());
  }
  if (auto it = s.find("items"); it != s.end()) {
    Writer items;
    if (it->is_array()) {
      for (const auto& v : *it) items.Bytes(kRepeatedFirst, Schema(v, depth + 1));
    } else {
      items.Bytes(kRepeatedFirst, Schema(*it, depth + 1));
    }
    w.Bytes(f::kItems, items.Take());
  }
  if (auto it = s.find("allOf"); it != s.end() && it->is_array()) {
    for (const auto& v : *it) w.Bytes(f::kAllOf, Schema(v, depth + 1));
  }
  if (auto it = s.find("properties"); it != s.end() && it->is_object()) {
    Writer props;
    for (const auto& [name, v] : it->items()) props.Bytes(kRepeatedFirst, NamedSchema(name, v, depth + 1));
    w.Bytes(f::kProperties, props.Take());
  }
  boolean("readOnly", f::kReadOnly);
  if (auto it = s.find("example"); it != s.end()) w.Bytes(f::kExample, AnyYaml(*it));
  for (const auto& [key, v] : s.items()) {
    if (key.rfind("x-", 0) == 0) w.Bytes(f::kVendorExtension, NamedAny(key, v));
  }
  return w.Take();
}

}  // namespace

std::string EncodeOpenApiV2Protobuf(const json& swagger) {
  Writer w;
  if (!swagger.is_object()) return w.Take();
  w.String(doc::kSwagger, Str(swagger, "swagger"));
  if (auto it = swagger.find("info"); it != swagger.end() && it->is_object()) {
    Writer i;
    i.String(info::kTitle, Str(*it, "title"));
    i.String(info::kVersion, Str(*it, "version"));
    w.Bytes(doc::kInfo, i.Take());
  }
  if (auto it = swagger.find("paths"); it != swagger.end() && it->is_object()) {
    // Names only: the operations are for API documentation tools, not for validation.
    Writer paths;
    for (const auto& [name, _] : it->items()) {
      Writer item;
      item.String(kNamedName, name);
      item.Bytes(kNamedValue, "");
      paths.Bytes(kPathsPath, item.Take());
    }
    w.Bytes(doc::kPaths, paths.Take());
  }
  if (auto it = swagger.find("definitions"); it != swagger.end() && it->is_object()) {
    Writer defs;
    for (const auto& [name, s] : it->items()) defs.Bytes(kRepeatedFirst, NamedSchema(name, s, 0));
    w.Bytes(doc::kDefinitions, defs.Take());
  }
  return w.Take();
}

}  // namespace vkube::apiserver
