#include "libs/resource/selector.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

bool Match(const char* sel, const Labels& labels) {
  auto s = LabelSelector::Parse(sel);
  EXPECT_TRUE(s.ok()) << sel << ": " << (s.ok() ? "" : s.error().message);
  return s.ok() && s->Matches(labels);
}

std::string ParseError(const char* sel) {
  auto s = LabelSelector::Parse(sel);
  if (s.ok()) return "<ok>";
  EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  return s.error().message;
}

TEST(LabelSelector, EqualityAndSetOperators) {
  Labels l = {{"app", "web"}, {"tier", "front"}, {"version", "3"}};
  EXPECT_TRUE(Match("", l));
  EXPECT_TRUE(Match("app=web", l));
  EXPECT_TRUE(Match("app==web,tier", l));
  EXPECT_FALSE(Match("app!=web", l));
  EXPECT_TRUE(Match("missing!=x", l));  // != matches when the label is absent
  EXPECT_TRUE(Match("app in (db, web)", l));
  EXPECT_FALSE(Match("app in (db)", l));
  EXPECT_FALSE(Match("tier notin (front,back)", l));
  EXPECT_TRUE(Match("missing notin (x)", l));
  EXPECT_TRUE(Match("!missing", l));
  EXPECT_FALSE(Match("!app", l));
  EXPECT_TRUE(Match("version>2,version<4", l));
  EXPECT_FALSE(Match("version>3", l));
  EXPECT_FALSE(Match("app>1", l));  // non-integer label never compares
  EXPECT_TRUE(Match("  app = web ,  tier  ", l));
}

TEST(LabelSelector, EmptyValuesAndKeywordsAsIdentifiers) {
  EXPECT_TRUE(Match("app=", {{"app", ""}}));
  EXPECT_FALSE(Match("app=", {{"app", "x"}}));
  EXPECT_TRUE(Match("app in ()", {{"app", ""}}));
  EXPECT_TRUE(Match("app in (,x)", {{"app", ""}}));
  EXPECT_TRUE(Match("in=notin", {{"in", "notin"}}));  // keywords are plain words in key/value position
  EXPECT_TRUE(Match("example.com/role in (db)", {{"example.com/role", "db"}}));
}

TEST(LabelSelector, KubeErrorMessages) {
  EXPECT_EQ(ParseError("app in web"), "unable to parse requirement: found 'web' expected: '('");
  EXPECT_EQ(ParseError("app in (web"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(ParseError("app web"),
            "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(ParseError("app=web,"), "found '', expected: identifier after ','");
  EXPECT_EQ(ParseError("app=a=b"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(ParseError(",app"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("=x"), "found '=', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(ParseError("-app=x"),
            "unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
            "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(ParseError("app=-x"),
            "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string "
            "or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(ParseError("a>b"),
            "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be "
            "an integer");
  EXPECT_EQ(ParseError("!a=b"), "found '=', expected: ',' or 'end of string'");
}

TEST(LabelSelector, CanonicalStringSortsByKey) {
  auto s = LabelSelector::Parse("b in (y,x),!c,a=1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->String(), "a=1,b in (x,y),!c");
}

TEST(LabelSelector, FromMetav1LabelSelector) {
  auto sel = LabelSelector::FromJson(nlohmann::json::parse(
      R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["b","a"]},
          {"key":"env","operator":"Exists"}]})"));
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->String(), "app=web,env,tier notin (a,b)");
  EXPECT_TRUE(sel->MatchesJson(nlohmann::json::parse(R"({"app":"web","env":"prod"})")));
  EXPECT_FALSE(sel->MatchesJson(nlohmann::json::parse(R"({"app":"web","env":"prod","tier":"a"})")));
  auto nothing = LabelSelector::FromJson(nullptr);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->empty());
  EXPECT_FALSE(nothing->MatchesJson(nlohmann::json::object()));
  auto everything = LabelSelector::FromJson(nlohmann::json::object());
  ASSERT_TRUE(everything.ok());
  EXPECT_TRUE(everything->empty());
  auto bad = LabelSelector::FromJson(nlohmann::json::parse(R"({"matchExpressions":[{"key":"a","operator":"Foo"}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "\"Foo\" is not a valid label selector operator");
  EXPECT_FALSE(LabelSelector::FromJson(nlohmann::json::parse(R"({"matchExpressions":[{"key":"a","operator":"In"}]})")).ok());
}

TEST(FieldSelector, ParsesAndMatchesWithKubeRules) {
  auto f = FieldSelector::Parse("spec.nodeName=n1,metadata.name!=x", {"spec.nodeName"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches({{"metadata.name", "p"}, {"spec.nodeName", "n1"}}));
  EXPECT_FALSE(f->Matches({{"metadata.name", "x"}, {"spec.nodeName", "n1"}}));
  EXPECT_FALSE(f->Matches({{"metadata.name", "p"}}));  // a missing field is ""
  auto dbl = FieldSelector::Parse("metadata.name==a", {});
  ASSERT_TRUE(dbl.ok());
  EXPECT_EQ(dbl->requirements()[0].value, "a");
  EXPECT_TRUE(FieldSelector::Parse("", {})->empty());
  EXPECT_TRUE(FieldSelector::Parse(",", {})->empty());
}

TEST(FieldSelector, EscapesAndErrors) {
  auto esc = FieldSelector::Parse("metadata.name=a\\,b\\=c\\\\", {});
  ASSERT_TRUE(esc.ok());
  EXPECT_EQ(esc->requirements()[0].value, "a,b=c\\");

  auto unsupported = FieldSelector::Parse("spec.foo=1", {});
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(unsupported.error().message, "field label not supported: spec.foo");
  // kube does not trim: the label includes the space.
  EXPECT_EQ(FieldSelector::Parse("metadata.name =x", {}).error().message,
            "field label not supported: metadata.name ");
  EXPECT_EQ(FieldSelector::Parse("metadata.name", {}).error().message,
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  EXPECT_EQ(FieldSelector::Parse("metadata.name=a=b", {}).error().message,
            "invalid field selector: unescaped character in value: 61");
  EXPECT_EQ(FieldSelector::Parse("metadata.name=a\\x", {}).error().message,
            "invalid field selector: invalid escape sequence: \\x");
}

TEST(Selectors, PredicateCombinesBoth) {
  EXPECT_EQ(MakePredicate(*LabelSelector::Parse(""), *FieldSelector::Parse("", {})), nullptr);
  auto pred = MakePredicate(*LabelSelector::Parse("app=web"), *FieldSelector::Parse("metadata.name=a", {}));
  ASSERT_NE(pred, nullptr);
  store::Object o;
  o.attrs.labels = {{"app", "web"}};
  o.attrs.fields = {{"metadata.name", "a"}, {"metadata.namespace", "d"}};
  EXPECT_TRUE(pred(o));
  o.attrs.fields = {{"metadata.name", "b"}, {"metadata.namespace", "d"}};
  EXPECT_FALSE(pred(o));
}

}  // namespace
}  // namespace vkube::resource
