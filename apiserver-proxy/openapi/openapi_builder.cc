#include "apiserver-proxy/openapi/openapi_builder.h"

#include <set>
#include <vector>

namespace vkube::apiserver {
namespace {

using nlohmann::json;
constexpr std::string_view kMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

std::string Ref(const std::string& name) { return "#/components/schemas/" + name; }

// Rewrites v2 "#/definitions/X" refs to v3 and collects referenced names.
void Convert(json& node, std::vector<std::string>& todo) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref" && it.value().is_string()) {
        std::string ref = it.value().get<std::string>();
        constexpr std::string_view kPrefix = "#/definitions/";
        if (ref.rfind(kPrefix, 0) == 0) {
          std::string name = ref.substr(kPrefix.size());
          todo.push_back(name);
          it.value() = Ref(name);
        }
      } else {
        Convert(it.value(), todo);
      }
    }
  } else if (node.is_array()) {
    for (auto& e : node) Convert(e, todo);
  }
}

json Param(const std::string& name, const std::string& in, const std::string& desc, bool required = false,
           const std::string& type = "string") {
  json p = {{"name", name}, {"in", in}, {"description", desc}, {"schema", {{"type", type}, {"uniqueItems", true}}}};
  if (required) p["required"] = true;
  return p;
}

json WriteParams() {
  return json::array({Param("dryRun", "query", "When present, modifications are not persisted (All)."),
                      Param("fieldManager", "query", "Name of the actor making the change."),
                      Param("fieldValidation", "query",
                            "How to treat unknown or duplicate fields: Ignore, Warn or Strict.")});
}

json Content(const std::string& schema_name) {
  json c = json::object();
  for (const char* mt : {"application/json", "application/yaml"}) {
    c[mt] = {{"schema", {{"$ref", Ref(schema_name)}}}};
  }
  return c;
}

json Op(const std::string& action, const resource::ResourceInfo& info, const std::string& id, json params,
        const std::string& response_schema, const std::string& body_schema = "") {
  json gvk = {{"group", info.group}, {"version", info.version}, {"kind", info.kind}};
  json op = {{"operationId", id},
             {"tags", json::array({info.group.empty() ? "core_" + info.version : info.group + "_" + info.version})},
             {"parameters", std::move(params)},
             {"responses", {{"200", {{"description", "OK"}, {"content", Content(response_schema)}}},
                            {"401", {{"description", "Unauthorized"}}}}},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind", gvk}};
  if (!body_schema.empty()) {
    op["requestBody"] = {{"required", true}, {"content", Content(body_schema)}};
  }
  return op;
}

}  // namespace

std::string DefinitionName(const resource::ResourceInfo& info, bool list) {
  std::string group = info.group.empty() ? "core" : info.group;
  return "io.k8s.api." + group + "." + info.version + "." + info.kind + (list ? "List" : "");
}

std::map<std::string, json> BuildOpenApiV3(const resource::Registry& registry, const json& definitions) {
  std::map<std::string, json> docs;
  for (const auto& kind : registry.kinds()) {
    const auto& info = kind.info;
    std::string key = info.group.empty() ? "api/" + info.version : "apis/" + info.group + "/" + info.version;
    json& doc = docs[key];
    if (doc.is_null()) {
      doc = {{"openapi", "3.0.0"},
             {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
             {"paths", json::object()},
             {"components", {{"schemas", json::object()}}}};
    }
    const std::string obj = DefinitionName(info), list = DefinitionName(info, true);
    const std::string opk = info.kind + (info.namespaced ? "Namespaced" : "");
    std::string base = "/" + key + (info.namespaced ? "/namespaces/{namespace}/" : "/") + info.resource;
    json common = json::array();
    if (info.namespaced) common.push_back(Param("namespace", "path", "object name and auth scope", true));
    json name_params = common;
    name_params.push_back(Param("name", "path", "name of the " + info.kind, true));
    json list_params = json::array({Param("labelSelector", "query", "Label selector."),
                                    Param("fieldSelector", "query", "Field selector."),
                                    Param("limit", "query", "Maximum items per page.", false, "integer"),
                                    Param("continue", "query", "Continue token from a previous page."),
                                    Param("resourceVersion", "query", "Resource version constraint."),
                                    Param("watch", "query", "Watch for changes.", false, "boolean")});
    doc["paths"][base] = {{"parameters", common},
                          {"get", Op("list", info, "list" + opk, list_params, list)},
                          {"post", Op("post", info, "create" + opk, WriteParams(), obj, obj)},
                          {"delete", Op("deletecollection", info, "deletecollection" + opk, list_params,
                                        std::string(kMeta) + "Status")}};
    json patch_params = WriteParams();
    patch_params.push_back(Param("force", "query", "Force apply (server-side apply).", false, "boolean"));
    json patch = Op("patch", info, "patch" + opk, patch_params, obj);
    patch["requestBody"] = {{"required", true}, {"content", json::object()}};
    for (const char* mt : {"application/json-patch+json", "application/merge-patch+json",
                           "application/strategic-merge-patch+json", "application/apply-patch+yaml"}) {
      patch["requestBody"]["content"][mt] = {{"schema", {{"$ref", Ref(std::string(kMeta) + "Patch")}}}};
    }
    doc["paths"][base + "/{name}"] = {{"parameters", name_params},
                                      {"get", Op("get", info, "read" + opk, json::array(), obj)},
                                      {"put", Op("put", info, "replace" + opk, WriteParams(), obj, obj)},
                                      {"patch", patch},
                                      {"delete", Op("delete", info, "delete" + opk, WriteParams(),
                                                    std::string(kMeta) + "Status")}};
    if (info.has_status) {
      doc["paths"][base + "/{name}/status"] = {{"parameters", name_params},
                                               {"get", Op("get", info, "read" + opk + "Status", json::array(), obj)},
                                               {"put", Op("put", info, "replace" + opk + "Status", WriteParams(), obj, obj)},
                                               {"patch", Op("patch", info, "patch" + opk + "Status", patch_params, obj)}};
    }
    // Schemas reachable from the kind, its list and the meta types every GV uses.
    std::vector<std::string> todo = {obj, list, std::string(kMeta) + "Status", std::string(kMeta) + "Patch",
                                     std::string(kMeta) + "DeleteOptions", std::string(kMeta) + "WatchEvent"};
    std::set<std::string> seen;
    json& schemas = doc["components"]["schemas"];
    while (!todo.empty()) {
      std::string name = todo.back();
      todo.pop_back();
      if (!seen.insert(name).second || schemas.contains(name)) continue;
      json schema = definitions.contains(name) ? definitions[name] : json{{"type", "object"}};
      Convert(schema, todo);
      if (name == obj || name == list) {
        schema["x-kubernetes-group-version-kind"] =
            json::array({{{"group", info.group}, {"version", info.version}, {"kind", name == obj ? info.kind : info.ListKind()}}});
      }
      schemas[name] = std::move(schema);
    }
  }
  return docs;
}

}  // namespace vkube::apiserver
