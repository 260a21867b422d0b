// ApiServer driven directly (no sockets) over a real SqliteStore and the real Registry.
#include "apiserver-proxy/api_server.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "apiserver-proxy/bootstrap.h"
#include "libs/http/testing/capturing_writer.h"
#include "libs/store/sqlite_store.h"

namespace vkube::apiserver {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

using http::testing::CapturingWriter;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-api-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = store::SqliteStore::Open(store::SqliteStoreOptions{dir_ + "/store.db"});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    registry_ = resource::Registry::BuiltIn();
    ASSERT_TRUE(EnsureSystemNamespaces(*store_, *registry_).ok());
    TenantContext t;
    t.store = store_;
    t.registry = registry_;
    t.tokens.push_back({"secret-token", {"admin", {"system:masters"}}});
    ApiServerLimits limits;
    limits.max_requests_inflight = 4;
    api_ = std::make_unique<ApiServer>(std::move(t), limits, pool_);
  }
  void TearDown() override {
    api_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  http::Response Call(std::string method, std::string target, std::string body = "",
                      std::vector<http::Header> extra = {}, bool auth = true) {
    http::Request req;
    req.method = std::move(method);
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.body = std::move(body);
    if (auth) req.headers.push_back({"authorization", "Bearer secret-token"});
    for (auto& h : extra) req.headers.push_back(std::move(h));
    req.headers.push_back({"content-type", "application/json"});  // default, after any explicit one
    CapturingWriter w;
    asio::io_context io;
    asio::co_spawn(io, api_->Handle(req, w), asio::detached);
    io.run();
    EXPECT_TRUE(w.done);
    return w.response;
  }

  static json Body(const http::Response& r) { return json::parse(r.body); }

  std::string dir_;
  asio::thread_pool pool_{2};
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<const resource::Registry> registry_;
  std::unique_ptr<ApiServer> api_;
};

const char* kCm = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","labels":{"app":"web"}},"data":{"k":"v"}})";

TEST_F(ApiServerTest, UnauthenticatedIs401ButHealthIsPublic) {
  auto r = Call("GET", "/api/v1/namespaces", "", {}, false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["reason"], "Unauthorized");
  EXPECT_EQ(Call("GET", "/healthz", "", {}, false).body, "ok");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces", "", {{"authorization", "Bearer wrong"}}, false).status, 401);
}

TEST_F(ApiServerTest, CreateGetListUpdateConflictDelete) {
  auto created = Call("POST", "/api/v1/namespaces/default/configmaps", kCm);
  ASSERT_EQ(created.status, 201) << created.body;
  json obj = Body(created);
  EXPECT_EQ(obj["metadata"]["namespace"], "default");
  EXPECT_EQ(obj["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", kCm).status, 409);
  auto got = Call("GET", "/api/v1/namespaces/default/configmaps/c1");
  EXPECT_EQ(Body(got)["data"]["k"], "v");
  auto list = Body(Call("GET", "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb"));
  EXPECT_EQ(list["kind"], "ConfigMapList");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_TRUE(Body(Call("GET", "/api/v1/configmaps?labelSelector=app%3Ddb"))["items"].empty());
  json stale = obj;
  obj["data"]["k"] = "v2";
  auto upd = Call("PUT", "/api/v1/namespaces/default/configmaps/c1", obj.dump());
  ASSERT_EQ(upd.status, 200) << upd.body;
  stale["data"]["k"] = "v3";
  auto conflict = Call("PUT", "/api/v1/namespaces/default/configmaps/c1", stale.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Body(conflict)["reason"], "Conflict");
  auto del = Call("DELETE", "/api/v1/namespaces/default/configmaps/c1");
  EXPECT_EQ(del.status, 200);
  auto gone = Call("GET", "/api/v1/namespaces/default/configmaps/c1");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(Body(gone)["message"], "configmaps \"c1\" not found");
}

TEST_F(ApiServerTest, NamespaceRulesValidationAndTable) {
  auto missing = Call("POST", "/api/v1/namespaces/nope/configmaps", kCm);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["message"], "namespaces \"nope\" not found");
  auto bad = Call("POST", "/api/v1/namespaces/default/configmaps",
                  R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Body(bad)["details"]["causes"][0]["field"], "metadata.name");
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", "{nope").status, 400);
  auto pod = Call("POST", "/api/v1/namespaces/default/pods",
                  R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  ASSERT_EQ(pod.status, 201) << pod.body;
  auto table = Body(Call("GET", "/api/v1/namespaces/default/pods", "",
                         {{"accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}}));
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["columnDefinitions"][1]["name"], "Ready");
  EXPECT_EQ(table["rows"][0]["cells"][0], "p");
  EXPECT_EQ(table["rows"][0]["cells"][2], "Pending");
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
}

TEST_F(ApiServerTest, StatusSubresourceKeepsSpecAndMainKeepsStatus) {
  Call("POST", "/api/v1/namespaces/default/pods",
       R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  auto st = Call("PATCH", "/api/v1/namespaces/default/pods/p/status", R"({"status":{"phase":"Running"}})",
                 {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(Body(st)["status"]["phase"], "Running");
  auto main = Call("PATCH", "/api/v1/namespaces/default/pods/p", R"({"status":{"phase":"Failed"},"metadata":{"labels":{"a":"b"}}})",
                   {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(Body(main)["status"]["phase"], "Running");
  EXPECT_EQ(Body(main)["metadata"]["labels"]["a"], "b");
}

TEST_F(ApiServerTest, ListPagesWithContinue) {
  for (int i = 0; i < 5; ++i) {
    json cm = json::parse(kCm);
    cm["metadata"]["name"] = "c" + std::to_string(i);
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", cm.dump()).status, 201);
  }
  auto p1 = Body(Call("GET", "/api/v1/namespaces/default/configmaps?limit=2"));
  EXPECT_EQ(p1["items"].size(), 2u);
  EXPECT_EQ(p1["metadata"]["remainingItemCount"], 3);
  std::string cont = p1["metadata"]["continue"];
  auto p2 = Body(Call("GET", "/api/v1/namespaces/default/configmaps?limit=2&continue=" + cont));
  EXPECT_EQ(p2["items"][0]["metadata"]["name"], "c2");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps?continue=garbage!").status, 400);
}

TEST_F(ApiServerTest, WatchStreamsEventsAndTooOldIs410Event) {
  asio::io_context io;
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/namespaces/default/configmaps";
  req.query = "watch=1&resourceVersion=" + std::to_string(store_->CurrentRevision()) + "&timeoutSeconds=5";
  req.headers.push_back({"authorization", "Bearer secret-token"});
  CapturingWriter w;
  asio::co_spawn(io, api_->Handle(req, w), asio::detached);
  asio::steady_timer t(io);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    t.expires_after(std::chrono::milliseconds(50));
    co_await t.async_wait(asio::use_awaitable);
    Call("POST", "/api/v1/namespaces/default/configmaps", kCm);
    Call("DELETE", "/api/v1/namespaces/default/configmaps/c1");
    t.expires_after(std::chrono::milliseconds(200));
    co_await t.async_wait(asio::use_awaitable);
    w.Close();  // client goes away: the handler ends the stream
  }, asio::detached);
  io.run();
  EXPECT_TRUE(w.done);
  EXPECT_NE(w.response.body.find(R"({"type":"ADDED")"), std::string::npos) << w.response.body;
  EXPECT_NE(w.response.body.find(R"({"type":"DELETED")"), std::string::npos) << w.response.body;
  EXPECT_LT(w.response.body.find("ADDED"), w.response.body.find("DELETED"));
}

TEST_F(ApiServerTest, PatchTypesAndUnsupportedMediaType) {
  Call("POST", "/api/v1/namespaces/default/configmaps", kCm);
  auto jp = Call("PATCH", "/api/v1/namespaces/default/configmaps/c1", R"([{"op":"add","path":"/data/x","value":"1"}])",
                 {{"content-type", "application/json-patch+json"}});
  EXPECT_EQ(Body(jp)["data"]["x"], "1");
  auto before = Body(Call("GET", "/api/v1/namespaces/default/configmaps/c1"))["metadata"]["resourceVersion"];
  auto noop = Call("PATCH", "/api/v1/namespaces/default/configmaps/c1", R"({"data":{"x":"1"}})",
                   {{"content-type", "application/strategic-merge-patch+json"}});
  EXPECT_EQ(Body(noop)["metadata"]["resourceVersion"], before);  // no-op patches do not write
  auto unsupported = Call("PATCH", "/api/v1/namespaces/default/configmaps/c1", "{}",
                          {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(unsupported.status, 415);
}

TEST(ApiServerLimitsTest, OverInflightLimitIs429WithRetryAfter) {
  char tmpl[] = "/tmp/vkube-api-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto s = store::SqliteStore::Open(store::SqliteStoreOptions{dir + "/store.db"});
  ASSERT_TRUE(s.ok());
  std::shared_ptr<store::Store> st = std::move(*s);
  TenantContext t;
  t.store = st;
  t.registry = resource::Registry::BuiltIn();
  t.tokens.push_back({"tok", {"admin", {}}});
  ApiServerLimits limits;
  limits.max_requests_inflight = 0;  // every read is over the limit
  asio::thread_pool pool(1);
  ApiServer api(std::move(t), limits, pool);
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/namespaces";
  req.headers.push_back({"authorization", "Bearer tok"});
  CapturingWriter w;
  asio::io_context io;
  asio::co_spawn(io, api.Handle(req, w), asio::detached);
  io.run();
  EXPECT_EQ(w.response.status, 429);
  EXPECT_EQ(json::parse(w.response.body)["reason"], "TooManyRequests");
  EXPECT_EQ(json::parse(w.response.body)["details"]["retryAfterSeconds"], 1);
  bool retry_after = false;
  for (const auto& h : w.response.headers) retry_after = retry_after || (h.name == "retry-after" && h.value == "1");
  EXPECT_TRUE(retry_after);
  st->Close();
  std::filesystem::remove_all(dir);
}

TEST_F(ApiServerTest, DiscoveryAndUnknownPaths) {
  auto api = Body(Call("GET", "/api"));
  EXPECT_EQ(api["versions"][0], "v1");
  auto v1 = Body(Call("GET", "/api/v1"));
  bool has_pods = false;
  for (auto& r : v1["resources"]) has_pods = has_pods || (r["name"] == "pods" && r["shortNames"][0] == "po");
  EXPECT_TRUE(has_pods);
  EXPECT_EQ(Body(Call("GET", "/apis"))["groups"][0]["name"], "apps");
  EXPECT_EQ(Call("GET", "/api/v1/frobs").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/nodes/x").status, 404);  // cluster-scoped under a namespace
}

}  // namespace
}  // namespace vkube::apiserver
