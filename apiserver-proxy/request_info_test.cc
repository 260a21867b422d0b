#include "apiserver-proxy/request_info.h"

#include <gtest/gtest.h>

namespace vkube::apiserver {
namespace {

RequestInfo Parse(std::string_view method, std::string_view target) {
  auto q = target.find('?');
  auto query = Query::Parse(q == std::string_view::npos ? "" : target.substr(q + 1));
  EXPECT_TRUE(query.ok());
  auto info = ParseRequestInfo(method, target.substr(0, q), *query);
  EXPECT_TRUE(info.ok()) << target;
  return info.ok() ? *info : RequestInfo{};
}

TEST(RequestInfo, ResourcePaths) {
  auto i = Parse("GET", "/api/v1/namespaces/ns1/pods/p1/status");
  EXPECT_TRUE(i.is_resource_request);
  EXPECT_EQ(i.group, "");
  EXPECT_EQ(i.version, "v1");
  EXPECT_EQ(i.ns, "ns1");
  EXPECT_EQ(i.resource, "pods");
  EXPECT_EQ(i.name, "p1");
  EXPECT_EQ(i.subresource, "status");
  EXPECT_EQ(i.verb, "get");
  auto d = Parse("GET", "/apis/apps/v1/deployments?watch=true");
  EXPECT_EQ(d.group, "apps");
  EXPECT_EQ(d.verb, "watch");
  EXPECT_EQ(Parse("DELETE", "/api/v1/namespaces/a/configmaps").verb, "deletecollection");
  EXPECT_EQ(Parse("POST", "/api/v1/namespaces").verb, "create");
  auto ns = Parse("GET", "/api/v1/namespaces/kube-system");
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "kube-system");
  EXPECT_EQ(ns.ns, "");
  auto legacy = Parse("GET", "/api/v1/watch/namespaces/a/pods");
  EXPECT_EQ(legacy.verb, "watch");
  EXPECT_EQ(legacy.resource, "pods");
  EXPECT_FALSE(Parse("GET", "/apis").is_resource_request);
  EXPECT_FALSE(Parse("GET", "/api/v1").is_resource_request);
}

TEST(RequestInfo, HostilePathsAreRejected) {
  Query q;
  for (const char* bad : {"/api/v1/namespaces/a%2Fb/pods", "/api/v1/namespaces/../pods", "/api//v1/pods",
                          "/api/v1/namespaces/%2e%2e/pods", "/api/v1/pods/%zz", "no-slash",
                          "/api/v1/namespaces/a/pods/b/c/d", "/api/v1/namespaces/a%00/pods"}) {
    EXPECT_FALSE(ParseRequestInfo("GET", bad, q).ok()) << bad;
  }
}

TEST(Query, DecodesAndTakesFirstValue) {
  auto q = Query::Parse("labelSelector=app%3Dweb%2Ctier+in+(a)&limit=5&limit=9&watch=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Get("labelSelector"), "app=web,tier in (a)");
  EXPECT_EQ(q->Get("limit"), "5");
  EXPECT_TRUE(q->Bool("watch"));
  EXPECT_FALSE(Query::Parse("a=%G1").ok());
}

}  // namespace
}  // namespace vkube::apiserver
