#include "libs/resource/protobuf_decoder.h"

#include <openssl/evp.h>

#include <string>
#include <vector>

#include "libs/core/time.h"
#include "libs/resource/protobuf_schema.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 32;

Error Bad(const std::string& msg) { return Error::Make(ErrorCode::kBadRequest, "protobuf body: " + msg); }

struct Field {
  std::string name;
  int number = 0;
  std::string type;
  bool repeated = false, pointer = false, inline_ = false;
};

std::vector<Field> ParseSpec(std::string_view spec) {
  std::vector<Field> out;
  std::size_t start = 0;
  while (start < spec.size()) {
    auto sp = spec.find(' ', start);
    std::string_view tok = spec.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
    start = sp == std::string_view::npos ? spec.size() : sp + 1;
    if (tok.empty()) continue;
    Field f;
    auto eq = tok.find('='), colon = tok.find(':');
    f.name = std::string(tok.substr(0, eq));
    f.number = std::stoi(std::string(tok.substr(eq + 1, colon - eq - 1)));
    std::string type(tok.substr(colon + 1));
    while (!type.empty() && (type.back() == '*' || type.back() == '?' || type.back() == '^')) {
      if (type.back() == '*') f.repeated = true;
      if (type.back() == '?') f.pointer = true;
      if (type.back() == '^') f.inline_ = true;
      type.pop_back();
    }
    f.type = std::move(type);
    out.push_back(std::move(f));
  }
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  bool done() const { return p_ >= d_.size(); }
  bool Varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= d_.size()) return false;
      auto b = static_cast<unsigned char>(d_[p_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool Bytes(std::string_view& out) {
    std::uint64_t n = 0;
    if (!Varint(n) || n > d_.size() - p_) return false;
    out = d_.substr(p_, n);
    p_ += n;
    return true;
  }
  bool Skip(int wire) {
    std::uint64_t v;
    std::string_view s;
    switch (wire) {
      case 0: return Varint(v);
      case 1: return Advance(8);
      case 2: return Bytes(s);
      case 5: return Advance(4);
      default: return false;
    }
  }

 private:
  bool Advance(std::size_t n) {
    if (n > d_.size() - p_) return false;
    p_ += n;
    return true;
  }
  std::string_view d_;
  std::size_t p_ = 0;
};

std::string Base64(std::string_view raw) {
  std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  b64.resize(static_cast<std::size_t>(n));
  return b64;
}

bool IsZero(const json& v) {
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_boolean() && !v.get<bool>()) || (v.is_number_integer() && v.get<std::int64_t>() == 0) ||
         ((v.is_object() || v.is_array()) && v.empty());
}

Result<json> DecodeMessage(std::string_view data, std::string_view type, int depth);

// Decodes one field value of `type` given its wire payload.
Result<json> DecodeValue(const std::string& type, int wire, std::uint64_t varint, std::string_view bytes, int depth) {
  if (type == "string") {
    if (wire != 2) return Bad("wire type mismatch for string");
    return json(std::string(bytes));
  }
  if (type == "bytes") {
    if (wire != 2) return Bad("wire type mismatch for bytes");
    return json(Base64(bytes));
  }
  if (type == "bool") {
    if (wire != 0) return Bad("wire type mismatch for bool");
    return json(varint != 0);
  }
  if (type == "int32") {
    if (wire != 0) return Bad("wire type mismatch for int32");
    return json(static_cast<std::int32_t>(static_cast<std::uint32_t>(varint)));
  }
  if (type == "int64") {
    if (wire != 0) return Bad("wire type mismatch for int64");
    return json(static_cast<std::int64_t>(varint));
  }
  if (wire != 2) return Bad("wire type mismatch for " + type);
  if (type == "Quantity") {
    auto q = DecodeMessage(bytes, "__Quantity", depth + 1);
    if (!q) return q;
    return json(q->value("string", ""));
  }
  if (type == "IntOrString") {
    auto v = DecodeMessage(bytes, "__IntOrString", depth + 1);
    if (!v) return v;
    if (v->value("type", 0) == 1) return json(v->value("strVal", ""));
    return json(v->value("intVal", 0));
  }
  if (type == "Time") {
    auto v = DecodeMessage(bytes, "__Time", depth + 1);
    if (!v) return v;
    std::int64_t secs = v->value("seconds", std::int64_t{0});
    if (secs == 0) return json();  // zero time = unset
    return json(FormatRfc3339(SystemTime(std::chrono::seconds(secs))));
  }
  return DecodeMessage(bytes, type, depth + 1);
}

std::string_view BuiltinSpec(std::string_view type) {
  if (type == "__Quantity") return "string=1:string";
  if (type == "__IntOrString") return "type=1:int64 intVal=2:int32 strVal=3:string";
  if (type == "__Time") return "seconds=1:int64 nanos=2:int32";
  if (type == "__Unknown") return "typeMeta=1:TypeMeta raw=2:bytes contentEncoding=3:string contentType=4:string";
  return pb::MessageSpec(type);
}

Result<json> DecodeMessage(std::string_view data, std::string_view type, int depth) {
  if (depth > kMaxDepth) return Bad("nesting too deep");
  std::string_view spec = BuiltinSpec(type);
  if (spec.empty()) return Bad("message " + std::string(type) + " is not supported; send JSON instead");
  const std::vector<Field> fields = ParseSpec(spec);
  json out = json::object();
  Reader r(data);
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.Varint(tag)) return Bad("truncated tag in " + std::string(type));
    const int number = static_cast<int>(tag >> 3), wire = static_cast<int>(tag & 7);
    const Field* f = nullptr;
    for (const auto& cand : fields) {
      if (cand.number == number) f = &cand;
    }
    std::uint64_t varint = 0;
    std::string_view bytes;
    bool ok = wire == 0 ? r.Varint(varint) : wire == 2 ? r.Bytes(bytes) : r.Skip(wire);
    if (!ok) return Bad("truncated field " + std::to_string(number) + " in " + std::string(type));
    if (f == nullptr) {
      return Bad("field " + std::to_string(number) + " of " + std::string(type) +
                 " is not supported by this server; send JSON instead");
    }
    if (f->type == "Skip") continue;
    if (f->type.rfind("map<", 0) == 0) {
      if (wire != 2) return Bad("wire type mismatch for map");
      std::string value_type = f->type.substr(f->type.find(',') + 1);
      value_type.pop_back();
      Reader er(bytes);
      std::string key;
      json value;
      while (!er.done()) {
        std::uint64_t etag = 0, ev = 0;
        std::string_view eb;
        if (!er.Varint(etag)) return Bad("truncated map entry");
        int ew = static_cast<int>(etag & 7);
        if (!(ew == 0 ? er.Varint(ev) : ew == 2 ? er.Bytes(eb) : er.Skip(ew))) return Bad("truncated map entry");
        if ((etag >> 3) == 1) key = std::string(eb);
        if ((etag >> 3) == 2) {
          auto v = DecodeValue(value_type, ew, ev, eb, depth);
          if (!v) return v;
          value = std::move(*v);
        }
      }
      if (value.is_null()) value = value_type == "int32" || value_type == "int64" ? json(0) : json("");
      out[f->name][key] = std::move(value);
      continue;
    }
    auto v = DecodeValue(f->type, wire, varint, bytes, depth);
    if (!v) return v;
    if (f->inline_) {
      if (v->is_object()) {
        for (auto& [k, val] : v->items()) out[k] = val;
      }
      continue;
    }
    if (f->repeated) {
      out[f->name].push_back(std::move(*v));
    } else {
      out[f->name] = std::move(*v);
    }
  }
  // Go's protobuf marshaling writes non-pointer fields even when zero; JSON omits them (omitempty).
  for (const auto& f : fields) {
    auto it = out.find(f.name);
    if (it == out.end()) continue;
    if (!f.pointer && !f.repeated && IsZero(*it)) out.erase(it);
  }
  return out;
}

}  // namespace

Result<json> DecodeKubernetesProtobuf(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) return Bad("missing k8s protobuf envelope");
  auto unknown = DecodeMessage(body.substr(4), "__Unknown", 0);
  if (!unknown) return unknown;
  const json& type_meta = unknown->contains("typeMeta") ? (*unknown)["typeMeta"] : json::object();
  if (!type_meta.is_object()) return Bad("missing typeMeta");
  std::string kind = type_meta.value("kind", "");
  std::string api_version = type_meta.value("apiVersion", "");
  if (unknown->value("contentEncoding", "") != "") return Bad("content encodings are not supported");
  if (!pb::IsTopLevelKind(kind)) return Bad("kind " + kind + " is not supported in protobuf; send JSON instead");
  // raw arrived base64-encoded from DecodeValue("bytes"); decode it back.
  std::string b64 = unknown->value("raw", "");
  std::string raw(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return Bad("corrupt raw object");
  std::size_t pad = 0;
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) ++pad;
  raw.resize(static_cast<std::size_t>(n) - pad);
  auto obj = DecodeMessage(raw, kind, 0);
  if (!obj) return obj;
  (*obj)["kind"] = kind;
  (*obj)["apiVersion"] = api_version;
  if (!obj->contains("metadata")) (*obj)["metadata"] = json::object();
  return obj;
}

}  // namespace vkube::resource
