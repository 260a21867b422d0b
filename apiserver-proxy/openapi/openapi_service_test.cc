#include "apiserver-proxy/openapi/openapi_service.h"
#include "apiserver-proxy/openapi/openapi_v2_proto.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "apiserver-proxy/openapi/field_check.h"
#include "apiserver-proxy/openapi/openapi_builder.h"
#include "apiserver-proxy/openapi/schema_additions.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;
using resource::Registry;

constexpr const char* kSwagger = "/usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json";

std::optional<json> LoadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::filesystem::path ReferenceDir() {
  auto here = std::filesystem::path(__FILE__).parent_path();  // <repo>/apiserver-proxy/openapi
  auto dir = here.parent_path().parent_path().parent_path() / "shared" / "reference" / "k8s-1.32";
  if (std::filesystem::exists(dir)) return dir;
  return "/work/shared/reference/k8s-1.32";
}

http::Request Get(std::string target, std::string accept = "application/json") {
  http::Request r;
  r.method = "GET";
  r.target = target;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  if (!accept.empty()) r.headers.push_back({"accept", std::move(accept)});
  return r;
}

std::string Header(const http::Response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

// One service for the whole suite: building it parses a 4 MB document.
class OpenApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto swagger = LoadJson(kSwagger);
    if (!swagger) return;
    swagger_ = new json(std::move(*swagger));
    registry_ = new std::shared_ptr<const Registry>(Registry::BuiltIn());
    auto svc = OpenApiService::FromSwagger(**registry_, *swagger_);
    ASSERT_TRUE(svc.ok()) << svc.error().message;
    service_ = new std::shared_ptr<OpenApiService>(*svc);
  }
  static void TearDownTestSuite() {
    delete service_;
    delete registry_;
    delete swagger_;
    service_ = nullptr;
    registry_ = nullptr;
    swagger_ = nullptr;
  }
  void SetUp() override {
    if (!service_) GTEST_SKIP() << "Debian's swagger.json (golang-k8s-kube-openapi-dev) is not installed";
  }
  const OpenApiService& svc() { return **service_; }
  const Registry& reg() { return **registry_; }
  json Doc(const std::string& key) { return json::parse(svc().GroupVersionDocument(key)); }

  static json* swagger_;
  static std::shared_ptr<const Registry>* registry_;
  static std::shared_ptr<OpenApiService>* service_;
};
json* OpenApi::swagger_ = nullptr;
std::shared_ptr<const Registry>* OpenApi::registry_ = nullptr;
std::shared_ptr<OpenApiService>* OpenApi::service_ = nullptr;

// Every $ref of a v3 document resolves inside it, and every property says what it is.
void CheckWellFormed(const json& node, const json& schemas, const std::string& where, int& problems) {
  if (problems > 20) return;
  if (node.is_object()) {
    if (auto ref = node.find("$ref"); ref != node.end() && ref->is_string()) {
      std::string r = ref->get<std::string>();
      const std::string prefix = "#/components/schemas/";
      if (r.rfind(prefix, 0) != 0 || !schemas.contains(r.substr(prefix.size()))) {
        ADD_FAILURE() << where << ": dangling " << r;
        ++problems;
      }
    }
    if (auto props = node.find("properties"); props != node.end() && props->is_object()) {
      for (auto it = props->begin(); it != props->end(); ++it) {
        const json& p = *it;
        bool typed = p.contains("type") || p.contains("$ref") || p.contains("allOf") || p.contains("oneOf") ||
                     p.contains("anyOf") || p.contains("x-kubernetes-int-or-string") ||
                     p.contains("x-kubernetes-preserve-unknown-fields");
        if (!typed) {
          ADD_FAILURE() << where << "." << it.key() << " has no type";
          ++problems;
        }
        CheckWellFormed(p, schemas, where + "." + it.key(), problems);
      }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() != "properties") CheckWellFormed(*it, schemas, where + "/" + it.key(), problems);
    }
  } else if (node.is_array()) {
    for (const auto& e : node) CheckWellFormed(e, schemas, where, problems);
  }
}

TEST_F(OpenApi, EveryKindHasItsSchemaPathsAndFieldValidation) {
  std::set<std::string> keys;
  for (const auto& k : svc().GroupVersions()) keys.insert(k);
  for (const auto* kind_ptr : reg().kinds()) {
    const auto& kind = *kind_ptr;
    const auto& i = kind.info;
    std::string key = GroupVersionKey(i.group, i.version);
    ASSERT_TRUE(keys.contains(key)) << key;
    json doc = Doc(key);
    const json& schemas = doc["components"]["schemas"];
    bool found_kind = false, found_list = false;
    for (const auto& [name, s] : schemas.items()) {
      for (const auto& g : s.value("x-kubernetes-group-version-kind", json::array())) {
        if (g["group"] == i.group && g["version"] == i.version && g["kind"] == i.kind) {
          found_kind = true;
          EXPECT_TRUE(s.contains("properties")) << name << " has no properties";
        }
        if (g["group"] == i.group && g["version"] == i.version && g["kind"] == i.ListKind()) found_list = true;
      }
    }
    EXPECT_TRUE(found_kind) << i.kind << " schema missing in " << key;
    const bool listable = std::find(i.verbs.begin(), i.verbs.end(), "list") != i.verbs.end();
    if (listable) {  // reviews have no list
      EXPECT_TRUE(found_list) << i.ListKind() << " schema missing in " << key;
    }
    // kubectl uses server-side validation only if EVERY patch operation of the kind lists
    // fieldValidation (it stops at the first one it finds).
    int patch_ops = 0;
    for (const auto& [path, item] : doc["paths"].items()) {
      if (!item.contains("patch")) continue;
      const json& op = item["patch"];
      if (op["x-kubernetes-group-version-kind"] != json{{"group", i.group}, {"version", i.version}, {"kind", i.kind}}) {
        continue;
      }
      ++patch_ops;
      bool fv = false;
      for (const auto& p : op["parameters"]) fv = fv || (p["name"] == "fieldValidation" && p["in"] == "query");
      EXPECT_TRUE(fv) << path;
      EXPECT_TRUE(op["requestBody"]["content"].contains("application/strategic-merge-patch+json")) << path;
    }
    if (std::find(i.verbs.begin(), i.verbs.end(), "patch") != i.verbs.end()) {
      EXPECT_GT(patch_ops, 0) << i.kind;
    }
  }
}

TEST_F(OpenApi, DocumentsAreWellFormed) {
  for (const auto& key : svc().GroupVersions()) {
    json doc = Doc(key);
    int problems = 0;
    CheckWellFormed(doc["components"]["schemas"], doc["components"]["schemas"], key, problems);
    CheckWellFormed(doc["paths"], doc["components"]["schemas"], key + " paths", problems);
  }
}

TEST_F(OpenApi, KubeShapesForExplainAndPatches) {
  json core = Doc("api/v1");
  const json& s = core["components"]["schemas"];
  const json& containers = s["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
  EXPECT_EQ(containers["type"], "array");
  EXPECT_EQ(containers["items"]["allOf"][0]["$ref"], "#/components/schemas/io.k8s.api.core.v1.Container");
  EXPECT_EQ(containers["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ(containers["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(containers["x-kubernetes-list-type"], "map");
  const json& ports = s["io.k8s.api.core.v1.Container"]["properties"]["ports"];
  EXPECT_EQ(ports["x-kubernetes-list-map-keys"], json::array({"containerPort", "protocol"}));
  EXPECT_EQ(s["io.k8s.api.core.v1.Pod"]["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  // Fields added since 1.13 that kubectl users touch.
  for (const char* f : {"ephemeralContainers", "topologySpreadConstraints", "os", "schedulingGates"}) {
    EXPECT_TRUE(s["io.k8s.api.core.v1.PodSpec"]["properties"].contains(f)) << f;
  }
  EXPECT_TRUE(s["io.k8s.api.core.v1.Container"]["properties"].contains("startupProbe"));
  EXPECT_TRUE(s["io.k8s.api.core.v1.SecurityContext"]["properties"].contains("seccompProfile"));
  EXPECT_TRUE(s.contains("io.k8s.api.core.v1.EphemeralContainer"));
  EXPECT_FALSE(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"].contains("initializers"));
  EXPECT_TRUE(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"].contains("managedFields"));
  EXPECT_EQ(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"], "int-or-string");
}

TEST_F(OpenApi, ServesIndexDocumentsAndCaching) {
  auto index = svc().Handle(Get("/openapi/v3"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  json paths = json::parse(index->body)["paths"];
  ASSERT_TRUE(paths.contains("apis/apps/v1"));
  std::string url = paths["apis/apps/v1"]["serverRelativeURL"];
  auto doc = svc().Handle(Get(url));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->status, 200);
  EXPECT_EQ(Header(*doc, "cache-control"), "public, immutable");
  std::string etag = Header(*doc, "etag");
  EXPECT_EQ(json::parse(doc->body)["openapi"], "3.0.0");

  auto cached = Get(url);
  cached.headers.push_back({"if-none-match", etag});
  EXPECT_EQ(svc().Handle(cached)->status, 304);

  auto stale = svc().Handle(Get("/openapi/v3/apis/apps/v1?hash=0123"));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 301);
  EXPECT_EQ(Header(*stale, "location"), url);

  EXPECT_EQ(svc().Handle(Get("/openapi/v3/apis/nope/v1"))->status, 404);
  auto pb = svc().Handle(Get("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"));
  ASSERT_TRUE(pb);
  EXPECT_EQ(pb->status, 200);
  EXPECT_EQ(Header(*pb, "content-type"), kOpenApiV2ProtobufType);
  EXPECT_EQ(svc().Handle(Get("/openapi/v3/api/v1", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"))->status,
            406) << "v3 is served as JSON only";
  EXPECT_FALSE(svc().Handle(Get("/api/v1")));

  auto v2 = svc().Handle(Get("/openapi/v2"));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->status, 200);
  json v2doc = json::parse(v2->body);
  EXPECT_EQ(v2doc["swagger"], "2.0");
  EXPECT_TRUE(v2doc["definitions"].contains("io.k8s.api.apps.v1.Deployment"));
  bool fv = false;
  for (const auto& p : v2doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]["parameters"]) {
    fv = fv || p["name"] == "fieldValidation";
  }
  EXPECT_TRUE(fv);
}

TEST_F(OpenApi, FieldTreesFindUnknownFieldsOfBuiltInKinds) {
  auto tree = svc().FieldTreeFor("apps", "v1", "Deployment");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(svc().FieldTreeFor("apps", "v1", "Deployment"), tree) << "compiled once";
  auto issues = resource::FindFieldIssues(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","labels":{"app":"web"},"managedFields":[{"manager":"m","fieldsV1":{"f:x":{}}}]},
      "spec":{"replicas":2,"replica":3,"selector":{"matchLabels":{"app":"web"}},
        "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx",
          "imagee":"x","ports":[{"containerPort":80}],"startupProbe":{"grpc":{"port":1}},
          "resources":{"limits":{"cpu":"1"}}}],"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"k",
          "whenUnsatisfiable":"DoNotSchedule"}]}}}})",
                                          *tree);
  EXPECT_EQ(issues.messages, (std::vector<std::string>{R"(unknown field "spec.replica")",
                                                       R"(unknown field "spec.template.spec.containers[0].imagee")"}));
  EXPECT_EQ(svc().FieldTreeFor("nope", "v1", "Nothing"), nullptr);
}

TEST_F(OpenApi, CheckFieldsGivesKubesErrorsAndWarnings) {
  const std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"a"},"bogus":1})";
  auto strict = CheckFields(&svc(), "", "v1", "ConfigMap", "Strict", body, FieldCheckBody::kObject, "CreateOptions");
  ASSERT_TRUE(strict.error);
  EXPECT_EQ(strict.error->code, ErrorCode::kBadRequest);
  EXPECT_EQ(strict.error->message, R"(ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding )"
                                   R"(error: duplicate field "metadata.name", unknown field "bogus")");
  for (const char* directive : {"Warn", ""}) {
    auto warn = CheckFields(&svc(), "", "v1", "ConfigMap", directive, body, FieldCheckBody::kObject, "CreateOptions");
    EXPECT_FALSE(warn.error);
    EXPECT_EQ(warn.warnings, (std::vector<std::string>{R"(299 - "duplicate field \"metadata.name\"")",
                                                       R"(299 - "unknown field \"bogus\"")"}));
  }
  auto ignore = CheckFields(&svc(), "", "v1", "ConfigMap", "Ignore", body, FieldCheckBody::kObject, "CreateOptions");
  EXPECT_FALSE(ignore.error);
  EXPECT_TRUE(ignore.warnings.empty());
  auto bad = CheckFields(&svc(), "", "v1", "ConfigMap", "strict", body, FieldCheckBody::kObject, "PatchOptions");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, ErrorCode::kInvalid);
  EXPECT_NE(bad.error->message.find("PatchOptions.meta.k8s.io"), std::string::npos) << bad.error->message;
  EXPECT_NE(bad.error->message.find(R"(fieldValidation: Unsupported value: "strict")"), std::string::npos);
  auto smp = CheckFields(&svc(), "apps", "v1", "Deployment", "Strict",
                         R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],)"
                         R"("containers":[{"name":"a","imagePullPolicyy":"x"}]}}}})",
                         FieldCheckBody::kStrategicMergePatch, "PatchOptions");
  ASSERT_TRUE(smp.error);
  EXPECT_EQ(smp.error->message,
            R"(strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy")");
  EXPECT_FALSE(CheckFields(nullptr, "", "v1", "ConfigMap", "Strict", body, FieldCheckBody::kObject, "CreateOptions")
                   .error);
}

TEST_F(OpenApi, RebuildAddsCustomResourcesAndSharesBuiltIns) {
  std::vector<resource::Kind> kinds;
  resource::Kind crd;
  crd.info.group = "stable.example.com";
  crd.info.version = "v1";
  crd.info.resource = "crontabs";
  crd.info.kind = "CronTab";
  crd.info.singular = "crontab";
  crd.info.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  kinds.push_back(crd);
  Registry with_crd(*registry_, std::move(kinds));
  json schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object","properties":{
      "cronSpec":{"type":"string"},"replicas":{"type":"integer"}}}}})");
  auto extra = CustomResourceDefinitions("stable.example.com", "v1", "CronTab", "CronTabList", schema);
  ASSERT_TRUE(extra.contains("com.example.stable.v1.CronTab"));
  auto rebuilt = svc().Rebuild(with_crd, extra);
  ASSERT_NE(rebuilt, nullptr);
  json doc = json::parse(rebuilt->GroupVersionDocument("apis/stable.example.com/v1"));
  EXPECT_TRUE(doc["components"]["schemas"].contains("com.example.stable.v1.CronTab"));
  EXPECT_TRUE(doc["paths"].contains("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"));
  EXPECT_EQ(rebuilt->GroupVersionDocument("apis/apps/v1"), svc().GroupVersionDocument("apis/apps/v1"));
  EXPECT_EQ(rebuilt->FieldTreeFor("apps", "v1", "Deployment"), svc().FieldTreeFor("apps", "v1", "Deployment"))
      << "built-in field trees are shared";
  auto tree = rebuilt->FieldTreeFor("stable.example.com", "v1", "CronTab");
  ASSERT_NE(tree, nullptr);
  auto issues = resource::FindFieldIssues(
      R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a","nam":"b"},
          "spec":{"cronSpec":"* * * * *","replica":1}})",
      *tree);
  EXPECT_EQ(issues.messages,
            (std::vector<std::string>{R"(unknown field "metadata.nam")", R"(unknown field "spec.replica")"}));
  // The original service is unchanged.
  EXPECT_EQ(svc().GroupVersionDocument("apis/stable.example.com/v1"), "");
}

// Structural comparison with a real kube-apiserver 1.32: every definition reachable from a served
// kind has the same field names (descriptions are our own and are not compared).
TEST_F(OpenApi, FieldsMatchKubeApiserver) {
  auto dir = ReferenceDir() / "openapi-v3";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "reference data not present";
  int problems = 0;
  for (const auto& key : svc().GroupVersions()) {
    std::string file = key;
    for (std::size_t p = file.find('/'); p != std::string::npos; p = file.find('/')) file.replace(p, 1, "__");
    auto ref = LoadJson(dir / (file + ".json"));
    if (!ref) {
      ADD_FAILURE() << "no reference document for " << key;
      continue;
    }
    json ours = Doc(key);
    const json& want = (*ref)["components"]["schemas"];
    for (const auto& [name, schema] : ours["components"]["schemas"].items()) {
      if (!want.contains(name)) {
        ADD_FAILURE() << key << ": " << name << " is not in kube-apiserver's document";
        ++problems;
        continue;
      }
      std::set<std::string> a, b;
      const json ours_props = schema.value("properties", json::object());
      const json want_props = want[name].value("properties", json::object());
      for (const auto& [p, _] : ours_props.items()) a.insert(p);
      for (const auto& [p, _] : want_props.items()) b.insert(p);
      std::vector<std::string> missing, extra;
      std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(missing));
      std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(extra));
      if (!missing.empty() || !extra.empty()) {
        ++problems;
        std::string m, e;
        for (const auto& s : missing) m += s + " ";
        for (const auto& s : extra) e += s + " ";
        ADD_FAILURE() << key << " " << name << " missing: " << m << " extra: " << e;
      }
    }
  }
  EXPECT_EQ(problems, 0);
}

// The same comparison for every resource kube-apiserver 1.32 serves in the groups vkube serves
// (a registry made from the reference discovery document), so each group's additions are checked
// even before its kinds are registered.
TEST_F(OpenApi, AllKubeKindsMatchKubeApiserver) {
  auto disc = LoadJson(ReferenceDir() / "discovery" / "aggregated-apis.json");
  auto core = LoadJson(ReferenceDir() / "discovery" / "aggregated-api.json");
  if (!disc || !core) GTEST_SKIP() << "reference data not present";
  const std::set<std::string> skipped_groups = {"apiregistration.k8s.io", "authentication.k8s.io",
                                                "authorization.k8s.io", "certificates.k8s.io",
                                                "flowcontrol.apiserver.k8s.io", "node.k8s.io"};
  const std::set<std::string> skipped_resources = {"bindings", "validatingadmissionpolicies",
                                                   "validatingadmissionpolicybindings", "csistoragecapacities"};
  std::vector<resource::Kind> kinds;
  for (const json* list : {&*core, &*disc}) {
    for (const auto& g : (*list)["items"]) {
      std::string group = g["metadata"].value("name", "");
      if (skipped_groups.contains(group)) continue;
      for (const auto& v : g["versions"]) {
        for (const auto& r : v["resources"]) {
          if (skipped_resources.contains(r["resource"].get<std::string>())) continue;
          resource::Kind k;
          k.info.group = group;
          k.info.version = v["version"].get<std::string>();
          k.info.resource = r["resource"].get<std::string>();
          k.info.kind = r["responseKind"]["kind"].get<std::string>();
          k.info.singular = r["singularResource"].get<std::string>();
          k.info.namespaced = r["scope"] == "Namespaced";
          k.info.verbs = r["verbs"].get<std::vector<std::string>>();
          for (const auto& s : r.value("subresources", json::array())) k.info.has_status |= s["subresource"] == "status";
          kinds.push_back(std::move(k));
        }
      }
    }
  }
  Registry all(kinds);
  auto rebuilt = svc().Rebuild(all);
  auto dir = ReferenceDir() / "openapi-v3";
  int problems = 0, compared = 0;
  for (const auto& key : rebuilt->GroupVersions()) {
    std::string file = key;
    for (std::size_t p = file.find('/'); p != std::string::npos; p = file.find('/')) file.replace(p, 1, "__");
    auto ref = LoadJson(dir / (file + ".json"));
    ASSERT_TRUE(ref) << key;
    json ours = json::parse(rebuilt->GroupVersionDocument(key));
    const json& want = (*ref)["components"]["schemas"];
    for (const auto& [name, schema] : ours["components"]["schemas"].items()) {
      if (!want.contains(name)) {
        ADD_FAILURE() << key << ": " << name << " is not in kube-apiserver's document";
        ++problems;
        continue;
      }
      std::set<std::string> a, b;
      const json ours_props = schema.value("properties", json::object());
      const json want_props = want[name].value("properties", json::object());
      for (const auto& [p, _] : ours_props.items()) a.insert(p);
      for (const auto& [p, _] : want_props.items()) b.insert(p);
      ++compared;
      if (a != b) {
        ++problems;
        std::string m, e;
        for (const auto& s : b) {
          if (!a.contains(s)) m += s + " ";
        }
        for (const auto& s : a) {
          if (!b.contains(s)) e += s + " ";
        }
        ADD_FAILURE() << key << " " << name << " missing: " << m << " extra: " << e;
      }
    }
    int dummy = 0;
    CheckWellFormed(ours["components"]["schemas"], ours["components"]["schemas"], key, dummy);
  }
  EXPECT_EQ(problems, 0);
  EXPECT_GE(rebuilt->GroupVersions().size(), 15u);
  EXPECT_GT(compared, 600) << "schemas compared";
}

TEST(SchemaAdditions, CopyRetargetsPatchesAndRemoves) {
  json defs = json::parse(R"({
    "a.v1beta1.Foo": {"properties": {"spec": {"$ref": "#/definitions/a.v1beta1.FooSpec"},
                                     "other": {"$ref": "#/definitions/b.v1.Other"}},
                      "x-kubernetes-group-version-kind": [{"group": "a", "version": "v1beta1", "kind": "Foo"}]},
    "a.v1beta1.FooSpec": {"properties": {"x": {"type": "string"}}},
    "b.v1.Other": {"type": "object"}
  })");
  std::vector<json> docs = {json::parse(R"({
    "copy": [{"from": "a.v1beta1", "to": "a.v1", "group": "a", "version": "v1", "names": ["Foo", "FooSpec"]}],
    "patch": {"a.v1.FooSpec": {"properties": {"x": null, "y": {"type": "integer"}}}},
    "remove": ["a.v1beta1.Foo"]
  })")};
  ASSERT_TRUE(ApplySchemaAdditions(defs, docs).ok());
  EXPECT_FALSE(defs.contains("a.v1beta1.Foo"));
  EXPECT_EQ(defs["a.v1.Foo"]["properties"]["spec"]["$ref"], "#/definitions/a.v1.FooSpec");
  EXPECT_EQ(defs["a.v1.Foo"]["properties"]["other"]["$ref"], "#/definitions/b.v1.Other");
  EXPECT_EQ(defs["a.v1.Foo"]["x-kubernetes-group-version-kind"][0]["version"], "v1");
  EXPECT_EQ(defs["a.v1.FooSpec"]["properties"], json::parse(R"({"y": {"type": "integer"}})"));
  EXPECT_EQ(defs["a.v1beta1.FooSpec"]["properties"]["x"]["type"], "string") << "the source stays";

  json bad = defs;
  EXPECT_FALSE(ApplySchemaAdditions(bad, {json::parse(R"({"patch": {"no.Such": {}}})")}).ok());
  EXPECT_FALSE(ApplySchemaAdditions(bad, {json::parse(R"({"copy": [{"from": "x", "to": "y", "names": ["Z"]}]})")}).ok());
}

TEST(SchemaAdditions, NormalizeDerivesListTypes) {
  json defs = json::parse(R"({"X": {"properties": {
    "byName": {"type": "array", "items": {"type": "object"}, "x-kubernetes-patch-merge-key": "name",
               "x-kubernetes-patch-strategy": "merge"},
    "set": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-strategy": "merge"},
    "kept": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}}}})");
  NormalizeDefinitions(defs);
  EXPECT_EQ(defs["X"]["type"], "object");
  EXPECT_EQ(defs["X"]["properties"]["byName"]["x-kubernetes-list-type"], "map");
  EXPECT_EQ(defs["X"]["properties"]["byName"]["x-kubernetes-list-map-keys"], json::array({"name"}));
  EXPECT_EQ(defs["X"]["properties"]["set"]["x-kubernetes-list-type"], "set");
  EXPECT_EQ(defs["X"]["properties"]["kept"]["x-kubernetes-list-type"], "atomic");
}

TEST(DefinitionNames, KubeNaming) {
  EXPECT_EQ(DefaultDefinitionName("", "v1", "Pod"), "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(DefaultDefinitionName("networking.k8s.io", "v1", "Ingress"), "io.k8s.api.networking.v1.Ingress");
  EXPECT_EQ(DefaultDefinitionName("rbac.authorization.k8s.io", "v1", "Role"), "io.k8s.api.rbac.v1.Role");
  EXPECT_EQ(DefaultDefinitionName("apps", "v1", "Deployment"), "io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(DefaultDefinitionName("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition");
  EXPECT_EQ(DefaultDefinitionName("stable.example.com", "v1", "CronTab"), "com.example.stable.v1.CronTab");
}

}  // namespace
}  // namespace vkube::apiserver

namespace vkube::apiserver {
namespace {

// gnostic's wire form, byte for byte, for a document small enough to write by hand.
TEST(OpenApiV2Protobuf, EncodesGnosticDocument) {
  auto doc = nlohmann::json::parse(
      R"({"swagger":"2.0","definitions":{"A":{"type":"object","properties":{"x":{"type":"string"}}}}})");
  const std::string type_string = std::string("\x0a\x06string", 8);
  const std::string schema_x = std::string("\xb2\x01\x08", 3) + type_string;
  const std::string named_x = std::string("\x0a\x01x\x12\x0b", 5) + schema_x;
  const std::string properties = std::string("\x0a\x10", 2) + named_x;
  const std::string schema_a = std::string("\xb2\x01\x08\x0a\x06object", 11) + std::string("\xca\x01\x12", 3) + properties;
  const std::string named_a = std::string("\x0a\x01" "A" "\x12\x20", 5) + schema_a;
  const std::string definitions = std::string("\x0a\x25", 2) + named_a;
  const std::string want = std::string("\x0a\x03" "2.0" "\x4a\x27", 7) + definitions;
  EXPECT_EQ(EncodeOpenApiV2Protobuf(doc), want);
  EXPECT_EQ(EncodeOpenApiV2Protobuf(nlohmann::json::array()), "") << "never throws on odd input";
}

}  // namespace
}  // namespace vkube::apiserver
