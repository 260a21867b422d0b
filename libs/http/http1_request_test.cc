#include "libs/http/http1_request.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

namespace vkube::http {
namespace {

namespace bhttp = boost::beast::http;

TEST(Http1RequestTest, SplitTargetKeepsPercentEncoding) {
  std::string path, query;
  SplitTarget("/api/v1/namespaces/a%2Fb/pods?labelSelector=app%3Dx&watch=1", path, query);
  EXPECT_EQ(path, "/api/v1/namespaces/a%2Fb/pods");
  EXPECT_EQ(query, "labelSelector=app%3Dx&watch=1");
  SplitTarget("/healthz", path, query);
  EXPECT_EQ(path, "/healthz");
  EXPECT_EQ(query, "");
  SplitTarget("/x?", path, query);
  EXPECT_EQ(path, "/x");
  EXPECT_EQ(query, "");
  SplitTarget("/x?a=1?b", path, query);  // only the first '?' splits
  EXPECT_EQ(query, "a=1?b");
}

TEST(Http1RequestTest, FromBeastLowerCasesHeaderNamesAndKeepsDuplicates) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::patch, "/apis/apps/v1/deployments?dryRun=All", 11};
  req.set("Content-Type", "application/merge-patch+json");
  req.insert("X-Multi", "one");
  req.insert("X-Multi", "two");
  req.body() = R"({"spec":{}})";
  auto peer = std::make_shared<PeerInfo>();
  peer->alpn = "http/1.1";
  Request out = FromBeast(std::move(req), peer);
  EXPECT_EQ(out.method, "PATCH");
  EXPECT_EQ(out.target, "/apis/apps/v1/deployments?dryRun=All");
  EXPECT_EQ(out.path, "/apis/apps/v1/deployments");
  EXPECT_EQ(out.query, "dryRun=All");
  EXPECT_EQ(out.body, R"({"spec":{}})");
  EXPECT_EQ(out.peer, peer);
  ASSERT_EQ(out.headers.size(), 3u);
  EXPECT_EQ(out.headers[0].name, "content-type");
  EXPECT_EQ(out.headers[1].name, "x-multi");
  EXPECT_EQ(out.headers[1].value, "one");
  EXPECT_EQ(out.headers[2].value, "two");
  EXPECT_EQ(out.header("CONTENT-TYPE"), "application/merge-patch+json");
}

TEST(Http1RequestTest, UnknownMethodIsKeptUpperCased) {
  bhttp::request_parser<bhttp::string_body> p;
  boost::beast::error_code ec;
  std::string raw = "PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n";
  p.put(boost::asio::buffer(raw), ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(p.is_done());
  Request out = FromBeast(p.release(), nullptr);
  EXPECT_EQ(out.method, "PROPFIND");
  EXPECT_EQ(out.header("host"), "a");
}

TEST(Http1RequestTest, StatusBodyMatchesKubeApiserverShape) {
  EXPECT_EQ(StatusBody(413, "RequestEntityTooLarge", "the request body is too large"),
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request body is too large","reason":"RequestEntityTooLarge","code":413})");
  // Invalid UTF-8 from a client never throws.
  EXPECT_NE(StatusBody(400, "BadRequest", "bad \xff byte").find("bad "), std::string::npos);
}

}  // namespace
}  // namespace vkube::http
