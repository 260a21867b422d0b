#include "apiserver-proxy/openapi/openapi_builder.h"

#include <algorithm>
#include <set>

#include "apiserver-proxy/discovery.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;
using resource::ResourceInfo;

constexpr std::string_view kDefPrefix = "#/definitions/";
constexpr std::string_view kV3Prefix = "#/components/schemas/";
const std::string kMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.";
constexpr const char* kApiVersion = "v1.32.0";

std::string Capitalize(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// kube's operation-id spelling of a group: "" → Core, "rbac.authorization.k8s.io" → RbacAuthorization,
// "stable.example.com" → StableExampleCom.
std::string GroupCamel(std::string_view group) {
  if (group.empty()) return "Core";
  std::string_view g = group;
  constexpr std::string_view kSuffix = ".k8s.io";
  if (g.size() > kSuffix.size() && g.substr(g.size() - kSuffix.size()) == kSuffix) g.remove_suffix(kSuffix.size());
  std::string out;
  std::size_t start = 0;
  while (start <= g.size()) {
    auto dot = g.find('.', start);
    std::string_view part = g.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    std::string cap;
    // dashes split words too ("kube-aggregator" style groups are rare but legal)
    bool upper = true;
    for (char c : part) {
      if (c == '-') {
        upper = true;
        continue;
      }
      cap.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
      upper = false;
    }
    out += cap;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::string Tag(std::string_view group, std::string_view version) {
  std::string camel = GroupCamel(group);
  if (!camel.empty()) camel[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(camel[0])));
  return camel + "_" + std::string(version);
}

// ---- parameters ----------------------------------------------------------------------------

struct Param {
  const char* name;
  const char* in;
  const char* type;
  const char* description;
  bool required = false;
};

const Param kPretty{"pretty", "query", "string", "If 'true', the output is indented for reading."};
const Param kName{"name", "path", "string", "Name of the object.", true};
const Param kNamespace{"namespace", "path", "string", "Namespace of the object (its scope for authorization).", true};
const Param kDryRun{"dryRun", "query", "string",
                    "When set (the only value is All), the request runs every stage but nothing is persisted."};
const Param kFieldManager{"fieldManager", "query", "string",
                          "Name of the actor making this change, recorded in managedFields (at most 128 printable "
                          "characters)."};
const Param kFieldValidation{
    "fieldValidation", "query", "string",
    "What to do with unknown or duplicate fields in the request body. Ignore drops them silently; Warn (the default) "
    "drops them and reports each in a Warning header; Strict rejects the request with a BadRequest listing them."};
const Param kForce{"force", "query", "boolean",
                   "Server-side apply only: take ownership of fields other managers own instead of failing with a "
                   "conflict."};
const Param kGracePeriod{"gracePeriodSeconds", "query", "integer",
                         "Seconds to wait before the object is deleted; 0 deletes at once, unset uses the kind's "
                         "default."};
const Param kIgnoreStoreReadError{
    "ignoreStoreReadErrorWithClusterBreakingPotential", "query", "boolean",
    "Delete an object that cannot be read back from storage, skipping finalizers and preconditions. Dangerous."};
const Param kOrphan{"orphanDependents", "query", "boolean",
                    "Deprecated, use propagationPolicy: whether dependents are orphaned instead of garbage collected."};
const Param kPropagation{"propagationPolicy", "query", "string",
                         "How dependents are garbage collected: Orphan, Background or Foreground."};
const Param kAllowBookmarks{"allowWatchBookmarks", "query", "boolean",
                            "Watch only: the server may send BOOKMARK events carrying just a resourceVersion."};
const Param kContinue{"continue", "query", "string",
                      "Token from the previous page of a chunked list; the next page continues from there."};
const Param kFieldSelector{"fieldSelector", "query", "string", "Only objects whose fields match this selector."};
const Param kLabelSelector{"labelSelector", "query", "string", "Only objects whose labels match this selector."};
const Param kLimit{"limit", "query", "integer",
                   "Maximum number of items in this page; the list metadata carries a continue token when more "
                   "remain."};
const Param kResourceVersion{"resourceVersion", "query", "string",
                             "Which version of the data to read; its meaning depends on resourceVersionMatch."};
const Param kResourceVersionMatch{"resourceVersionMatch", "query", "string",
                                  "How resourceVersion applies to a list: Exact or NotOlderThan."};
const Param kSendInitialEvents{"sendInitialEvents", "query", "boolean",
                               "Watch only: first send the current state as ADDED events, then a bookmark marking "
                               "its end."};
const Param kTimeoutSeconds{"timeoutSeconds", "query", "integer", "Ends the list or watch call after this many seconds."};
const Param kWatch{"watch", "query", "boolean", "Stream add, update and delete events instead of returning a list."};

std::vector<Param> ListParams() {
  return {kAllowBookmarks,       kContinue,          kFieldSelector,  kLabelSelector, kLimit, kResourceVersion,
          kResourceVersionMatch, kSendInitialEvents, kTimeoutSeconds, kWatch};
}
std::vector<Param> WriteParams() { return {kDryRun, kFieldManager, kFieldValidation}; }
std::vector<Param> PatchParams() { return {kDryRun, kFieldManager, kFieldValidation, kForce}; }
std::vector<Param> DeleteParams() { return {kDryRun, kGracePeriod, kIgnoreStoreReadError, kOrphan, kPropagation}; }
std::vector<Param> DeleteCollectionParams() {
  return {kContinue,     kDryRun,          kFieldSelector,        kGracePeriod,       kIgnoreStoreReadError,
          kLabelSelector, kLimit,          kOrphan,               kPropagation,       kResourceVersion,
          kResourceVersionMatch, kSendInitialEvents, kTimeoutSeconds};
}

// ---- operations (a protocol-neutral model rendered as v2 and v3) -----------------------------

enum class Body { kNone, kObject, kPatch, kDeleteOptions };

struct Operation {
  std::string method;  // get put post delete patch
  std::string action;  // x-kubernetes-action
  std::string id;
  std::string description;
  std::vector<Param> params;
  Body body = Body::kNone;
  std::string body_schema;
  std::vector<std::pair<std::string, std::string>> responses;  // code → schema ("" none)
  std::string group, version, kind;                           // x-kubernetes-group-version-kind
};

struct PathItem {
  std::string path;
  std::vector<Param> params;
  std::vector<Operation> ops;
};

bool HasVerb(const ResourceInfo& i, std::string_view verb) {
  return std::find(i.verbs.begin(), i.verbs.end(), verb) != i.verbs.end();
}

std::vector<PathItem> PathsOf(const ResourceInfo& info, const DefinitionSource& defs) {
  const std::string gv = GroupCamel(info.group) + Capitalize(info.version);
  const std::string obj = defs.NameOf(info.group, info.version, info.kind);
  const std::string list = defs.NameOf(info.group, info.version, info.ListKind());
  const std::string status = kMeta + "Status";
  const std::string root = "/" + GroupVersionKey(info.group, info.version);
  const std::string ns = info.namespaced ? "Namespaced" : "";
  const std::string collection =
      root + (info.namespaced ? "/namespaces/{namespace}/" : "/") + info.resource;
  std::vector<Param> scope = {kPretty};
  if (info.namespaced) scope.insert(scope.begin(), kNamespace);
  std::vector<Param> named = scope;
  named.insert(named.begin(), kName);

  auto op = [&](std::string method, std::string action, std::string id, std::string desc) {
    Operation o;
    o.method = std::move(method);
    o.action = std::move(action);
    o.id = std::move(id);
    o.description = std::move(desc);
    o.group = info.group;
    o.version = info.version;
    o.kind = info.kind;
    return o;
  };

  std::vector<PathItem> out;
  if (info.namespaced && HasVerb(info, "list")) {
    PathItem all{root + "/" + info.resource, {kPretty}, {}};
    Operation l = op("get", "list", "list" + gv + info.kind + "ForAllNamespaces",
                     "List or watch " + info.kind + " objects of every namespace.");
    l.params = ListParams();
    l.responses = {{"200", list}};
    all.ops.push_back(std::move(l));
    out.push_back(std::move(all));
  }
  PathItem coll{collection, scope, {}};
  if (HasVerb(info, "list")) {
    Operation o = op("get", "list", "list" + gv + ns + info.kind, "List or watch " + info.kind + " objects.");
    o.params = ListParams();
    o.responses = {{"200", list}};
    coll.ops.push_back(std::move(o));
  }
  if (HasVerb(info, "create")) {
    Operation o = op("post", "post", "create" + gv + ns + info.kind, "Create a " + info.kind + ".");
    o.params = WriteParams();
    o.body = Body::kObject;
    o.body_schema = obj;
    o.responses = {{"200", obj}, {"201", obj}, {"202", obj}};
    coll.ops.push_back(std::move(o));
  }
  if (HasVerb(info, "deletecollection")) {
    Operation o = op("delete", "deletecollection", "delete" + gv + "Collection" + ns + info.kind,
                     "Delete every " + info.kind + " matching the selectors.");
    o.params = DeleteCollectionParams();
    o.body = Body::kDeleteOptions;
    o.responses = {{"200", status}};
    coll.ops.push_back(std::move(o));
  }
  if (!coll.ops.empty()) out.push_back(std::move(coll));

  PathItem item{collection + "/{name}", named, {}};
  if (HasVerb(info, "get")) {
    Operation o = op("get", "get", "read" + gv + ns + info.kind, "Read one " + info.kind + ".");
    o.responses = {{"200", obj}};
    item.ops.push_back(std::move(o));
  }
  if (HasVerb(info, "update")) {
    Operation o = op("put", "put", "replace" + gv + ns + info.kind, "Replace one " + info.kind + ".");
    o.params = WriteParams();
    o.body = Body::kObject;
    o.body_schema = obj;
    o.responses = {{"200", obj}, {"201", obj}};
    item.ops.push_back(std::move(o));
  }
  if (HasVerb(info, "delete")) {
    Operation o = op("delete", "delete", "delete" + gv + ns + info.kind, "Delete one " + info.kind + ".");
    o.params = DeleteParams();
    o.body = Body::kDeleteOptions;
    o.responses = {{"200", status}, {"202", status}};
    item.ops.push_back(std::move(o));
  }
  if (HasVerb(info, "patch")) {
    Operation o = op("patch", "patch", "patch" + gv + ns + info.kind, "Partially update one " + info.kind + ".");
    o.params = PatchParams();
    o.body = Body::kPatch;
    o.responses = {{"200", obj}, {"201", obj}};
    item.ops.push_back(std::move(o));
  }
  if (!item.ops.empty()) out.push_back(std::move(item));

  for (const auto& sub : SubresourcesOf(info)) {
    if (sub.name != "status" && sub.name != "scale" && sub.name != "finalize" && sub.name != "ephemeralcontainers") {
      continue;  // connect-style subresources (exec, log, proxy...) carry no object schema
    }
    std::string schema = obj;
    std::string g = info.group, v = info.version;
    if (!sub.group.empty() || !sub.version.empty()) {
      g = sub.group;
      v = sub.version;
      schema = defs.NameOf(sub.group, sub.version, sub.kind);
    }
    const std::string suffix = Capitalize(sub.name == "ephemeralcontainers" ? "EphemeralContainers" : sub.name);
    PathItem p{collection + "/{name}/" + sub.name, named, {}};
    for (const auto& verb : sub.verbs) {
      Operation o;
      if (verb == "get") {
        o = op("get", "get", "read" + gv + ns + info.kind + suffix, "Read the " + sub.name + " of one " + info.kind + ".");
        o.responses = {{"200", schema}};
      } else if (verb == "update") {
        o = op("put", "put", "replace" + gv + ns + info.kind + suffix,
               "Replace the " + sub.name + " of one " + info.kind + ".");
        o.params = WriteParams();
        o.body = Body::kObject;
        o.body_schema = schema;
        o.responses = {{"200", schema}, {"201", schema}};
      } else if (verb == "patch") {
        o = op("patch", "patch", "patch" + gv + ns + info.kind + suffix,
               "Partially update the " + sub.name + " of one " + info.kind + ".");
        o.params = PatchParams();
        o.body = Body::kPatch;
        o.responses = {{"200", schema}, {"201", schema}};
      } else {
        continue;
      }
      o.group = g;
      o.version = v;
      o.kind = sub.kind;
      p.ops.push_back(std::move(o));
    }
    if (!p.ops.empty()) out.push_back(std::move(p));
  }
  return out;
}

// In kube-apiserver's order (v2 `consumes`); server-side apply's apply-patch+yaml last.
const std::vector<std::string>& PatchTypes() {
  static const std::vector<std::string> types = {"application/json-patch+json", "application/merge-patch+json",
                                                 "application/strategic-merge-patch+json",
                                                 "application/apply-patch+yaml"};
  return types;
}

json GvkObject(std::string_view group, std::string_view version, std::string_view kind) {
  return {{"group", group}, {"version", version}, {"kind", kind}};
}

// ---- v3 rendering ----------------------------------------------------------------------------

std::string V3Ref(const std::string& name) { return std::string(kV3Prefix) + name; }

json V3Param(const Param& p) {
  json j = {{"name", p.name},
            {"in", p.in},
            {"description", p.description},
            {"schema", {{"type", p.type}, {"uniqueItems", true}}}};
  if (p.required) j["required"] = true;
  return j;
}

json V3Content(const std::string& schema, bool with_yaml = true) {
  json c = {{"application/json", {{"schema", {{"$ref", V3Ref(schema)}}}}}};
  if (with_yaml) c["application/yaml"] = {{"schema", {{"$ref", V3Ref(schema)}}}};
  return c;
}

json V3Operation(const Operation& o, std::string_view tag) {
  json j = {{"tags", json::array({tag})}, {"description", o.description}, {"operationId", o.id}};
  if (!o.params.empty()) {
    json ps = json::array();
    for (const auto& p : o.params) ps.push_back(V3Param(p));
    j["parameters"] = std::move(ps);
  }
  if (o.body == Body::kObject) {
    j["requestBody"] = {{"content", {{"*/*", {{"schema", {{"$ref", V3Ref(o.body_schema)}}}}}}}, {"required", true}};
  } else if (o.body == Body::kDeleteOptions) {
    j["requestBody"] = {{"content", {{"*/*", {{"schema", {{"$ref", V3Ref(kMeta + "DeleteOptions")}}}}}}}};
  } else if (o.body == Body::kPatch) {
    json c = json::object();
    for (const auto& t : PatchTypes()) c[t] = {{"schema", {{"$ref", V3Ref(kMeta + "Patch")}}}};
    j["requestBody"] = {{"content", std::move(c)}, {"required", true}};
  }
  json responses = json::object();
  for (const auto& [code, schema] : o.responses) {
    const char* desc = code == "201" ? "Created" : code == "202" ? "Accepted" : "OK";
    responses[code] = {{"description", desc}};
    if (!schema.empty()) responses[code]["content"] = V3Content(schema);
  }
  responses["401"] = {{"description", "Unauthorized"}};
  j["responses"] = std::move(responses);
  j["x-kubernetes-action"] = o.action;
  j["x-kubernetes-group-version-kind"] = GvkObject(o.group, o.version, o.kind);
  return j;
}

// v2 schema → v3 schema: references move to components/schemas; a reference inside a property
// or an array item is wrapped in allOf (kube-apiserver's form, which keeps sibling descriptions
// valid and is what kubectl's explain and patch code are written against).
json ToV3(const json& s, std::vector<std::string>& refs, bool wrap) {
  if (!s.is_object()) return s;
  json out = json::object();
  if (auto ref = s.find("$ref"); ref != s.end() && ref->is_string()) {
    std::string r = ref->get<std::string>();
    if (r.rfind(kDefPrefix, 0) == 0) {
      std::string name = r.substr(kDefPrefix.size());
      refs.push_back(name);
      r = V3Ref(name);
    }
    if (wrap) {
      for (auto it = s.begin(); it != s.end(); ++it) {
        if (it.key() != "$ref") out[it.key()] = *it;
      }
      out["allOf"] = json::array({{{"$ref", r}}});
    } else {
      out = s;
      out["$ref"] = r;
    }
    return out;
  }
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    if (k == "properties" && it->is_object()) {
      json props = json::object();
      for (auto p = it->begin(); p != it->end(); ++p) props[p.key()] = ToV3(*p, refs, true);
      out[k] = std::move(props);
    } else if (k == "items") {
      out[k] = ToV3(*it, refs, true);
    } else if (k == "additionalProperties") {
      out[k] = ToV3(*it, refs, false);
    } else if ((k == "allOf" || k == "oneOf" || k == "anyOf") && it->is_array()) {
      json arr = json::array();
      for (const auto& e : *it) arr.push_back(ToV3(e, refs, false));
      out[k] = std::move(arr);
    } else {
      out[k] = *it;
    }
  }
  return out;
}

json V3Schema(const std::string& name, const json& v2, std::vector<std::string>& refs) {
  if (name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString") {
    json s = {{"format", "int-or-string"}, {"oneOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}};
    if (v2.contains("description")) s["description"] = v2["description"];
    return s;
  }
  return ToV3(v2, refs, false);
}

void CollectV2Refs(const json& node, std::vector<std::string>& refs) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        const auto& r = it->get_ref<const std::string&>();
        if (r.rfind(kDefPrefix, 0) == 0) refs.push_back(r.substr(kDefPrefix.size()));
      } else {
        CollectV2Refs(*it, refs);
      }
    }
  } else if (node.is_array()) {
    for (const auto& e : node) CollectV2Refs(e, refs);
  }
}

// Adds the kind's group-version-kind to its definition (and its list's) if the source lacks it.
void EnsureGvk(json& schema, std::string_view group, std::string_view version, std::string_view kind) {
  json gvk = GvkObject(group, version, kind);
  json& list = schema["x-kubernetes-group-version-kind"];
  if (!list.is_array()) list = json::array();
  for (const auto& g : list) {
    if (g == gvk) return;
  }
  list.push_back(std::move(gvk));
}

// Definitions every document carries (bodies and responses of the generic operations).
std::vector<std::string> CommonSchemas() {
  return {kMeta + "Status", kMeta + "DeleteOptions", kMeta + "Patch", kMeta + "APIResourceList"};
}

struct KindNames {
  std::string obj, list;
  const ResourceInfo* info;
};

}  // namespace

SchemaSet::SchemaSet(json defs) : definitions(std::move(defs)) {
  if (!definitions.is_object()) definitions = json::object();
  for (auto it = definitions.begin(); it != definitions.end(); ++it) {
    auto gvk = it->find("x-kubernetes-group-version-kind");
    if (gvk == it->end() || !gvk->is_array() || gvk->size() != 1) continue;  // shared meta types
    const json& g = (*gvk)[0];
    by_gvk[g.value("group", "") + "/" + g.value("version", "") + "/" + g.value("kind", "")] = it.key();
  }
}

DefinitionSource::DefinitionSource(std::shared_ptr<const SchemaSet> base, std::shared_ptr<const SchemaSet> extra)
    : base_(base ? std::move(base) : std::make_shared<const SchemaSet>()),
      extra_(extra ? std::move(extra) : std::make_shared<const SchemaSet>()) {}

const json* DefinitionSource::Find(std::string_view name) const {
  for (const SchemaSet* s : {extra_.get(), base_.get()}) {
    auto it = s->definitions.find(std::string(name));
    if (it != s->definitions.end()) return &*it;
  }
  return nullptr;
}

bool DefinitionSource::IsExtra(std::string_view name) const { return extra_->definitions.contains(std::string(name)); }

std::string DefinitionSource::NameOf(std::string_view group, std::string_view version, std::string_view kind) const {
  std::string key = std::string(group) + "/" + std::string(version) + "/" + std::string(kind);
  for (const SchemaSet* s : {extra_.get(), base_.get()}) {
    if (auto it = s->by_gvk.find(key); it != s->by_gvk.end()) return it->second;
  }
  return DefaultDefinitionName(group, version, kind);
}

std::string DefaultDefinitionName(std::string_view group, std::string_view version, std::string_view kind) {
  std::string v(version), k(kind);
  if (group.empty()) return "io.k8s.api.core." + v + "." + k;
  if (group == "apiextensions.k8s.io") return "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions." + v + "." + k;
  if (group == "apiregistration.k8s.io") return "io.k8s.kube-aggregator.pkg.apis.apiregistration." + v + "." + k;
  const bool builtin = group.find('.') == std::string_view::npos ||
                       (group.size() > 7 && group.substr(group.size() - 7) == ".k8s.io");
  if (builtin) return "io.k8s.api." + std::string(group.substr(0, group.find('.'))) + "." + v + "." + k;
  // Custom resources: kube names them by the reversed group ("stable.example.com" → com.example.stable).
  std::string reversed;
  std::string_view g = group;
  while (!g.empty()) {
    auto dot = g.rfind('.');
    std::string_view label = dot == std::string_view::npos ? g : g.substr(dot + 1);
    if (!reversed.empty()) reversed += ".";
    reversed += label;
    if (dot == std::string_view::npos) break;
    g = g.substr(0, dot);
  }
  return reversed + "." + v + "." + k;
}

json CustomResourceDefinitions(std::string_view group, std::string_view version, std::string_view kind,
                               std::string_view list_kind, const json& openapi_v3_schema) {
  json obj = openapi_v3_schema.is_object() && !openapi_v3_schema.empty()
                 ? openapi_v3_schema
                 : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  obj["type"] = "object";
  json& props = obj["properties"];
  if (!props.is_object()) props = json::object();
  props["apiVersion"] = {{"type", "string"}, {"description", "Versioned schema of this object (group/version)."}};
  props["kind"] = {{"type", "string"}, {"description", "Kind of this object."}};
  props["metadata"] = {{"$ref", std::string(kDefPrefix) + kMeta + "ObjectMeta"},
                       {"description", "Standard object metadata."}};
  obj["x-kubernetes-group-version-kind"] = json::array({GvkObject(group, version, kind)});
  const std::string name = DefaultDefinitionName(group, version, kind);
  json list = {{"description", "A list of " + std::string(kind) + " objects."},
               {"type", "object"},
               {"required", json::array({"items"})},
               {"properties",
                {{"apiVersion", props["apiVersion"]},
                 {"kind", props["kind"]},
                 {"items", {{"type", "array"}, {"items", {{"$ref", std::string(kDefPrefix) + name}}}}},
                 {"metadata", {{"$ref", std::string(kDefPrefix) + kMeta + "ListMeta"},
                               {"description", "Standard list metadata."}}}}},
               {"x-kubernetes-group-version-kind", json::array({GvkObject(group, version, list_kind)})}};
  return {{name, std::move(obj)}, {DefaultDefinitionName(group, version, list_kind), std::move(list)}};
}

std::string GroupVersionKey(std::string_view group, std::string_view version) {
  if (group.empty()) return "api/" + std::string(version);
  return "apis/" + std::string(group) + "/" + std::string(version);
}

std::map<std::string, std::vector<const ResourceInfo*>> KindsByGroupVersion(const resource::Registry& registry) {
  std::map<std::string, std::vector<const ResourceInfo*>> out;
  for (const auto* k : registry.kinds()) out[GroupVersionKey(k->info.group, k->info.version)].push_back(&k->info);
  return out;
}

json BuildGroupVersionV3(std::string_view group, std::string_view version, const std::vector<const ResourceInfo*>& kinds,
                         const DefinitionSource& defs) {
  const std::string tag = Tag(group, version);
  json paths = json::object();
  const std::string root = "/" + GroupVersionKey(group, version) + "/";
  paths[root] = {{"get",
                  {{"tags", json::array({tag})},
                   {"description", "Resources served in this group-version."},
                   {"operationId", "get" + GroupCamel(group) + Capitalize(version) + "APIResources"},
                   {"responses",
                    {{"200", {{"description", "OK"}, {"content", V3Content(kMeta + "APIResourceList")}}},
                     {"401", {{"description", "Unauthorized"}}}}}}}};
  std::vector<std::string> todo = CommonSchemas();
  // A group of create-only kinds (the reviews) has no list, delete or patch operations: kube's
  // document then carries none of their schemas.
  bool deletes = false, patches = false;
  for (const ResourceInfo* info : kinds) {
    deletes = deletes || HasVerb(*info, "delete") || HasVerb(*info, "deletecollection");
    patches = patches || HasVerb(*info, "patch");
  }
  std::erase_if(todo, [&](const std::string& n) {
    return (!deletes && (n == kMeta + "Status" || n == kMeta + "DeleteOptions")) || (!patches && n == kMeta + "Patch");
  });
  std::vector<KindNames> names;
  for (const ResourceInfo* info : kinds) {
    for (auto& item : PathsOf(*info, defs)) {
      json p = json::object();
      for (const auto& op : item.ops) p[op.method] = V3Operation(op, tag);
      json ps = json::array();
      for (const auto& prm : item.params) ps.push_back(V3Param(prm));
      p["parameters"] = std::move(ps);
      paths[item.path] = std::move(p);
    }
    KindNames n{defs.NameOf(info->group, info->version, info->kind),
                defs.NameOf(info->group, info->version, info->ListKind()), info};
    todo.push_back(n.obj);
    if (HasVerb(*info, "list")) todo.push_back(n.list);
    for (const auto& sub : SubresourcesOf(*info)) {
      if (!sub.group.empty()) todo.push_back(defs.NameOf(sub.group, sub.version, sub.kind));
    }
    names.push_back(std::move(n));
  }
  json schemas = json::object();
  std::set<std::string> seen;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    const json* src = defs.Find(name);
    // A reference the source cannot resolve stays valid as a free-form object.
    json v2 = src ? *src : json{{"type", "object"}};
    std::vector<std::string> refs;
    schemas[name] = V3Schema(name, v2, refs);
    for (auto& r : refs) todo.push_back(std::move(r));
  }
  for (const auto& n : names) {
    EnsureGvk(schemas[n.obj], n.info->group, n.info->version, n.info->kind);
    if (HasVerb(*n.info, "list")) EnsureGvk(schemas[n.list], n.info->group, n.info->version, n.info->ListKind());
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", kApiVersion}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", std::move(schemas)},
            {"securitySchemes", {{"BearerToken", {{"type", "apiKey"}, {"description", "Bearer token authentication"},
                                                  {"name", "authorization"}, {"in", "header"}}}}}}}};
}

namespace {

json V2Param(const Param& p) {
  json j = {{"name", p.name}, {"in", p.in}, {"description", p.description}, {"type", p.type}, {"uniqueItems", true}};
  if (p.required) j["required"] = true;
  return j;
}

json V2Operation(const Operation& o, std::string_view tag) {
  json j = {{"tags", json::array({tag})},
            {"description", o.description},
            {"operationId", o.id},
            {"schemes", json::array({"https"})},
            {"produces", json::array({"application/json", "application/yaml"})}};
  json ps = json::array();
  if (o.body != Body::kNone) {
    std::string schema = o.body == Body::kObject          ? o.body_schema
                         : o.body == Body::kDeleteOptions ? kMeta + "DeleteOptions"
                                                          : kMeta + "Patch";
    json body = {{"name", "body"}, {"in", "body"}, {"schema", {{"$ref", std::string(kDefPrefix) + schema}}}};
    if (o.body != Body::kDeleteOptions) body["required"] = true;
    ps.push_back(std::move(body));
  }
  for (const auto& p : o.params) ps.push_back(V2Param(p));
  if (!ps.empty()) j["parameters"] = std::move(ps);
  j["consumes"] = o.body == Body::kPatch ? json(PatchTypes()) : json::array({"*/*"});
  json responses = json::object();
  for (const auto& [code, schema] : o.responses) {
    const char* desc = code == "201" ? "Created" : code == "202" ? "Accepted" : "OK";
    responses[code] = {{"description", desc}};
    if (!schema.empty()) responses[code]["schema"] = {{"$ref", std::string(kDefPrefix) + schema}};
  }
  responses["401"] = {{"description", "Unauthorized"}};
  j["responses"] = std::move(responses);
  j["x-kubernetes-action"] = o.action;
  j["x-kubernetes-group-version-kind"] = GvkObject(o.group, o.version, o.kind);
  return j;
}

}  // namespace

json BuildOpenApiV2(const resource::Registry& registry, const DefinitionSource& defs) {
  json paths = json::object();
  std::vector<std::string> todo = CommonSchemas();
  std::vector<KindNames> names;
  for (const auto* k_ptr : registry.kinds()) {
    const auto& k = *k_ptr;
    const ResourceInfo& info = k.info;
    const std::string tag = Tag(info.group, info.version);
    for (auto& item : PathsOf(info, defs)) {
      json p = json::object();
      for (const auto& op : item.ops) p[op.method] = V2Operation(op, tag);
      json ps = json::array();
      for (const auto& prm : item.params) ps.push_back(V2Param(prm));
      p["parameters"] = std::move(ps);
      paths[item.path] = std::move(p);
    }
    KindNames n{defs.NameOf(info.group, info.version, info.kind), defs.NameOf(info.group, info.version, info.ListKind()),
                &info};
    todo.push_back(n.obj);
    todo.push_back(n.list);
    for (const auto& sub : SubresourcesOf(info)) {
      if (!sub.group.empty()) todo.push_back(defs.NameOf(sub.group, sub.version, sub.kind));
    }
    names.push_back(std::move(n));
  }
  json definitions = json::object();
  std::set<std::string> seen;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    const json* src = defs.Find(name);
    json schema = src ? *src : json{{"type", "object"}};
    std::vector<std::string> refs;
    CollectV2Refs(schema, refs);
    definitions[name] = std::move(schema);
    for (auto& r : refs) todo.push_back(std::move(r));
  }
  for (const auto& n : names) {
    EnsureGvk(definitions[n.obj], n.info->group, n.info->version, n.info->kind);
    EnsureGvk(definitions[n.list], n.info->group, n.info->version, n.info->ListKind());
  }
  return {{"swagger", "2.0"},
          {"info", {{"title", "Kubernetes"}, {"version", kApiVersion}}},
          {"paths", std::move(paths)},
          {"definitions", std::move(definitions)},
          {"securityDefinitions",
           {{"BearerToken", {{"type", "apiKey"}, {"description", "Bearer token authentication"},
                             {"name", "authorization"}, {"in", "header"}}}}},
          {"security", json::array({{{"BearerToken", json::array()}}})}};
}

}  // namespace vkube::apiserver
