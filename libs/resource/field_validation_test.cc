#include "libs/resource/field_validation.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using nlohmann::json;
using ::testing::Test;

// A miniature of Kubernetes' definitions, in OpenAPI v2 form (refs to #/definitions/).
json Definitions() {
  return json::parse(R"({
    "meta.ObjectMeta": {"type": "object", "properties": {
      "name": {"type": "string"}, "namespace": {"type": "string"},
      "managedFields": {"type": "array", "items": {"type": "object", "properties": {
        "manager": {"type": "string"}, "fieldsV1": {"$ref": "#/definitions/meta.FieldsV1"}}}},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}},
      "ownerReferences": {"type": "array", "items": {"$ref": "#/definitions/meta.OwnerReference"}}}},
    "meta.OwnerReference": {"type": "object", "properties": {"name": {"type": "string"}, "uid": {"type": "string"}}},
    "runtime.RawExtension": {"type": "object"},
    "meta.FieldsV1": {"type": "object"},
    "intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "core.Container": {"type": "object", "required": ["name"], "properties": {
      "name": {"type": "string"}, "image": {"type": "string"},
      "ports": {"type": "array", "items": {"$ref": "#/definitions/core.ContainerPort"}},
      "resources": {"type": "object", "properties": {
         "limits": {"type": "object", "additionalProperties": {"$ref": "#/definitions/resource.Quantity"}}}}}},
    "core.ContainerPort": {"type": "object", "properties": {"containerPort": {"type": "integer"},
      "targetPort": {"$ref": "#/definitions/intstr.IntOrString"}}},
    "resource.Quantity": {"type": "string"},
    "core.Pod": {"type": "object", "properties": {
      "apiVersion": {"type": "string"}, "kind": {"type": "string"},
      "metadata": {"$ref": "#/definitions/meta.ObjectMeta"},
      "spec": {"type": "object", "properties": {
        "containers": {"type": "array", "items": {"$ref": "#/definitions/core.Container"}},
        "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
        "extra": {"$ref": "#/definitions/runtime.RawExtension"},
        "anything": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}},
    "schema.Props": {"type": "object", "properties": {
      "type": {"type": "string"},
      "properties": {"type": "object", "additionalProperties": {"$ref": "#/definitions/schema.Props"}},
      "items": {"$ref": "#/definitions/schema.Props"}}},
    "v3.Wrapped": {"type": "object", "properties": {
      "metadata": {"default": {}, "allOf": [{"$ref": "#/components/schemas/meta.ObjectMeta"}]}}}
  })");
}

class FieldValidationTest : public Test {
 protected:
  SchemaLookup Lookup() {
    return [this](std::string_view name) -> const json* {
      auto it = defs_.find(std::string(name));
      return it == defs_.end() ? nullptr : &*it;
    };
  }
  std::vector<std::string> Issues(std::string_view root, std::string_view body) {
    auto tree = FieldTree::Compile(root, Lookup());
    EXPECT_NE(tree, nullptr);
    if (!tree) return {};
    auto issues = FindFieldIssues(body, *tree);
    EXPECT_FALSE(issues.parse_error);
    return issues.messages;
  }
  json defs_ = Definitions();
};

TEST_F(FieldValidationTest, ParsesDirectives) {
  EXPECT_EQ(ParseFieldValidation(""), FieldValidation::kWarn);
  EXPECT_EQ(ParseFieldValidation("Warn"), FieldValidation::kWarn);
  EXPECT_EQ(ParseFieldValidation("Strict"), FieldValidation::kStrict);
  EXPECT_EQ(ParseFieldValidation("Ignore"), FieldValidation::kIgnore);
  EXPECT_EQ(ParseFieldValidation("strict"), std::nullopt);
}

TEST_F(FieldValidationTest, KnownFieldsPass) {
  EXPECT_TRUE(Issues("core.Pod", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"y"}},
      "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"targetPort":"http"}],
      "resources":{"limits":{"cpu":"1"}}}],"nodeSelector":{"k":"v"}}})")
                  .empty());
}

TEST_F(FieldValidationTest, ReportsUnknownFieldsWithKubePaths) {
  auto issues = Issues("core.Pod", R"({"apiVersion":"v1","foo":1,"spec":{"bar":{"deep":true},
      "containers":[{"name":"a"},{"name":"b","imagee":"x","ports":[{"containerPort":1,"hostPortt":2}]}]}})");
  EXPECT_EQ(issues, (std::vector<std::string>{R"(unknown field "foo")", R"(unknown field "spec.bar")",
                                              R"(unknown field "spec.containers[1].imagee")",
                                              R"(unknown field "spec.containers[1].ports[0].hostPortt")"}));
}

TEST_F(FieldValidationTest, ReportsDuplicateFields) {
  auto issues = Issues("core.Pod", R"({"metadata":{"name":"a","name":"b"},"kind":"Pod","kind":"Pod",
      "spec":{"nodeSelector":{"k":"1","k":"2"}}})");
  EXPECT_EQ(issues, (std::vector<std::string>{R"(duplicate field "metadata.name")", R"(duplicate field "kind")",
                                              R"(duplicate field "spec.nodeSelector.k")"}));
}

TEST_F(FieldValidationTest, NothingBelowAnUnknownOrOpaqueFieldIsChecked) {
  auto issues = Issues("core.Pod", R"({"spec":{"nope":{"a":1,"a":2},"extra":{"x":1,"x":2,"y":{"z":1}}}})");
  EXPECT_EQ(issues, (std::vector<std::string>{R"(unknown field "spec.nope")"}));
}

TEST_F(FieldValidationTest, PreserveUnknownFieldsAcceptsAnythingButDuplicates) {
  auto issues = Issues("core.Pod", R"({"spec":{"anything":{"a":{"b":[1,{"c":2}]},"d":1,"d":2}}})");
  EXPECT_EQ(issues, (std::vector<std::string>{R"(duplicate field "spec.anything.d")"}));
}

TEST_F(FieldValidationTest, RecursiveSchemasShareNodes) {
  auto tree = FieldTree::Compile("schema.Props", Lookup());
  ASSERT_NE(tree, nullptr);
  EXPECT_LT(tree->size(), 10u);
  auto issues = FindFieldIssues(R"({"type":"object","properties":{"a":{"items":{"type":"x","bogus":1}}}})", *tree);
  EXPECT_EQ(issues.messages, (std::vector<std::string>{R"(unknown field "properties.a.items.bogus")"}));
}

TEST_F(FieldValidationTest, FollowsV3AllOfWrappedReferences) {
  auto issues = Issues("#/components/schemas/v3.Wrapped", R"({"metadata":{"name":"x","nam":"y"}})");
  EXPECT_EQ(issues, (std::vector<std::string>{R"(unknown field "metadata.nam")"}));
}

TEST_F(FieldValidationTest, StructuralSchemasPruneEmptyObjectsAndKnowObjectMeta) {
  json crd = json::parse(R"({"type":"object","properties":{
      "spec":{"type":"object","properties":{"replicas":{"type":"integer"},"config":{"type":"object"},
              "raw":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
              "port":{"x-kubernetes-int-or-string":true}}}}})");
  defs_["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] = defs_["meta.ObjectMeta"];
  auto tree = FieldTree::CompileSchema(crd, Lookup());
  ASSERT_NE(tree, nullptr);
  auto issues = FindFieldIssues(R"({"apiVersion":"example.com/v1","kind":"Foo","metadata":{"name":"a","bad":1,
      "managedFields":[{"manager":"m","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
      "spec":{"replicas":1,"config":{"k":"v"},"raw":{"k":"v"},"port":"80","other":1}})",
                                *tree);
  EXPECT_EQ(issues.messages, (std::vector<std::string>{R"(unknown field "metadata.bad")",
                                                       R"(unknown field "spec.config.k")",
                                                       R"(unknown field "spec.other")"}));
}

TEST_F(FieldValidationTest, UnresolvableRootIsNull) {
  EXPECT_EQ(FieldTree::Compile("no.Such", Lookup()), nullptr);
  EXPECT_EQ(FieldTree::Compile("core.Pod", nullptr), nullptr);
}

TEST_F(FieldValidationTest, NodeLimitBoundsCompilation) {
  FieldTree::Limits limits;
  limits.max_nodes = 3;
  EXPECT_EQ(FieldTree::Compile("core.Pod", Lookup(), FieldTree::Mode::kBuiltin, limits), nullptr);
}

TEST_F(FieldValidationTest, IssueLimitTruncates) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  FieldIssueOptions limits;
  limits.max_issues = 2;
  auto issues = FindFieldIssues(R"({"a":1,"b":2,"c":3})", *tree, limits);
  EXPECT_EQ(issues.messages.size(), 2u);
  EXPECT_TRUE(issues.truncated);
}

TEST_F(FieldValidationTest, StrategicMergePatchDirectivesAreNotFields) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  std::string_view patch = R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],
      "containers":[{"name":"a","$patch":"delete"},{"name":"b","imagee":"x"}],"$retainKeys":["x"]}})";
  FieldIssueOptions smp;
  smp.strategic_merge_patch = true;
  EXPECT_EQ(FindFieldIssues(patch, *tree, smp).messages,
            (std::vector<std::string>{R"(unknown field "spec.containers[1].imagee")"}));
  EXPECT_EQ(FindFieldIssues(patch, *tree).messages.size(), 4u) << "as a plain body the directives are unknown";
}

TEST_F(FieldValidationTest, DeepNestingNeedsNoRecursion) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  std::string deep = R"({"spec":{"anything":)" + std::string(200000, '[') + std::string(200000, ']') + "}}";
  auto issues = FindFieldIssues(deep, *tree);
  EXPECT_FALSE(issues.parse_error);
  EXPECT_TRUE(issues.empty());
}

TEST_F(FieldValidationTest, ParseErrorsAreFlagged) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  auto issues = FindFieldIssues(R"({"foo":1,)", *tree);
  EXPECT_TRUE(issues.parse_error);
  EXPECT_EQ(issues.messages, (std::vector<std::string>{R"(unknown field "foo")"}));
}

TEST_F(FieldValidationTest, WrongScalarTypesAreGoDecodeErrors) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  auto issues = FindFieldIssues(R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":"eighty"}]}]}})", *tree);
  EXPECT_EQ(issues.type_error,
            "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort "
            "of type int");
  EXPECT_TRUE(issues.messages.empty());
  issues = FindFieldIssues(R"({"metadata":{"name":{"a":1}}})", *tree);
  EXPECT_EQ(issues.type_error, "json: cannot unmarshal object into Go struct field ObjectMeta.metadata.name of type string");
  // Quantities and int-or-strings take numbers and strings; null fits anything.
  issues = FindFieldIssues(R"({"metadata":{"name":null},"spec":{"containers":[{"name":"c",
      "resources":{"limits":{"cpu":1,"memory":"1Gi"}},"ports":[{"targetPort":8080},{"targetPort":"http"}]}]}})",
                           *tree);
  EXPECT_EQ(issues.type_error, "");
  EXPECT_EQ(CannotBeDecodedMessage("Pod", "v1", "json: x"), R"(Pod in version "v1" cannot be handled as a Pod: json: x)");
}

TEST_F(FieldValidationTest, CustomResourceValuesAreNotTypeChecked) {
  auto tree = FieldTree::CompileSchema(json::parse(R"({"type":"object","properties":{"spec":{"type":"object",
      "properties":{"size":{"type":"integer"}}}}})"),
                                       Lookup());
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(FindFieldIssues(R"({"spec":{"size":"big"}})", *tree).type_error, "");
}

TEST_F(FieldValidationTest, PruningDropsWhatTheSchemaDoesNotKnow) {
  auto tree = FieldTree::Compile("core.Pod", Lookup());
  ASSERT_NE(tree, nullptr);
  json pod = json::parse(R"({"apiVersion":"v1","foo":1,"metadata":{"name":"a","labels":{"any":"x"}},
      "spec":{"containers":[{"name":"c","bogus":true}],"extra":{"kept":1},"anything":{"kept":{"deep":1}}}})");
  PruneUnknownFields(pod, *tree);
  EXPECT_EQ(pod, json::parse(R"({"apiVersion":"v1","metadata":{"name":"a","labels":{"any":"x"}},
      "spec":{"containers":[{"name":"c"}],"extra":{"kept":1},"anything":{"kept":{"deep":1}}}})"));
}

TEST_F(FieldValidationTest, KubeMessageForms) {
  FieldIssues issues;
  issues.messages = {R"(unknown field "spec.foo")", R"(duplicate field "metadata.name")"};
  EXPECT_EQ(StrictDecodingError(issues),
            R"(strict decoding error: unknown field "spec.foo", duplicate field "metadata.name")");
  EXPECT_EQ(CannotBeHandledMessage("Deployment", "v1", issues),
            R"(Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: )"
            R"(unknown field "spec.foo", duplicate field "metadata.name")");
  EXPECT_EQ(WarningHeaderValue(R"(unknown field "spec.foo")"), R"(299 - "unknown field \"spec.foo\"")");
}

}  // namespace
}  // namespace vkube::resource
