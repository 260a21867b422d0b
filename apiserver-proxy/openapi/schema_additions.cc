#include "apiserver-proxy/openapi/schema_additions.h"

#include <map>

#include "apiserver-proxy/openapi/embedded_schemas.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;
constexpr std::string_view kDefPrefix = "#/definitions/";

Error Bad(std::string msg) { return Error::Make(ErrorCode::kInternal, "openapi additions: " + std::move(msg)); }

// Rewrites "#/definitions/<old>" references to the copied definitions' new names.
void Retarget(json& node, const std::map<std::string, std::string>& names) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        const std::string& ref = it->get_ref<const std::string&>();
        if (ref.rfind(kDefPrefix, 0) != 0) continue;
        std::string name = ref.substr(kDefPrefix.size());
        if (auto n = names.find(name); n != names.end()) *it = std::string(kDefPrefix) + n->second;
      } else {
        Retarget(*it, names);
      }
    }
  } else if (node.is_array()) {
    for (auto& e : node) Retarget(e, names);
  }
}

struct CopyOp {
  std::map<std::string, std::string> names;  // full old name → full new name
  std::string group, version;
};

Result<CopyOp> ParseCopy(const json& c) {
  if (!c.is_object() || !c.contains("from") || !c.contains("to") || !c.contains("names")) {
    return Bad("copy needs from, to and names: " + c.dump());
  }
  CopyOp op;
  const std::string from = c["from"].get<std::string>() + ".", to = c["to"].get<std::string>() + ".";
  op.group = c.value("group", "");
  op.version = c.value("version", "");
  const json& names = c["names"];
  if (names.is_array()) {
    for (const auto& n : names) op.names[from + n.get<std::string>()] = to + n.get<std::string>();
  } else if (names.is_object()) {
    for (auto it = names.begin(); it != names.end(); ++it) op.names[from + it.key()] = to + it->get<std::string>();
  } else {
    return Bad("copy names must be a list or an object");
  }
  return op;
}

void NormalizeSchema(json& s) {
  if (!s.is_object()) return;
  if (s.contains("properties") && !s.contains("type") && !s.contains("$ref")) s["type"] = "object";
  if (s.value("type", "") == "array" && !s.contains("x-kubernetes-list-type")) {
    if (auto key = s.find("x-kubernetes-patch-merge-key"); key != s.end()) {
      s["x-kubernetes-list-type"] = "map";
      if (!s.contains("x-kubernetes-list-map-keys")) s["x-kubernetes-list-map-keys"] = json::array({*key});
    } else if (s.value("x-kubernetes-patch-strategy", "") == "merge") {
      s["x-kubernetes-list-type"] = "set";  // a merged list of scalars (finalizers)
    }
  }
  if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
    for (auto& p : *props) NormalizeSchema(p);
  }
  if (auto items = s.find("items"); items != s.end()) NormalizeSchema(*items);
  if (auto add = s.find("additionalProperties"); add != s.end()) NormalizeSchema(*add);
}

}  // namespace

Status ApplySchemaAdditions(json& definitions, const std::vector<json>& documents) {
  if (!definitions.is_object()) return Bad("definitions must be an object");
  for (const auto& doc : documents) {
    if (!doc.is_object()) return Bad("a document must be an object");
    for (const auto& c : doc.value("copy", json::array())) {
      auto op = ParseCopy(c);
      if (!op) return op.error();
      for (const auto& [from, to] : op->names) {
        auto src = definitions.find(from);
        if (src == definitions.end()) return Bad("copy of unknown definition " + from);
        json copy = *src;
        Retarget(copy, op->names);
        if (auto gvk = copy.find("x-kubernetes-group-version-kind"); gvk != copy.end() && gvk->is_array()) {
          for (auto& g : *gvk) {
            g["group"] = op->group;
            g["version"] = op->version;
          }
        }
        definitions[to] = std::move(copy);
      }
    }
    const json added = doc.value("definitions", json::object()), patches = doc.value("patch", json::object());
    for (const auto& [name, schema] : added.items()) definitions[name] = schema;
    for (const auto& [name, patch] : patches.items()) {
      auto it = definitions.find(name);
      if (it == definitions.end()) return Bad("patch of unknown definition " + name);
      it->merge_patch(patch);
    }
    for (const auto& name : doc.value("remove", json::array())) definitions.erase(name.get<std::string>());
  }
  return {};
}

void NormalizeDefinitions(json& definitions) {
  for (auto& [name, schema] : definitions.items()) NormalizeSchema(schema);
}

Result<json> BuildDefinitions(const json& swagger) {
  if (!swagger.is_object() || !swagger.contains("definitions") || !swagger["definitions"].is_object()) {
    return Bad("the base document has no definitions");
  }
  json definitions = swagger["definitions"];
  std::vector<json> docs;
  for (const auto& f : EmbeddedSchemaFiles()) {
    json doc = json::parse(f.text, nullptr, false);
    if (doc.is_discarded()) return Bad(std::string(f.name) + " is not valid JSON");
    docs.push_back(std::move(doc));
  }
  if (auto s = ApplySchemaAdditions(definitions, docs); !s) return s.error();
  NormalizeDefinitions(definitions);
  return definitions;
}

}  // namespace vkube::apiserver
