#include "libs/resource/meta.h"

#include <gtest/gtest.h>

#include <set>

namespace vkube::resource {
namespace {

TEST(Meta, NameRulesUseKubeMessages) {
  EXPECT_TRUE(ValidateDns1123Subdomain("a.b-c").empty());
  auto errs = ValidateDns1123Subdomain("Foo");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0],
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
            "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_FALSE(ValidateDns1123Label("a.b").empty());
  EXPECT_EQ(ValidateDns1123Label(std::string(64, 'a'))[0], "must be no more than 63 characters");
  EXPECT_FALSE(ValidateDns1035Label("9lives").empty());
}

TEST(Meta, UidsAreRandomVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string uid = NewUid();
    ASSERT_EQ(uid.size(), 36u);
    EXPECT_EQ(uid[8], '-');
    EXPECT_EQ(uid[14], '4');
    EXPECT_NE(std::string("89ab").find(uid[19]), std::string::npos);
    seen.insert(uid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Meta, GenerateNameAppendsFiveCharsFromKubesAlphabet) {
  std::string n = GenerateName("web-");
  ASSERT_EQ(n.size(), 9u);
  EXPECT_EQ(n.substr(0, 4), "web-");
  for (char c : n.substr(4)) EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  // Long prefixes are cut so that the result still fits 63 characters.
  EXPECT_EQ(GenerateName(std::string(70, 'a')).size(), 63u);
  EXPECT_NE(GenerateName("x"), GenerateName("x"));
}

TEST(Meta, GetStringToleratesAnyShape) {
  auto obj = nlohmann::json::parse(R"({"metadata":{"name":"n","labels":[1]}})");
  EXPECT_EQ(GetString(obj, {"metadata", "name"}), "n");
  EXPECT_EQ(GetString(obj, {"metadata", "labels", "x"}), "");
  EXPECT_EQ(GetString(obj, {"spec"}), "");
  EXPECT_EQ(GetString(nlohmann::json(5), {"metadata"}), "");
}

}  // namespace
}  // namespace vkube::resource
