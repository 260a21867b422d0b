#include "controllers/framework/object_util.h"

#include <gtest/gtest.h>

namespace vkube::controllers {
namespace {

store::ObjectPtr MakeObject(const std::string& json) {
  auto o = std::make_shared<store::Object>();
  o->key = store::Key{"pods", "ns", "p"};
  o->json = json;
  return o;
}

TEST(ParseScopeTest, ReadersInOneScopeShareOneParse) {
  auto obj = MakeObject(R"({"metadata":{"name":"p","labels":{"a":"b"}}})");
  store::JsonPtr first;
  {
    const ParseScope scope;
    first = View(obj);
    EXPECT_EQ(View(obj).get(), first.get());  // the second reader did not parse again
    EXPECT_EQ((*first)["metadata"]["labels"]["a"], "b");
    EXPECT_EQ(Parse(obj), *first);  // a mutable copy of the shared parse
  }
  // The scope ended: the object forgot the parse (its holder keeps it alive, nobody else sees it).
  EXPECT_EQ(obj->parsed.load().lock(), nullptr);
  EXPECT_EQ((*first)["metadata"]["name"], "p");
  // Outside a scope nothing is cached on the object.
  auto a = View(obj);
  auto b = View(obj);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(obj->parsed.load().lock(), nullptr);
}

TEST(ParseScopeTest, NestedScopesAndMalformedBytes) {
  auto bad = MakeObject("{not json");
  const ParseScope outer;
  {
    const ParseScope inner;
    EXPECT_TRUE(View(bad)->is_discarded());
  }
  EXPECT_EQ(ParseScope::Current(), &outer);
  EXPECT_EQ(bad->parsed.load().lock(), nullptr);
}

}  // namespace
}  // namespace vkube::controllers
