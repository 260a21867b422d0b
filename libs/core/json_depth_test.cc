#include "libs/core/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace vkube {
namespace {

std::string Nested(std::size_t n, char open = '[', char close = ']') {
  return std::string(n, open) + std::string(n, close);
}

TEST(JsonDepth, CountsArraysAndObjectsTogether) {
  EXPECT_FALSE(JsonNestsDeeperThan("{}", 1));
  EXPECT_TRUE(JsonNestsDeeperThan("{\"a\":[1]}", 1));
  EXPECT_FALSE(JsonNestsDeeperThan("{\"a\":[1]}", 2));
  EXPECT_FALSE(JsonNestsDeeperThan("[[],[],[[]]]", 3));
  EXPECT_TRUE(JsonNestsDeeperThan("[[],[],[[[]]]]", 3));
  EXPECT_FALSE(JsonNestsDeeperThan("", 0));
  EXPECT_FALSE(JsonNestsDeeperThan("42", 0));
}

TEST(JsonDepth, BracketsInStringsAndEscapesDoNotCount) {
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"k":"[[[[{{{{"})", 1));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"k":"\"[[[["})", 1));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"k\\":"x"})", 1));
  EXPECT_TRUE(JsonNestsDeeperThan(R"({"k\\":[[]]})", 2));
}

TEST(JsonDepth, KubeLimitOfTenThousand) {
  EXPECT_FALSE(JsonNestsDeeperThan(Nested(kMaxJsonDepth)));
  EXPECT_TRUE(JsonNestsDeeperThan(Nested(kMaxJsonDepth + 1)));
  EXPECT_TRUE(JsonNestsDeeperThan(std::string(1'000'000, '{')));  // unterminated: stops at the limit
}

}  // namespace
}  // namespace vkube
