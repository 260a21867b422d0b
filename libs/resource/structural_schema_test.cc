#include "libs/resource/structural_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace vkube::resource {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kPath = "spec.versions[0].schema.openAPIV3Schema";

std::vector<std::string> Render(const std::vector<FieldCause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes) out.push_back(c.field + ": " + c.message);
  return out;
}

std::vector<std::string> Check(const json& schema) { return Render(StructuralSchema::Check(schema, kPath)); }

// A root object schema with the given spec properties.
json SpecSchema(const json& spec_props, const json& extra = json::object()) {
  json spec = {{"type", "object"}, {"properties", spec_props}};
  spec.update(extra);
  return {{"type", "object"}, {"properties", {{"spec", spec}}}};
}

std::vector<std::string> Validate(const json& schema, const json& obj) {
  std::vector<FieldCause> errs;
  StructuralSchema::Compile(schema)->Validate(obj, errs);
  return Render(errs);
}

std::vector<std::string> ValidateSpec(const json& spec_props, const json& spec) {
  return Validate(SpecSchema(spec_props), {{"apiVersion", "example.com/v1"}, {"kind", "Foo"}, {"spec", spec}});
}

// --- Validate: types --------------------------------------------------------------------------------------

TEST(StructuralSchemaValidate, TypeMismatchUsesKubeOpenAPIWording) {
  auto errs = ValidateSpec({{"replicas", {{"type", "integer"}}}}, {{"replicas", "string"}});
  EXPECT_THAT(
      errs, ElementsAre(
                R"(spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string")"));
  std::vector<FieldCause> causes;
  StructuralSchema::Compile(SpecSchema({{"replicas", {{"type", "integer"}}}}))
      ->Validate({{"spec", {{"replicas", "x"}}}}, causes);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].type, "FieldValueTypeInvalid");
}

TEST(StructuralSchemaValidate, EveryJsonKindNamesItsType) {
  json props = {{"field", {{"type", "object"}}}};
  EXPECT_THAT(
      ValidateSpec(props, {{"field", 42}}),
      ElementsAre(R"(spec.field: Invalid value: "integer": spec.field in body must be of type object: "integer")"));
  EXPECT_THAT(
      ValidateSpec(props, {{"field", true}}),
      ElementsAre(R"(spec.field: Invalid value: "boolean": spec.field in body must be of type object: "boolean")"));
  EXPECT_THAT(
      ValidateSpec(props, {{"field", 1.2}}),
      ElementsAre(R"(spec.field: Invalid value: "number": spec.field in body must be of type object: "number")"));
  EXPECT_THAT(ValidateSpec(props, {{"field", json::array()}}),
              ElementsAre(R"(spec.field: Invalid value: "array": spec.field in body must be of type object: "array")"));
  EXPECT_THAT(ValidateSpec(props, {{"field", nullptr}}),
              ElementsAre(R"(spec.field: Invalid value: "null": spec.field in body must be of type object: "null")"));
}

TEST(StructuralSchemaValidate, IntegralFloatsAreIntegersAndIntegersAreNumbers) {
  json props = {{"i", {{"type", "integer"}}}, {"n", {{"type", "number"}}}};
  EXPECT_THAT(ValidateSpec(props, {{"i", 3.0}, {"n", 3}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"i", 1.5}}),
              ElementsAre(R"(spec.i: Invalid value: "number": spec.i in body must be of type integer: "number")"));
}

TEST(StructuralSchemaValidate, IntOrString) {
  json props = {{"port", {{"x-kubernetes-int-or-string", true}}}};
  EXPECT_THAT(ValidateSpec(props, {{"port", 80}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"port", "http"}}), IsEmpty());
  EXPECT_THAT(
      ValidateSpec(props, {{"port", true}}),
      ElementsAre(
          R"(spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean")"));
}

TEST(StructuralSchemaValidate, IntOrStringAnyOfPatternReportsTheFirstAlternative) {
  json props = {
      {"field",
       {{"x-kubernetes-int-or-string", true}, {"anyOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}}}};
  EXPECT_THAT(
      ValidateSpec(props, {{"field", 1.2}}),
      ElementsAre(R"(spec.field: Invalid value: "number": spec.field in body must be of type integer,string: "number")",
                  R"(<nil>: Invalid value: "": "spec.field" must validate at least one schema (anyOf))",
                  R"(spec.field: Invalid value: "number": spec.field in body must be of type integer: "number")"));
}

TEST(StructuralSchemaValidate, Nullable) {
  EXPECT_THAT(ValidateSpec({{"a", {{"type", "string"}, {"nullable", true}}}}, {{"a", nullptr}}), IsEmpty());
  EXPECT_THAT(ValidateSpec({{"a", {{"type", "string"}}}}, {{"a", nullptr}}),
              ElementsAre(R"(spec.a: Invalid value: "null": spec.a in body must be of type string: "null")"));
}

TEST(StructuralSchemaValidate, StringFormatOnANumberNamesTheFormat) {
  EXPECT_THAT(ValidateSpec({{"d", {{"type", "string"}, {"format", "date"}}}}, {{"d", 5}}),
              ElementsAre(R"(spec.d: Invalid value: "int64": spec.d in body must be of type date: "int64")"));
}

// --- Validate: keywords ---------------------------------------------------------------------------------

TEST(StructuralSchemaValidate, Enum) {
  json props = {{"mode", {{"type", "string"}, {"enum", {"a", "b"}}}}, {"n", {{"type", "integer"}, {"enum", {1, 2}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"mode", "a"}, {"n", 2}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"mode", "x"}, {"n", 3}}),
              ElementsAre(R"(spec.mode: Unsupported value: "x": supported values: "a", "b")",
                          R"(spec.n: Unsupported value: 3: supported values: "1", "2")"));
  // Both the type and the enum fail (kube's own test case).
  EXPECT_THAT(ValidateSpec(props, {{"mode", true}}),
              ElementsAre(R"(spec.mode: Invalid value: "boolean": spec.mode in body must be of type string: "boolean")",
                          R"(spec.mode: Unsupported value: true: supported values: "a", "b")"));
}

TEST(StructuralSchemaValidate, NullNeverMatchesAnEnum) {
  json props = {{"mode", {{"type", "string"}, {"nullable", true}, {"enum", {"a"}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"mode", nullptr}}),
              ElementsAre(R"(spec.mode: Unsupported value: "null": supported values: "a")"));
}

TEST(StructuralSchemaValidate, Required) {
  json schema = SpecSchema({{"name", {{"type", "string"}}}}, {{"required", {"name"}}});
  schema["required"] = {"spec"};
  EXPECT_THAT(Validate(schema, {{"kind", "Foo"}}), ElementsAre("spec: Required value"));
  EXPECT_THAT(Validate(schema, {{"spec", json::object()}}), ElementsAre("spec.name: Required value"));
}

TEST(StructuralSchemaValidate, MinimumAndMaximum) {
  json props = {{"replicas", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}},
                {"ratio", {{"type", "number"}, {"minimum", 0.5}, {"exclusiveMaximum", true}, {"maximum", 1}}}};
  EXPECT_THAT(ValidateSpec(props, {{"replicas", 10}, {"ratio", 0.5}}), IsEmpty());
  EXPECT_THAT(
      ValidateSpec(props, {{"replicas", 11}}),
      ElementsAre("spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"));
  EXPECT_THAT(
      ValidateSpec(props, {{"replicas", 0}}),
      ElementsAre("spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"));
  EXPECT_THAT(
      ValidateSpec(props, {{"ratio", 0.25}}),
      ElementsAre("spec.ratio: Invalid value: 0.25: spec.ratio in body should be greater than or equal to 0.5"));
  EXPECT_THAT(ValidateSpec(props, {{"ratio", 1}}),
              ElementsAre("spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"));
}

TEST(StructuralSchemaValidate, ExclusiveMinimumAndIntegerBoundsTruncate) {
  json props = {{"n", {{"type", "integer"}, {"minimum", 0}, {"exclusiveMinimum", true}}},
                {"m", {{"type", "integer"}, {"minimum", 1.5}}}};
  EXPECT_THAT(ValidateSpec(props, {{"n", 0}}),
              ElementsAre("spec.n: Invalid value: 0: spec.n in body should be greater than 0"));
  // kube compares int64 data with int64(minimum): 1 >= int64(1.5).
  EXPECT_THAT(ValidateSpec(props, {{"m", 1}}), IsEmpty());
}

TEST(StructuralSchemaValidate, MultipleOf) {
  json props = {{"n", {{"type", "integer"}, {"multipleOf", 3}}},
                {"f", {{"type", "number"}, {"multipleOf", 0.5}}},
                {"h", {{"type", "integer"}, {"multipleOf", 0.5}}}};
  EXPECT_THAT(ValidateSpec(props, {{"n", 9}, {"f", 1.5}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"n", 4}}),
              ElementsAre("spec.n: Invalid value: 4: spec.n in body should be a multiple of 3"));
  EXPECT_THAT(ValidateSpec(props, {{"f", 1.25}}),
              ElementsAre("spec.f: Invalid value: 1.25: spec.f in body should be a multiple of 0.5"));
  EXPECT_THAT(ValidateSpec(props, {{"h", 3}}),
              ElementsAre("spec.h: Invalid value: 0: factor MultipleOf declared for spec.h must be positive: 0"));
}

TEST(StructuralSchemaValidate, StringLengthsCountRunes) {
  json props = {{"name", {{"type", "string"}, {"maxLength", 3}, {"minLength", 2}}}};
  EXPECT_THAT(ValidateSpec(props, {{"name", "\xc3\xa4\xc3\xb6\xc3\xbc"}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"name", "abcd"}}),
              ElementsAre("spec.name: Too long: may not be more than 3 bytes"));
  EXPECT_THAT(ValidateSpec(props, {{"name", "a"}}),
              ElementsAre(R"(spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long)"));
  std::vector<FieldCause> causes;
  StructuralSchema::Compile(SpecSchema(props))->Validate({{"spec", {{"name", "abcd"}}}}, causes);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].type, "FieldValueTooLong");
}

TEST(StructuralSchemaValidate, Pattern) {
  json props = {{"name", {{"type", "string"}, {"pattern", "^[a-z]+$"}}}};
  EXPECT_THAT(ValidateSpec(props, {{"name", "abc"}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"name", "ABC"}}),
              ElementsAre(R"(spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$')"));
  // Go semantics: '$' is the end of the text, not of a line.
  EXPECT_THAT(ValidateSpec(props, {{"name", "abc\n"}}), ::testing::SizeIs(1));
  // Unanchored patterns search.
  EXPECT_THAT(ValidateSpec({{"name", {{"type", "string"}, {"pattern", "b+"}}}}, {{"name", "abbc"}}), IsEmpty());
}

TEST(StructuralSchemaValidate, OnlyTheFirstStringFailureIsReported) {
  json props = {{"name", {{"type", "string"}, {"maxLength", 2}, {"pattern", "^[0-9]+$"}}}};
  EXPECT_THAT(ValidateSpec(props, {{"name", "abcd"}}),
              ElementsAre("spec.name: Too long: may not be more than 2 bytes"));
}

TEST(StructuralSchemaValidate, InvalidPatternFailsEveryValue) {
  json props = {{"name", {{"type", "string"}, {"pattern", "(a"}}}};
  auto errs = ValidateSpec(props, {{"name", "a"}});
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(
      errs[0],
      ::testing::StartsWith(
          R"(spec.name: Invalid value: "a": spec.name in body should match '(a, but pattern is invalid: error parsing regexp: )"));
}

TEST(StructuralSchemaValidate, PathologicalPatternDoesNotHang) {
  json props = {{"name", {{"type", "string"}, {"pattern", "^(a+)+$"}}}};
  std::string input(40, 'a');
  input += "b";
  EXPECT_THAT(ValidateSpec(props, {{"name", input}}), ::testing::SizeIs(1));
  // A crafted pattern costs Boost length x size^2 states unless capped; the cap keeps it fast.
  std::string crafted = "^(";
  for (int i = 0; i < 50; ++i) crafted += "(a|b|c|d)+x?";
  crafted += ")*$";
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(
      ValidateSpec({{"name", {{"type", "string"}, {"pattern", crafted}}}}, {{"name", std::string(10000, 'a') + "!"}}),
      ::testing::SizeIs(1));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Boost's matcher is not recursive: a long input does not overflow the stack.
  EXPECT_THAT(
      ValidateSpec({{"name", {{"type", "string"}, {"pattern", "^(a|b)*$"}}}}, {{"name", std::string(200000, 'a')}}),
      ::testing::SizeIs(::testing::Le(1u)));
}

TEST(StructuralSchemaValidate, NegativeLimitsUseFieldErrorWording) {
  // Check rejects nothing here (kube accepts negative limits); every value then fails.
  EXPECT_THAT(ValidateSpec({{"s", {{"type", "string"}, {"maxLength", -1}}}}, {{"s", ""}}),
              ElementsAre("spec.s: Too long: value is too long"));
  EXPECT_THAT(ValidateSpec({{"l", {{"type", "array"}, {"maxItems", -1}, {"items", {{"type", "string"}}}}}},
                           {{"l", json::array()}}),
              ElementsAre("spec.l: Too many: 0: has too many items"));
}

TEST(StructuralSchemaValidate, Items) {
  json props = {{"items",
                 {{"type", "array"},
                  {"minItems", 2},
                  {"maxItems", 3},
                  {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}};
  EXPECT_THAT(
      ValidateSpec(props, {{"items", {{{"name", "a"}}, {{"name", 1}}}}}),
      ElementsAre(
          R"(spec.items[1].name: Invalid value: "integer": spec.items[1].name in body must be of type string: "integer")"));
  EXPECT_THAT(ValidateSpec(props, {{"items", {{{"name", "a"}}}}}),
              ElementsAre("spec.items: Invalid value: 1: spec.items in body should have at least 2 items"));
  EXPECT_THAT(
      ValidateSpec(props, {{"items", json::array({json::object(), json::object(), json::object(), json::object()})}}),
      ElementsAre("spec.items: Too many: 4: must have at most 3 items"));
}

TEST(StructuralSchemaValidate, UniqueItemsWhenCompiledAnyway) {
  json props = {{"items", {{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "integer"}}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"items", {1, 2, 1}}}),
              ElementsAre(R"(spec.items: Invalid value: "": spec.items in body shouldn't contain duplicates)"));
}

TEST(StructuralSchemaValidate, PropertyCounts) {
  json props = {{"m",
                 {{"type", "object"},
                  {"minProperties", 1},
                  {"maxProperties", 2},
                  {"additionalProperties", {{"type", "string"}}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"m", json::object()}}),
              ElementsAre("spec.m: Invalid value: 0: spec.m in body should have at least 1 properties"));
  EXPECT_THAT(ValidateSpec(props, {{"m", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}}),
              ElementsAre("spec.m: Too many: 3: must have at most 2 items"));
}

TEST(StructuralSchemaValidate, AdditionalProperties) {
  json props = {{"labels", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
                {"closed", {{"type", "object"}, {"additionalProperties", false}}}};
  EXPECT_THAT(
      ValidateSpec(props, {{"labels", {{"a", 1}}}}),
      ElementsAre(
          R"(spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer")"));
  EXPECT_THAT(ValidateSpec(props, {{"closed", {{"x", 1}}}}),
              ElementsAre(R"(spec.closed: Invalid value: "x": spec.closed.x in body is a forbidden property)"));
}

TEST(StructuralSchemaValidate, AnyOfReportsTheBestFailure) {
  json props = {{"x", {{"type", "string"}, {"anyOf", json::array({{{"maxLength", 1}}, {{"pattern", "^a"}}})}}}};
  EXPECT_THAT(ValidateSpec(props, {{"x", "a"}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"x", "abc"}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"x", "bcd"}}),
              ElementsAre(R"(<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf))",
                          "spec.x: Too long: may not be more than 1 bytes"));
}

TEST(StructuralSchemaValidate, OneOf) {
  json props = {{"x", {{"type", "string"}, {"oneOf", json::array({{{"maxLength", 2}}, {{"pattern", "^a"}}})}}}};
  EXPECT_THAT(ValidateSpec(props, {{"x", "bb"}}), IsEmpty());
  EXPECT_THAT(
      ValidateSpec(props, {{"x", "ab"}}),
      ElementsAre(
          R"(<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives)"));
  EXPECT_THAT(
      ValidateSpec(props, {{"x", "bcd"}}),
      ElementsAre(
          R"(<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid)",
          "spec.x: Too long: may not be more than 2 bytes"));
}

TEST(StructuralSchemaValidate, AllOfAndNot) {
  json props = {{"x", {{"type", "integer"}, {"allOf", json::array({{{"minimum", 1}}, {{"maximum", 5}}})}}},
                {"y", {{"type", "string"}, {"not", {{"enum", {"forbidden"}}}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"x", 3}, {"y", "ok"}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"x", 7}}),
              ElementsAre("spec.x: Invalid value: 7: spec.x in body should be less than or equal to 5",
                          R"(<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf))"));
  EXPECT_THAT(ValidateSpec(props, {{"y", "forbidden"}}),
              ElementsAre(R"(<nil>: Invalid value: "": "spec.y" must not validate the schema (not))"));
}

TEST(StructuralSchemaValidate, Formats) {
  json props = {
      {"d", {{"type", "string"}, {"format", "date"}}},     {"t", {{"type", "string"}, {"format", "date-time"}}},
      {"u", {{"type", "string"}, {"format", "uuid"}}},     {"b", {{"type", "string"}, {"format", "byte"}}},
      {"ip", {{"type", "string"}, {"format", "ipv4"}}},    {"dur", {{"type", "string"}, {"format", "duration"}}},
      {"i32", {{"type", "integer"}, {"format", "int32"}}}, {"custom", {{"type", "string"}, {"format", "k8s-name"}}}};
  EXPECT_THAT(ValidateSpec(props, {{"d", "2024-02-29"},
                                   {"t", "2024-01-02T03:04:05.123Z"},
                                   {"u", "123e4567-e89b-12d3-a456-426614174000"},
                                   {"b", "aGVsbG8="},
                                   {"ip", "10.0.0.1"},
                                   {"dur", "1h30m"},
                                   {"i32", 9999999999LL},  // kube strips int32: not range checked
                                   {"custom", "anything"}}),
              IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"d", "2023-02-29"}}),
              ElementsAre(R"(spec.d: Invalid value: "2023-02-29": spec.d in body must be of type date: "2023-02-29")"));
  EXPECT_THAT(
      ValidateSpec(props, {{"t", "2024-01-02"}}),
      ElementsAre(R"(spec.t: Invalid value: "2024-01-02": spec.t in body must be of type date-time: "2024-01-02")"));
  EXPECT_THAT(ValidateSpec(props, {{"u", "nope"}, {"b", "abc"}, {"ip", "300.1.1.1"}, {"dur", "soon"}}),
              ElementsAre(R"(spec.b: Invalid value: "abc": spec.b in body must be of type byte: "abc")",
                          R"(spec.dur: Invalid value: "soon": spec.dur in body must be of type duration: "soon")",
                          R"(spec.ip: Invalid value: "300.1.1.1": spec.ip in body must be of type ipv4: "300.1.1.1")",
                          R"(spec.u: Invalid value: "nope": spec.u in body must be of type uuid: "nope")"));
}

TEST(StructuralSchemaValidate, MoreFormats) {
  auto ok = [](const char* format, const json& value) {
    return ValidateSpec({{"f", {{"type", "string"}, {"format", format}}}}, {{"f", value}}).empty();
  };
  EXPECT_TRUE(ok("hostname", "example.com"));
  EXPECT_FALSE(ok("hostname", "-bad-.com"));
  EXPECT_TRUE(ok("email", "Jane <jane@example.com>"));
  EXPECT_FALSE(ok("email", "jane"));
  EXPECT_TRUE(ok("uri", "https://example.com/a?b=c"));
  EXPECT_FALSE(ok("uri", "relative/path"));
  EXPECT_TRUE(ok("ipv6", "2001:db8::1"));
  EXPECT_FALSE(ok("ipv6", "10.0.0.1"));
  EXPECT_TRUE(ok("cidr", "10.0.0.0/8"));
  EXPECT_FALSE(ok("cidr", "10.0.0.0/33"));
  EXPECT_TRUE(ok("mac", "00:00:5e:00:53:01"));
  EXPECT_FALSE(ok("mac", "00:00:5e:00:53"));
  EXPECT_TRUE(ok("hexcolor", "#fff"));
  EXPECT_TRUE(ok("rgbcolor", "rgb(255, 0, 10)"));
  EXPECT_TRUE(ok("ssn", "123-45-6789"));
  EXPECT_TRUE(ok("isbn", "978-0321751041"));
  EXPECT_TRUE(ok("creditcard", "4111 1111 1111 1111"));
  EXPECT_FALSE(ok("creditcard", "4111 1111 1111 1112"));
  EXPECT_TRUE(ok("bsonobjectid", "507f1f77bcf86cd799439011"));
  EXPECT_TRUE(ok("duration", "3 days"));
  EXPECT_TRUE(ok("uuid4", "123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_FALSE(ok("uuid4", "123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(ok("password", ""));
}

TEST(StructuralSchemaValidate, ListTypeSetDuplicates) {
  json props = {{"s", {{"type", "array"}, {"x-kubernetes-list-type", "set"}, {"items", {{"type", "string"}}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"s", {"a", "b"}}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"s", {"a", "b", "a", "a"}}}), ElementsAre(R"(spec.s[2]: Duplicate value: "a")"));
}

TEST(StructuralSchemaValidate, ListTypeMapDuplicates) {
  json item = {{"type", "object"},
               {"required", {"name"}},
               {"properties", {{"name", {{"type", "string"}}}, {"port", {{"type", "integer"}}}}}};
  json props = {{"m",
                 {{"type", "array"},
                  {"x-kubernetes-list-type", "map"},
                  {"x-kubernetes-list-map-keys", {"name"}},
                  {"items", item}}},
                {"mk",
                 {{"type", "array"},
                  {"x-kubernetes-list-type", "map"},
                  {"x-kubernetes-list-map-keys", {"name", "port"}},
                  {"items", item}}}};
  EXPECT_THAT(ValidateSpec(props, {{"m", {{{"name", "a"}, {"port", 1}}, {{"name", "a"}, {"port", 2}}}}}),
              ElementsAre(R"(spec.m[1]: Duplicate value: map[string]interface {}{"name":"a"})"));
  EXPECT_THAT(ValidateSpec(props, {{"mk", {{{"name", "a"}, {"port", 1}}, {{"name", "a"}, {"port", 2}}}}}), IsEmpty());
  EXPECT_THAT(ValidateSpec(props, {{"mk", {{{"name", "a"}, {"port", 1}}, {{"name", "a"}, {"port", 1}}}}}),
              ElementsAre(R"(spec.mk[1]: Duplicate value: map[string]interface {}{"name":"a", "port":1})"));
}

TEST(StructuralSchemaValidate, ListTypeMapNeedsObjects) {
  json props = {{"m",
                 {{"type", "array"},
                  {"x-kubernetes-list-type", "map"},
                  {"x-kubernetes-list-map-keys", {"name"}},
                  {"items", {{"x-kubernetes-preserve-unknown-fields", true}}}}}};
  EXPECT_THAT(ValidateSpec(props, {{"m", {"x"}}}),
              ElementsAre(R"(spec.m[0]: Invalid value: "x": must be an object for an array of list-type map)"));
}

TEST(StructuralSchemaValidate, EmbeddedResources) {
  json props = {
      {"template",
       {{"type", "object"}, {"x-kubernetes-embedded-resource", true}, {"x-kubernetes-preserve-unknown-fields", true}}}};
  EXPECT_THAT(
      ValidateSpec(props, {{"template", {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}}}}}}),
      IsEmpty());
  EXPECT_THAT(
      ValidateSpec(props,
                   {{"template", {{"apiVersion", "a/b/c"}, {"kind", "Foo_Bar"}, {"metadata", {{"name", "a/b"}}}}}}),
      ElementsAre(
          R"(spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c)",
          R"(spec.template.kind: Invalid value: "Foo_Bar": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'))",
          R"(spec.template.metadata.name: Invalid value: "a/b": may not contain '/')"));
  EXPECT_THAT(
      ValidateSpec(props, {{"template", {{"metadata", {{"labels", {{"a", 1}}}}}}}}),
      ElementsAre(
          "spec.template.apiVersion: Required value: must not be empty",
          "spec.template.kind: Required value: must not be empty",
          R"(spec.template.metadata: Invalid value: map[string]interface {}{"labels":map[string]interface {}{"a":1}}: json: cannot unmarshal number into Go struct field ObjectMeta.labels of type string)"));
}

TEST(StructuralSchemaValidate, RootMetadataOnlyAsRestrictedAndTypeMetaSkipped) {
  json schema = {
      {"type", "object"},
      {"properties",
       {{"metadata", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}, {"maxLength", 5}}}}}}},
        {"kind", {{"type", "string"}, {"enum", {"Other"}}}},
        {"spec", {{"type", "object"}}}}}};
  EXPECT_THAT(
      Validate(schema, {{"apiVersion", "v1"}, {"kind", "Foo"}, {"metadata", {{"name", "toolong"}, {"uid", 5}}}}),
      ElementsAre("metadata.name: Too long: may not be more than 5 bytes"));
}

TEST(StructuralSchemaValidate, NoSchemaAcceptsEverything) {
  std::vector<FieldCause> errs;
  auto s = StructuralSchema::Compile(nullptr);
  s->Validate({{"spec", {{"anything", 1}}}}, errs);
  EXPECT_THAT(errs, IsEmpty());
  EXPECT_TRUE(s->PreservesUnknownFields());
  json obj = {{"spec", {{"x", 1}}}};
  EXPECT_THAT(s->Prune(obj), IsEmpty());
  EXPECT_EQ(obj, json({{"spec", {{"x", 1}}}}));
}

// --- Prune ---------------------------------------------------------------------------------------------

TEST(StructuralSchemaPrune, RemovesUnknownFieldsAndReportsSortedPaths) {
  json schema = SpecSchema(
      {{"replicas", {{"type", "integer"}}},
       {"items",
        {{"type", "array"}, {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}});
  json obj = {
      {"apiVersion", "example.com/v1"},
      {"kind", "Foo"},
      {"metadata", {{"name", "a"}, {"whatever", 1}}},
      {"extra", true},
      {"spec", {{"replicas", 1}, {"foo", {{"deep", 1}}}, {"items", {{{"name", "x"}, {"bar", 1}}, {{"name", "y"}}}}}}};
  auto removed = StructuralSchema::Compile(schema)->Prune(obj);
  EXPECT_THAT(removed, ElementsAre("extra", "spec.foo", "spec.items[0].bar"));
  EXPECT_EQ(obj, json({{"apiVersion", "example.com/v1"},
                       {"kind", "Foo"},
                       {"metadata", {{"name", "a"}, {"whatever", 1}}},
                       {"spec", {{"replicas", 1}, {"items", {{{"name", "x"}}, {{"name", "y"}}}}}}}));
}

TEST(StructuralSchemaPrune, PathsSortLikeGoStrings) {
  json schema = SpecSchema({{"items", {{"type", "array"}, {"items", {{"type", "object"}}}}}});
  json items = json::array();
  for (int i = 0; i < 11; ++i) items.push_back({{"x", i}});
  json obj = {{"spec", {{"items", items}}}};
  auto removed = StructuralSchema::Compile(schema)->Prune(obj);
  ASSERT_EQ(removed.size(), 11u);
  EXPECT_EQ(removed[0], "spec.items[0].x");
  EXPECT_EQ(removed[1], "spec.items[10].x");
  EXPECT_EQ(removed[2], "spec.items[1].x");
}

TEST(StructuralSchemaPrune, PreserveUnknownFieldsKeepsUnknownButPrunesKnownProperties) {
  json schema = SpecSchema({{"known", {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}}}},
                           {{"x-kubernetes-preserve-unknown-fields", true}});
  json obj = {{"spec", {{"free", {{"form", 1}}}, {"known", {{"a", "x"}, {"b", 1}}}}}};
  EXPECT_THAT(StructuralSchema::Compile(schema)->Prune(obj), ElementsAre("spec.known.b"));
  EXPECT_EQ(obj["spec"], json({{"free", {{"form", 1}}}, {"known", {{"a", "x"}}}}));
}

TEST(StructuralSchemaPrune, PreserveAtTheRoot) {
  json schema = {{"type", "object"},
                 {"x-kubernetes-preserve-unknown-fields", true},
                 {"properties", {{"spec", {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}}}}}};
  auto s = StructuralSchema::Compile(schema);
  EXPECT_TRUE(s->PreservesUnknownFields());
  json obj = {{"other", 1}, {"spec", {{"a", "x"}, {"b", 2}}}};
  EXPECT_THAT(s->Prune(obj), ElementsAre("spec.b"));
  EXPECT_EQ(obj, json({{"other", 1}, {"spec", {{"a", "x"}}}}));
}

TEST(StructuralSchemaPrune, EmbeddedResourcesKeepTypeMetaAndCoerceMetadata) {
  json schema =
      SpecSchema({{"template",
                   {{"type", "object"},
                    {"x-kubernetes-embedded-resource", true},
                    {"properties", {{"spec", {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}}}}}}}});
  json obj = {{"spec",
               {{"template",
                 {{"apiVersion", "v1"},
                  {"kind", "Pod"},
                  {"metadata", {{"name", "p"}, {"bogus", 1}, {"creationTimestamp", nullptr}}},
                  {"spec", {{"a", "x"}, {"b", 1}}},
                  {"status", json::object()}}}}}};
  EXPECT_THAT(StructuralSchema::Compile(schema)->Prune(obj),
              ElementsAre("spec.template.spec.b", "spec.template.status", "spec.template.metadata.bogus"));
  EXPECT_EQ(obj["spec"]["template"],
            json({{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", "p"}}}, {"spec", {{"a", "x"}}}}));
}

TEST(StructuralSchemaPrune, ItemsUnderPreservedNodesKeepUnknownFields) {
  json schema = SpecSchema(
      {{"list",
        {{"type", "array"},
         {"x-kubernetes-preserve-unknown-fields", true},
         {"items",
          {{"type", "object"}, {"properties", {{"a", {{"type", "object"}, {"properties", json::object()}}}}}}}}}});
  json obj = {{"spec", {{"list", {{{"a", {{"x", 1}}}, {"free", 2}}}}}}};
  // skipPrune keeps the items' unknown fields but still prunes their known properties.
  EXPECT_THAT(StructuralSchema::Compile(schema)->Prune(obj), ElementsAre("spec.list[0].a.x"));
  EXPECT_EQ(obj["spec"]["list"], json({{{"a", json::object()}, {"free", 2}}}));
}

TEST(StructuralSchemaPrune, AdditionalProperties) {
  json schema =
      SpecSchema({{"m",
                   {{"type", "object"},
                    {"additionalProperties", {{"type", "object"}, {"properties", {{"keep", {{"type", "string"}}}}}}}}},
                  {"closed", {{"type", "object"}, {"additionalProperties", false}}}});
  json obj = {{"spec", {{"m", {{"k", {{"keep", "x"}, {"drop", 1}}}}}, {"closed", {{"k", {{"inner", 1}}}, {"s", 1}}}}}};
  // additionalProperties: false prunes like a schema-less value: keys stay, their object contents go.
  EXPECT_THAT(StructuralSchema::Compile(schema)->Prune(obj), ElementsAre("spec.closed.k.inner", "spec.m.k.drop"));
  EXPECT_EQ(obj["spec"], json({{"m", {{"k", {{"keep", "x"}}}}}, {"closed", {{"k", json::object()}, {"s", 1}}}}));
}

TEST(StructuralSchemaPrune, NonNullableNullsWithoutDefaultsGo) {
  json schema = SpecSchema({{"a", {{"type", "string"}}},
                            {"b", {{"type", "string"}, {"nullable", true}}},
                            {"c", {{"type", "string"}, {"default", "x"}}}});
  json obj = {{"metadata", nullptr}, {"spec", {{"a", nullptr}, {"b", nullptr}, {"c", nullptr}}}};
  auto s = StructuralSchema::Compile(schema);
  EXPECT_THAT(s->Prune(obj), IsEmpty());
  EXPECT_EQ(obj, json({{"metadata", nullptr}, {"spec", {{"b", nullptr}, {"c", nullptr}}}}));
  s->Default(obj);
  EXPECT_EQ(obj["spec"], json({{"b", nullptr}, {"c", "x"}}));
}

TEST(StructuralSchemaPrune, DeepArraysWithoutSchemaAreBounded) {
  json schema = SpecSchema({{"free", {{"type", "array"}}}});  // no items: everything below is schema-less
  // Built by moves: copying a 2,000-deep value recurses in nlohmann's copy constructor (stack overflow
  // under ASan), which is not what this test is about.
  json deep = json::array();
  for (int i = 0; i < 2000; ++i) {
    json outer = json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  json obj;
  obj["spec"]["free"] = std::move(deep);
  (void)StructuralSchema::Compile(schema)->Prune(obj);
  SUCCEED();
}

// --- Default -------------------------------------------------------------------------------------------

TEST(StructuralSchemaDefault, FillsAbsentFieldsOfPresentObjects) {
  json schema = SpecSchema(
      {{"replicas", {{"type", "integer"}, {"default", 1}}},
       {"strategy", {{"type", "object"}, {"properties", {{"type", {{"type", "string"}, {"default", "Rolling"}}}}}}},
       {"opts",
        {{"type", "object"},
         {"default", json::object()},
         {"properties", {{"level", {{"type", "integer"}, {"default", 3}}}}}}}});
  json obj = {{"spec", json::object()}};
  StructuralSchema::Compile(schema)->Default(obj);
  // strategy is absent and has no default: its own defaults do not apply; opts is created, then defaulted.
  EXPECT_EQ(obj["spec"], json({{"replicas", 1}, {"opts", {{"level", 3}}}}));
  json none = {{"kind", "Foo"}};
  StructuralSchema::Compile(schema)->Default(none);
  EXPECT_EQ(none, json({{"kind", "Foo"}}));
}

TEST(StructuralSchemaDefault, KeepsValuesAndNullables) {
  json schema = SpecSchema({{"a", {{"type", "integer"}, {"default", 1}}},
                            {"b", {{"type", "string"}, {"nullable", true}, {"default", "x"}}},
                            {"c", {{"type", "string"}, {"default", "y"}}}});
  json obj = {{"spec", {{"a", 5}, {"b", nullptr}, {"c", nullptr}}}};
  StructuralSchema::Compile(schema)->Default(obj);
  EXPECT_EQ(obj["spec"], json({{"a", 5}, {"b", nullptr}, {"c", "y"}}));
}

TEST(StructuralSchemaDefault, ArraysAndMaps) {
  json item = {{"type", "object"}, {"properties", {{"protocol", {{"type", "string"}, {"default", "TCP"}}}}}};
  json schema = SpecSchema({{"ports", {{"type", "array"}, {"items", item}}},
                            {"byName", {{"type", "object"}, {"additionalProperties", item}}},
                            {"names", {{"type", "array"}, {"items", {{"type", "string"}, {"default", "n"}}}}}});
  json obj = {{"spec",
               {{"ports", {{{"port", 80}}, {{"protocol", "UDP"}}}},
                {"byName", {{"web", json::object()}}},
                {"names", {"a", nullptr}}}}};
  StructuralSchema::Compile(schema)->Default(obj);
  EXPECT_EQ(obj["spec"]["ports"], json({{{"port", 80}, {"protocol", "TCP"}}, {{"protocol", "UDP"}}}));
  EXPECT_EQ(obj["spec"]["byName"], json({{"web", {{"protocol", "TCP"}}}}));
  EXPECT_EQ(obj["spec"]["names"], json({"a", "n"}));
}

// --- Check ---------------------------------------------------------------------------------------------

json ValidSchema() {
  return {{"type", "object"},
          {"properties",
           {{"apiVersion", {{"type", "string"}}},
            {"kind", {{"type", "string"}}},
            {"metadata", {{"type", "object"}}},
            {"spec",
             {{"type", "object"},
              {"required", {"replicas"}},
              {"properties",
               {{"replicas", {{"type", "integer"}, {"minimum", 0}, {"default", 1}}},
                {"image", {{"type", "string"}, {"pattern", "^[a-z./:-]+$"}, {"maxLength", 100}}},
                {"port",
                 {{"x-kubernetes-int-or-string", true},
                  {"anyOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}}},
                {"labels", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
                {"ports",
                 {{"type", "array"},
                  {"x-kubernetes-list-type", "map"},
                  {"x-kubernetes-list-map-keys", {"name"}},
                  {"items",
                   {{"type", "object"}, {"required", {"name"}}, {"properties", {{"name", {{"type", "string"}}}}}}}}},
                {"raw", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                {"template",
                 {{"type", "object"},
                  {"x-kubernetes-embedded-resource", true},
                  {"x-kubernetes-preserve-unknown-fields", true}}}}}}},
            {"status", {{"type", "object"}, {"properties", {{"ready", {{"type", "boolean"}}}}}}}}}};
}

TEST(StructuralSchemaCheck, AcceptsATypicalSchema) { EXPECT_THAT(Check(ValidSchema()), IsEmpty()); }

TEST(StructuralSchemaCheck, TypesAreRequired) {
  EXPECT_THAT(
      Check({{"type", "object"}, {"properties", {{"spec", {{"description", "x"}}}}}}),
      ElementsAre(kPath + ".properties[spec].type: Required value: must not be empty for specified object fields"));
  EXPECT_THAT(Check({{"properties", {{"spec", {{"type", "object"}}}}}}),
              ElementsAre(kPath + ".type: Required value: must not be empty at the root"));
  EXPECT_THAT(Check(SpecSchema({{"list", {{"type", "array"}, {"items", {{"minimum", 1}}}}}})),
              ElementsAre(kPath + ".properties[spec].properties[list].items.type: Required value: must not be empty "
                                  "for specified array items"));
}

TEST(StructuralSchemaCheck, RootMustBeAnObject) {
  EXPECT_THAT(Check({{"type", "string"}}),
              ElementsAre(kPath + R"(.type: Invalid value: "string": must be object at the root)"));
  EXPECT_THAT(Check({{"type", "object"}, {"nullable", true}}),
              ElementsAre(kPath + ".nullable: Forbidden: nullable cannot be true at the root"));
}

TEST(StructuralSchemaCheck, ArraysNeedItems) {
  EXPECT_THAT(Check(SpecSchema({{"list", {{"type", "array"}}}})),
              ElementsAre(kPath + ".properties[spec].properties[list].items: Required value: must be specified"));
}

TEST(StructuralSchemaCheck, UnsupportedKeywords) {
  EXPECT_THAT(Check(SpecSchema({{"x", {{"$ref", "#/definitions/x"}}}})),
              ElementsAre(kPath + ".properties[spec].properties[x].$ref: Forbidden: $ref is not supported"));
  EXPECT_THAT(
      Check(SpecSchema({{"x", {{"type", "object"}, {"patternProperties", {{"^a", {{"type", "string"}}}}}}}})),
      ElementsAre(kPath +
                  ".properties[spec].properties[x].patternProperties: Forbidden: patternProperties is not supported"));
  EXPECT_THAT(
      Check(SpecSchema({{"x", {{"type", "array"}, {"items", json::array({{{"type", "string"}}})}}}})),
      ElementsAre(kPath +
                  ".properties[spec].properties[x].items: Forbidden: items must be a schema object and not an array"));
  EXPECT_THAT(
      Check(SpecSchema({{"x", {{"type", "null"}}}})),
      ElementsAre(
          kPath +
              R"(.properties[spec].properties[x].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string")",
          kPath + ".properties[spec].properties[x].type: Forbidden: type cannot be set to null, use nullable as an "
                  "alternative"));
  EXPECT_THAT(Check({{"type", "object"}, {"$schema", "http://json-schema.org/schema#"}}),
              ElementsAre(kPath + R"(: Invalid value: "": OpenAPIV3Schema 'schema' is not supported)"));
}

TEST(StructuralSchemaCheck, UniqueItemsIsForbidden) {
  EXPECT_THAT(Check(SpecSchema({{"x", {{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "string"}}}}}})),
              ElementsAre(kPath + ".properties[spec].properties[x].uniqueItems: Forbidden: uniqueItems cannot be set "
                                  "to true since the runtime complexity becomes quadratic"));
}

TEST(StructuralSchemaCheck, AdditionalPropertiesRules) {
  EXPECT_THAT(Check(SpecSchema({{"m",
                                 {{"type", "object"},
                                  {"properties", {{"a", {{"type", "string"}}}}},
                                  {"additionalProperties", {{"type", "string"}}}}}})),
              ElementsAre(kPath + ".properties[spec].properties[m].additionalProperties: Forbidden: "
                                  "additionalProperties and properties are mutual exclusive"));
  EXPECT_THAT(Check({{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}),
              ElementsAre(kPath + ".additionalProperties: Forbidden: must not be used at the root"));
}

TEST(StructuralSchemaCheck, MetadataMayOnlyRestrictNameAndGenerateName) {
  json ok = {
      {"type", "object"},
      {"properties",
       {{"metadata", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}, {"maxLength", 10}}}}}}}}}};
  EXPECT_THAT(Check(ok), IsEmpty());
  json bad = {{"type", "object"},
              {"properties", {{"metadata", {{"type", "object"}, {"properties", {{"labels", {{"type", "object"}}}}}}}}}};
  EXPECT_THAT(Check(bad), ElementsAre(kPath + ".properties[metadata]: Forbidden: must not specify anything other than "
                                              "name and generateName, but metadata is implicitly specified"));
  json with_default = {
      {"type", "object"},
      {"properties",
       {{"metadata", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}, {"default", "x"}}}}}}}}}};
  EXPECT_THAT(
      Check(with_default),
      ElementsAre(kPath +
                  ".properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata"));
  EXPECT_THAT(Check({{"type", "object"},
                     {"properties", {{"metadata", {{"type", "string"}}}, {"kind", {{"type", "integer"}}}}}}),
              ElementsAre(kPath + R"(.properties[kind].type: Invalid value: "integer": must be string)",
                          kPath + R"(.properties[metadata].type: Invalid value: "string": must be object)"));
}

TEST(StructuralSchemaCheck, DefaultsMustValidate) {
  EXPECT_THAT(
      Check(SpecSchema({{"replicas", {{"type", "integer"}, {"default", "x"}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string")"));
  EXPECT_THAT(Check(SpecSchema({{"replicas", {{"type", "integer"}, {"maximum", 3}, {"default", 5}}}})),
              ElementsAre(kPath + ".properties[spec].properties[replicas].default: Invalid value: 5:  in body should "
                                  "be less than or equal to 3"));
  EXPECT_THAT(
      Check(SpecSchema({{"opts",
                         {{"type", "object"},
                          {"properties", {{"level", {{"type", "integer"}}}}},
                          {"default", {{"level", "high"}}}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[opts].default.level: Invalid value: "string": level in body must be of type integer: "string")"));
}

TEST(StructuralSchemaCheck, DefaultsMustBePruned) {
  EXPECT_THAT(
      Check(SpecSchema({{"opts",
                         {{"type", "object"},
                          {"properties", {{"level", {{"type", "integer"}}}}},
                          {"default", {{"level", 1}, {"extra", true}}}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[opts].default: Invalid value: map[string]interface {}{"extra":true, "level":1}: must not have unknown fields)"));
}

TEST(StructuralSchemaCheck, NestedJunctorsMustNotCarryStructure) {
  EXPECT_THAT(
      Check(SpecSchema(
          {{"x", {{"type", "string"}, {"anyOf", json::array({{{"type", "string"}, {"description", "d"}}})}}}})),
      ElementsAre(
          kPath + ".properties[spec].properties[x].anyOf[0].description: Forbidden: must be empty to be structural",
          kPath + ".properties[spec].properties[x].anyOf[0].type: Forbidden: must be empty to be structural"));
}

TEST(StructuralSchemaCheck, JunctorPropertiesMustBeSpecified) {
  json schema = {{"type", "object"},
                 {"properties", {{"a", {{"type", "string"}}}}},
                 {"anyOf", json::array({{{"properties", {{"b", {{"minLength", 1}}}}}}})}};
  EXPECT_THAT(Check(schema), ElementsAre(kPath + ".properties[b]: Required value: because it is defined in " + kPath +
                                         ".anyOf[0].properties[b]"));
}

TEST(StructuralSchemaCheck, ListTypeRules) {
  EXPECT_THAT(
      Check(SpecSchema({{"m",
                         {{"type", "array"},
                          {"x-kubernetes-list-type", "map"},
                          {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}})),
      ElementsAre(kPath + ".properties[spec].properties[m].x-kubernetes-list-map-keys: Required value: must not be "
                          "empty if x-kubernetes-list-type is map"));
  EXPECT_THAT(
      Check(SpecSchema({{"m",
                         {{"type", "array"},
                          {"x-kubernetes-list-type", "map"},
                          {"x-kubernetes-list-map-keys", {"name"}},
                          {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}})),
      ElementsAre(kPath +
                  ".properties[spec].properties[m].items.properties[name].default: Required value: this property is in "
                  "x-kubernetes-list-map-keys, so it must have a default or be a required property"));
  EXPECT_THAT(
      Check(SpecSchema({{"m",
                         {{"type", "array"},
                          {"x-kubernetes-list-type", "map"},
                          {"x-kubernetes-list-map-keys", {"id"}},
                          {"items", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[m].x-kubernetes-list-map-keys: Invalid value: []string{"id"}: entries must all be names of item properties)"));
  EXPECT_THAT(
      Check(SpecSchema({{"s", {{"type", "object"}, {"x-kubernetes-list-type", "bag"}}}})),
      ElementsAre(
          kPath +
              R"(.properties[spec].properties[s].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified)",
          kPath +
              R"(.properties[spec].properties[s].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map")"));
  EXPECT_THAT(
      Check(
          SpecSchema({{"s", {{"type", "array"}, {"x-kubernetes-list-type", "set"}, {"items", {{"type", "object"}}}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[s].items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set)"));
}

TEST(StructuralSchemaCheck, ExtensionRules) {
  EXPECT_THAT(Check(SpecSchema({{"x", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", false}}}})),
              ElementsAre(kPath + ".properties[spec].properties[x].x-kubernetes-preserve-unknown-fields: Invalid "
                                  "value: false: must be true or undefined"));
  EXPECT_THAT(
      Check(SpecSchema({{"e", {{"type", "object"}, {"x-kubernetes-embedded-resource", true}}}})),
      ElementsAre(kPath + ".properties[spec].properties[e].properties: Required value: must not be empty if "
                          "x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
  EXPECT_THAT(
      Check(SpecSchema({{"m", {{"type", "string"}, {"x-kubernetes-map-type", "weird"}}}})),
      ElementsAre(
          kPath +
              R"(.properties[spec].properties[m].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified)",
          kPath +
              R"(.properties[spec].properties[m].x-kubernetes-map-type: Unsupported value: "weird": supported values: "atomic", "granular")"));
  EXPECT_THAT(
      Check(SpecSchema({{"x", {{"type", "string"}, {"x-kubernetes-validations", json::array({{{"rule", " "}}})}}}})),
      ElementsAre(
          kPath +
          ".properties[spec].properties[x].x-kubernetes-validations[0].rule: Required value: rule is not specified"));
}

TEST(StructuralSchemaCheck, MoreStructuralRules) {
  EXPECT_THAT(
      Check(
          SpecSchema({{"p", {{"x-kubernetes-int-or-string", true}, {"x-kubernetes-preserve-unknown-fields", true}}}})),
      ElementsAre(kPath + ".properties[spec].properties[p].x-kubernetes-preserve-unknown-fields: Invalid value: "
                          "true: must be false if x-kubernetes-int-or-string is true"));
  EXPECT_THAT(
      Check(SpecSchema(
          {{"x", {{"type", "object"}, {"allOf", json::array({{{"additionalProperties", {{"type", "string"}}}}})}}}})),
      ElementsAre(kPath + ".properties[spec].properties[x].allOf[0].additionalProperties: Forbidden: must be "
                          "undefined to be structural"));
  EXPECT_THAT(Check({{"type", "object"},
                     {"properties",
                      {{"metadata",
                        {{"type", "object"},
                         {"x-kubernetes-embedded-resource", true},
                         {"x-kubernetes-preserve-unknown-fields", true}}}}}}),
              ElementsAre(kPath + ".properties[metadata]: Forbidden: must not specify anything other than name and "
                                  "generateName, but metadata is implicitly specified",
                          kPath + ".properties[metadata].x-kubernetes-embedded-resource: Forbidden: must not be used "
                                  "inside of resource meta"));
}

TEST(StructuralSchemaCheck, EmbeddedDefaultsMustBeResources) {
  json embedded = {{"type", "object"},
                   {"x-kubernetes-embedded-resource", true},
                   {"x-kubernetes-preserve-unknown-fields", true},
                   {"default", {{"kind", "Pod"}}}};
  EXPECT_THAT(
      Check(SpecSchema({{"template", embedded}})),
      ElementsAre(kPath +
                  ".properties[spec].properties[template].default.apiVersion: Required value: must not be empty"));
  embedded["default"]["apiVersion"] = "v1";
  EXPECT_THAT(Check(SpecSchema({{"template", embedded}})), IsEmpty());
}

TEST(StructuralSchemaCheck, InvalidPatterns) {
  auto errs = Check(SpecSchema({{"x", {{"type", "string"}, {"pattern", "(a"}}}}));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(
      errs[0],
      ::testing::StartsWith(
          kPath +
          R"(.properties[spec].properties[x].pattern: Invalid value: "(a": must be a valid regular expression, but isn't: error parsing regexp: )"));
  EXPECT_THAT(
      Check(SpecSchema({{"x", {{"type", "string"}, {"pattern", "(?=a)b"}}}})),
      ElementsAre(
          kPath +
          R"(.properties[spec].properties[x].pattern: Invalid value: "(?=a)b": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `(?=`)"));
}

TEST(StructuralSchemaCheck, WrongJsonTypesAreDecodingErrors) {
  EXPECT_THAT(
      Check({{"type", "object"}, {"properties", {{"spec", {{"type", 5}}}}}}),
      ElementsAre(
          kPath +
              ".properties[spec].type: Invalid value: 5: json: cannot unmarshal number into Go value of type string",
          kPath + ".properties[spec].type: Required value: must not be empty for specified object fields"));
  EXPECT_THAT(Check(SpecSchema({{"n", {{"type", "string"}, {"maxLength", 1.5}}}})),
              ElementsAre(kPath + ".properties[spec].properties[n].maxLength: Invalid value: 1.5: json: cannot "
                                  "unmarshal number 1.5 into Go value of type int64"));
}

TEST(StructuralSchemaCheck, DepthIsBounded) {
  json node = {{"type", "string"}};
  for (int i = 0; i < 100; ++i) node = {{"type", "object"}, {"properties", {{"a", node}}}};
  auto errs = Check(node);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0], ::testing::HasSubstr("Forbidden: must not be nested more than 64 levels deep"));
  // Compiled, the deep part accepts and preserves anything.
  auto s = StructuralSchema::Compile(node);
  json obj = json::object();
  json* cur = &obj;
  for (int i = 0; i < 100; ++i) cur = &((*cur)["a"] = json::object());
  (*cur)["leaf"] = 1;
  json copy = obj;
  EXPECT_THAT(s->Prune(obj), IsEmpty());
  EXPECT_EQ(obj, copy);
  std::vector<FieldCause> verrs;
  s->Validate(obj, verrs);
  EXPECT_THAT(verrs, IsEmpty());
}

TEST(StructuralSchemaCheck, GarbageNeverThrows) {
  for (const json& garbage :
       {json(5), json("x"), json::array({1, 2}), json({{"properties", 5}}), json({{"properties", {{"a", 5}}}}),
        json({{"items", "x"}, {"enum", 3}, {"required", {1}}}),
        json({{"anyOf", {{{"anyOf", {nullptr}}}}}, {"not", 1}, {"additionalProperties", "x"}})}) {
    EXPECT_NO_THROW((void)StructuralSchema::Check(garbage, kPath));
    auto s = StructuralSchema::Compile(garbage);
    for (json obj :
         {json(nullptr), json(1), json::array({nullptr}), json({{"a", {{"b", nullptr}}}}), json({{"spec", 1}})}) {
      std::vector<FieldCause> errs;
      EXPECT_NO_THROW(s->Validate(obj, errs));
      EXPECT_NO_THROW(s->Default(obj));
      EXPECT_NO_THROW((void)s->Prune(obj));
    }
  }
}

}  // namespace
}  // namespace vkube::resource
