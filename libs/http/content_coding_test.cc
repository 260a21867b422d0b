#include "libs/http/content_coding.h"

#include <gtest/gtest.h>

#include <random>

namespace vkube::http {
namespace {

TEST(ContentCodingTest, AcceptsGzipFollowsQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("br, *"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));  // an explicit refusal beats the wildcard
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=abc"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=2"));
  EXPECT_TRUE(AcceptsGzip(" gzip ; q=0.001 "));
}

TEST(ContentCodingTest, RoundTripsAndShrinksRepetitiveJson) {
  std::string body;
  for (int i = 0; i < 5000; ++i)
    body += R"({"metadata":{"name":"pod-)" + std::to_string(i) + R"(","namespace":"default"}},)";
  auto gz = GzipEncode(body);
  ASSERT_TRUE(gz.ok());
  EXPECT_LT(gz->size(), body.size() / 5);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic, not a zlib stream
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  auto back = GzipDecode(*gz, body.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, body);
}

TEST(ContentCodingTest, EmptyAndIncompressibleInputsRoundTrip) {
  std::mt19937 rng(7);
  std::string noise(100000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const std::string& in : {std::string(), noise}) {
    auto gz = GzipEncode(in);
    ASSERT_TRUE(gz.ok());
    auto back = GzipDecode(*gz, in.size());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, in);
  }
}

TEST(ContentCodingTest, DecodeRefusesBombsAndGarbage) {
  auto gz = GzipEncode(std::string(10 << 20, 'a'));
  ASSERT_TRUE(gz.ok());
  auto bomb = GzipDecode(*gz, 1 << 20);
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.error().code, ErrorCode::kRequestEntityTooLarge);
  EXPECT_EQ(GzipDecode("not gzip at all", 1000).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(GzipDecode(gz->substr(0, gz->size() / 2), 100 << 20).error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace vkube::http
