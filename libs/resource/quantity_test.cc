#include "libs/resource/quantity.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

Quantity Q(const char* s) {
  auto q = Quantity::Parse(s);
  EXPECT_TRUE(q.has_value()) << s;
  return q.value_or(Quantity());
}

TEST(Quantity, ParsesKubeGrammar) {
  for (const char* ok : {"1", "500m", "1.5", "2Gi", "1e3", "1E-2", "+3", "-1", "0.1Ki", "100n", "5E"}) {
    EXPECT_TRUE(Quantity::Parse(ok).has_value()) << ok;
  }
  for (const char* bad : {"", "abc", "1x", "1.2.3", "Gi", "1 Gi", "1e", "--1"}) {
    EXPECT_FALSE(Quantity::Parse(bad).has_value()) << bad;
  }
}

TEST(Quantity, ComparesSemantically) {
  EXPECT_EQ(Q("1"), Q("1000m"));
  EXPECT_EQ(Q("1Gi"), Q("1073741824"));
  EXPECT_EQ(Q("1k"), Q("1e3"));
  EXPECT_EQ(Q("0.5"), Q("500m"));
  EXPECT_LT(Q("100m"), Q("1"));
  EXPECT_GT(Q("1Mi"), Q("1M"));
  EXPECT_LT(Q("-1"), Q("0"));
  EXPECT_TRUE(Q("0m").IsZero());
  Quantity sum = Q("250m");
  sum += Q("750m");
  EXPECT_EQ(sum, Q("1"));
  EXPECT_GT(Q("1E"), Q("999P"));
}

TEST(Quantity, JsonNumbersAreQuantities) {
  EXPECT_EQ(*Quantity::FromJson(nlohmann::json(2)), Q("2"));
  EXPECT_FALSE(Quantity::FromJson(nlohmann::json::array()).has_value());
}

}  // namespace
}  // namespace vkube::resource

namespace vkube::resource {
namespace {

std::string Canonical(const char* text) { return Quantity::Parse(text)->String(); }

TEST(QuantityString, CanonicalFormsLikeKube) {
  EXPECT_EQ(Canonical("500m"), "500m");
  EXPECT_EQ(Canonical("1.5"), "1500m");
  EXPECT_EQ(Canonical("2000"), "2k");
  EXPECT_EQ(Canonical("3"), "3");
  EXPECT_EQ(Canonical("0"), "0");
  EXPECT_EQ(Canonical("1Gi"), "1Gi");
  EXPECT_EQ(Canonical("1536Mi"), "1536Mi");
  EXPECT_EQ(Canonical("2048Ki"), "2Mi");
  EXPECT_EQ(Canonical("1G"), "1G");
  Quantity sum = *Quantity::Parse("250m");
  sum += *Quantity::Parse("750m");
  EXPECT_EQ(sum.String(), "1");
  Quantity mem = *Quantity::Parse("512Mi");
  mem += *Quantity::Parse("512Mi");
  EXPECT_EQ(mem.String(), "1Gi");
  mem -= *Quantity::Parse("1Gi");
  EXPECT_EQ(mem.String(), "0");
}

}  // namespace
}  // namespace vkube::resource
