#include "libs/resource/json_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vkube::resource {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const json& Doc() {
  static const json doc = json::parse(R"({
    "apiVersion": "example.com/v1",
    "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "shop", "tier": "front"}},
    "spec": {
      "replicas": 3,
      "ratio": 0.5,
      "items": [{"name": "a", "port": 80}, {"name": "b", "port": 443}, {"name": "c", "port": 8080, "tls": true}],
      "nested": {"inner": {"name": "deep"}}
    },
    "status": {
      "conditions": [
        {"type": "Available", "status": "False"},
        {"type": "Ready", "status": "True"},
        {"type": "Other", "status": null}
      ]
    }
  })");
  return doc;
}

// The selected values, as JSON text.
std::vector<std::string> Find(std::string_view expr, const json& doc = Doc()) {
  auto path = JsonPath::Parse(expr);
  EXPECT_TRUE(path.ok()) << expr << ": " << (path.ok() ? "" : path.error().message);
  std::vector<std::string> out;
  if (!path.ok()) return out;
  for (const json* v : path->Find(doc)) out.push_back(v->dump());
  return out;
}

std::string ParseError(std::string_view expr) {
  auto path = JsonPath::Parse(expr);
  if (path.ok()) return "<ok>";
  EXPECT_EQ(path.error().code, ErrorCode::kBadRequest);
  return path.error().message;
}

TEST(JsonPath, Fields) {
  EXPECT_THAT(Find(".spec.replicas"), ElementsAre("3"));
  EXPECT_THAT(Find("{.spec.replicas}"), ElementsAre("3"));
  EXPECT_THAT(Find("$.metadata.name"), ElementsAre("\"web\""));
  EXPECT_THAT(Find(".spec.nested.inner"), ElementsAre(R"({"name":"deep"})"));
}

TEST(JsonPath, FindPointsIntoTheDocument) {
  auto path = JsonPath::Parse(".spec.items[1]");
  ASSERT_TRUE(path.ok());
  auto found = path->Find(Doc());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], &Doc()["spec"]["items"][1]);
}

TEST(JsonPath, MissingKeysSelectNothing) {
  EXPECT_THAT(Find(".spec.missing"), IsEmpty());
  EXPECT_THAT(Find(".spec.replicas.deeper"), IsEmpty());
  EXPECT_THAT(Find(".status.conditions[2].status.x"), IsEmpty());
}

TEST(JsonPath, EscapedDotsAndQuotedKeys) {
  EXPECT_THAT(Find(R"(.metadata.labels.app\.kubernetes\.io/name)"), ElementsAre("\"shop\""));
  EXPECT_THAT(Find(R"(.metadata.labels['app\.kubernetes\.io/name'])"), ElementsAre("\"shop\""));
  EXPECT_THAT(Find(".metadata.labels['tier']"), ElementsAre("\"front\""));
  // The quoted key is parsed as a field path, as client-go does: unescaped dots split it.
  EXPECT_THAT(Find(".metadata.labels['app.kubernetes.io/name']"), IsEmpty());
}

TEST(JsonPath, Indices) {
  EXPECT_THAT(Find(".spec.items[0].name"), ElementsAre("\"a\""));
  EXPECT_THAT(Find(".spec.items[-1].name"), ElementsAre("\"c\""));
  EXPECT_THAT(Find(".spec.items[1:3].name"), ElementsAre("\"b\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[:2].port"), ElementsAre("80", "443"));
  EXPECT_THAT(Find(".spec.items[::2].name"), ElementsAre("\"a\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[*].name"), ElementsAre("\"a\"", "\"b\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[0,2].name"), ElementsAre("\"a\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[1:1]"), IsEmpty());
}

TEST(JsonPath, IndexErrorsSelectNothing) {
  EXPECT_THAT(Find(".spec.items[5]"), IsEmpty());
  EXPECT_THAT(Find(".spec.items[2:1]"), IsEmpty());
  EXPECT_THAT(Find(".spec.items[::0]"), IsEmpty());
  EXPECT_THAT(Find(".spec.nested[0]"), IsEmpty());  // not an array
  EXPECT_THAT(Find(".spec.items[-9999999999999999]"), IsEmpty());
}

TEST(JsonPath, Wildcards) {
  EXPECT_THAT(Find(".spec.nested.*"), ElementsAre(R"({"name":"deep"})"));
  EXPECT_THAT(Find(".metadata.labels.*"), ElementsAre("\"shop\"", "\"front\""));
  EXPECT_THAT(Find(".spec.items.*.port"), ElementsAre("80", "443", "8080"));
}

TEST(JsonPath, RecursiveDescent) {
  EXPECT_THAT(Find("..name"), ElementsAre("\"web\"", "\"a\"", "\"b\"", "\"c\"", "\"deep\""));
  EXPECT_THAT(Find(".spec..port"), ElementsAre("80", "443", "8080"));
}

TEST(JsonPath, Filters) {
  EXPECT_THAT(Find(R"(.status.conditions[?(@.type=="Ready")].status)"), ElementsAre("\"True\""));
  EXPECT_THAT(Find(R"(.status.conditions[?(@.type!="Ready")].type)"), ElementsAre("\"Available\"", "\"Other\""));
  EXPECT_THAT(Find(".spec.items[?(@.port>80)].name"), ElementsAre("\"b\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[?(@.port>=443)].name"), ElementsAre("\"b\"", "\"c\""));
  EXPECT_THAT(Find(".spec.items[?(@.port<443)].name"), ElementsAre("\"a\""));
  EXPECT_THAT(Find(".spec.items[?(@.port<=443)].name"), ElementsAre("\"a\"", "\"b\""));
  EXPECT_THAT(Find(".spec.items[?(@.port==8080)].name"), ElementsAre("\"c\""));
  EXPECT_THAT(Find(".spec.items[?(@.name=='b')].port"), ElementsAre("443"));
  EXPECT_THAT(Find(".spec.items[?(@.tls)].name"), ElementsAre("\"c\""));
  EXPECT_THAT(Find(".spec.items[?(@.tls==true)].name"), ElementsAre("\"c\""));
}

TEST(JsonPath, FilterErrorsSelectNothing) {
  // text/template refuses to compare an integer with a float, or to order booleans.
  EXPECT_THAT(Find(".spec.items[?(@.port>80.5)].name"), IsEmpty());
  EXPECT_THAT(Find(".spec.items[?(@.tls<true)].name"), IsEmpty());
  // Filtering a non-array, or comparing a null, is an error.
  EXPECT_THAT(Find(R"(.spec.nested[?(@.name=="deep")])"), IsEmpty());
  EXPECT_THAT(Find(R"(.status.conditions[?(@.status=="True")].type)"), IsEmpty());
}

TEST(JsonPath, LiteralsAndSeveralActions) {
  EXPECT_THAT(Find(R"({"x"})"), ElementsAre("\"x\""));
  EXPECT_THAT(Find("{.metadata.name}{.spec.replicas}"), ElementsAre("\"web\"", "3"));
  EXPECT_THAT(Find("{.spec.replicas} of {.metadata.name}"), ElementsAre("3", "\" of \"", "\"web\""));
}

TEST(JsonPath, ParseErrorsUseClientGoWording) {
  EXPECT_EQ(ParseError("{.a"), "unclosed action");
  EXPECT_EQ(ParseError(".a["), "unterminated array");
  EXPECT_EQ(ParseError(".a[x]"), "invalid array index x");
  EXPECT_EQ(ParseError(".a[1:2:3:4]"), "invalid array index 1:2:3:4");
  EXPECT_EQ(ParseError(".a[-]"), "array index - is not a number");
  EXPECT_EQ(ParseError(".a #"), "unrecognized character in action: U+0023 '#'");
  EXPECT_EQ(ParseError("....a"), "invalid multiple recursive descent");
  EXPECT_EQ(ParseError(".a[?(@.x==1"), "unterminated filter");
  EXPECT_EQ(ParseError(".a[?(@.x==1)"), "unclosed array expect ]");
  EXPECT_EQ(ParseError("{'abc}"), "unterminated quoted string");
  EXPECT_EQ(ParseError("{-}"), "cannot parse number -");
  EXPECT_EQ(ParseError(R"({"\q"})"), R"(unquote string "\q" error invalid syntax)");
}

TEST(JsonPath, NeverThrowsOnOddInput) {
  for (std::string_view expr : {"", "{}", "}", "{{", "[", "[?(", "..", "{..}", "{@}", "{[,]}", "{[?(@)]}",
                                "{.a[?(@.b[?(@.c[?(@.d)])])]}", "{\xff}", "{.\xc3}", "{range .a}{.b}{end}"}) {
    auto path = JsonPath::Parse(expr);
    if (path.ok()) {
      EXPECT_NO_THROW((void)path->Find(Doc()));
    }
  }
  std::string nested = ".a";
  for (int i = 0; i < 100; ++i) nested = ".a[?(@" + nested + ")]";
  EXPECT_FALSE(JsonPath::Parse(nested).ok());
  // Deep documents bound the recursive descent.
  json deep = 1;
  for (int i = 0; i < 1000; ++i) deep = json::array({deep});
  EXPECT_EQ(ParseError("..*"), "unrecognized character in action: U+002A '*'");  // as in client-go
  auto path = JsonPath::Parse("..");
  ASSERT_TRUE(path.ok());
  EXPECT_NO_THROW((void)path->Find(deep));
}

}  // namespace
}  // namespace vkube::resource
