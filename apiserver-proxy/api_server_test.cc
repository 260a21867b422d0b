// ApiServer driven directly (no sockets) over a real SqliteStore and the real Registry.
#include "apiserver-proxy/api_server.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "apiserver-proxy/api_surface.h"
#include "apiserver-proxy/bootstrap.h"
#include "apiserver-proxy/crd_catalog.h"
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
    ASSERT_TRUE(EnsureBootstrapPolicy(*store_, *registry_).ok());
    ASSERT_TRUE(EnsureBootstrapPolicy(*store_, *registry_).ok());  // idempotent
    TenantContext t;
    t.store = store_;
    t.registry = registry_;
    objects_ = std::make_shared<registry::GenericRegistry>(store_, registry_);
    t.objects = objects_;
    t.tokens.push_back({"secret-token", {"admin", {"system:masters"}}});
    t.tokens.push_back({"alice-token", {"alice", {}}});
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
  std::shared_ptr<registry::GenericRegistry> objects_;
  std::unique_ptr<ApiServer> api_;
};

const char* kCm =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","labels":{"app":"web"}},"data":{"k":"v"}})";

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
  auto pod = Call(
      "POST", "/api/v1/namespaces/default/pods",
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
  Call(
      "POST", "/api/v1/namespaces/default/pods",
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  auto st = Call("PATCH", "/api/v1/namespaces/default/pods/p/status", R"({"status":{"phase":"Running"}})",
                 {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(Body(st)["status"]["phase"], "Running");
  auto main = Call("PATCH", "/api/v1/namespaces/default/pods/p",
                   R"({"status":{"phase":"Failed"},"metadata":{"labels":{"a":"b"}}})",
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
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        t.expires_after(std::chrono::milliseconds(50));
        co_await t.async_wait(asio::use_awaitable);
        Call("POST", "/api/v1/namespaces/default/configmaps", kCm);
        Call("DELETE", "/api/v1/namespaces/default/configmaps/c1");
        t.expires_after(std::chrono::milliseconds(200));
        co_await t.async_wait(asio::use_awaitable);
        w.Close();  // client goes away: the handler ends the stream
      },
      asio::detached);
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
                          {{"content-type", "application/apply-patch+cbor"}});
  EXPECT_EQ(unsupported.status, 415);
  EXPECT_NE(Body(unsupported)["message"].get<std::string>().find("application/apply-patch+yaml"), std::string::npos);
}

// Bodies are parsed iteratively, but every later walk recurses: nesting past Go's 10,000 levels is a
// 400 before parsing, on every verb that takes a body, and the server keeps serving.
TEST_F(ApiServerTest, BodiesNestedDeeperThanKubesLimitAre400) {
  std::string deep = std::string(200'000, '[') + std::string(200'000, ']');
  std::string cm = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"k":)" + deep + "}}";
  auto created = Call("POST", "/api/v1/namespaces/default/configmaps", cm);
  EXPECT_EQ(created.status, 400);
  EXPECT_EQ(Body(created)["message"], "json: exceeded max depth");
  Call("POST", "/api/v1/namespaces/default/configmaps", kCm);
  for (const char* type : {"application/merge-patch+json", "application/strategic-merge-patch+json",
                           "application/json-patch+json", "application/apply-patch+yaml"}) {
    auto r = Call("PATCH", "/api/v1/namespaces/default/configmaps/c1?fieldManager=t", "{\"data\":" + deep + "}",
                  {{"content-type", type}});
    EXPECT_EQ(r.status, 400) << type;
    EXPECT_EQ(Body(r)["message"], "json: exceeded max depth") << type;
  }
  EXPECT_EQ(Body(Call("GET", "/api/v1/namespaces/default/configmaps/c1"))["data"]["k"], "v");
}

TEST_F(ApiServerTest, ServerSideApplyAndManagedFields) {
  const std::string cm = "/api/v1/namespaces/default/configmaps/c1";
  auto no_manager = Call("PATCH", cm, R"({"apiVersion":"v1","kind":"ConfigMap"})",
                         {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(no_manager.status, 422);
  EXPECT_EQ(Body(no_manager)["message"],
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  // Apply to a missing object creates it (YAML body).
  auto created = Call("PATCH", cm + "?fieldManager=tool",
                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  a: \"1\"\n",
                      {{"content-type", "application/apply-patch+yaml"}});
  ASSERT_EQ(created.status, 201) << created.body;
  json mf = Body(created)["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["manager"], "tool");
  EXPECT_EQ(mf[0]["operation"], "Apply");
  EXPECT_EQ(mf[0]["fieldsV1"], json::parse(R"({"f:data":{"f:a":{}}})"));
  // A merge patch by another manager changing the applied value, then a conflicting apply.
  auto patched = Call("PATCH", cm + "?fieldManager=editor", R"({"data":{"a":"2"}})",
                      {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(patched.status, 200);
  auto conflict = Call("PATCH", cm + "?fieldManager=tool", R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"3"}})",
                       {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Body(conflict)["message"], "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a");
  EXPECT_EQ(Body(conflict)["details"]["causes"][0]["reason"], "FieldManagerConflict");
  auto forced =
      Call("PATCH", cm + "?fieldManager=tool&force=true", R"({"apiVersion":"v1","kind":"ConfigMap","data":{"a":"3"}})",
           {{"content-type", "application/apply-patch+yaml"}});
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(Body(forced)["data"]["a"], "3");
  // force on a non-apply patch is refused as kube does.
  auto bad_force =
      Call("PATCH", cm + "?force=true", R"({"data":{}})", {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(bad_force.status, 422);
}

// An apply of a Scale owns the parent's replicas under subresource "scale" and conflicts with the
// parent's other owners of that field, as kube's ScaleHandler does.
TEST_F(ApiServerTest, ServerSideApplyOnScale) {
  const std::string deploy = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{
      "replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})";
  ASSERT_EQ(Call("POST", "/apis/apps/v1/namespaces/default/deployments?fieldManager=creator", deploy).status, 201);
  const std::string scale = "/apis/apps/v1/namespaces/default/deployments/web/scale";
  const std::string five = R"({"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":5}})";
  const std::vector<http::Header> apply = {{"content-type", "application/apply-patch+yaml"}};
  auto conflict = Call("PATCH", scale + "?fieldManager=scaler", five, apply);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Body(conflict)["message"],
            "Apply failed with 1 conflict: conflict with \"creator\" using apps/v1: .spec.replicas");
  auto applied = Call("PATCH", scale + "?fieldManager=scaler&force=true", five, apply);
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(Body(applied)["kind"], "Scale");
  EXPECT_EQ(Body(applied)["spec"]["replicas"], 5);
  json obj = Body(Call("GET", "/apis/apps/v1/namespaces/default/deployments/web"));
  EXPECT_EQ(obj["spec"]["replicas"], 5);
  bool found = false;
  for (const auto& e : obj["metadata"]["managedFields"]) {
    if (e["manager"] != "scaler") continue;
    found = true;
    EXPECT_EQ(e["operation"], "Apply");
    EXPECT_EQ(e["subresource"], "scale");
    EXPECT_EQ(e["apiVersion"], "apps/v1");
    EXPECT_EQ(e["fieldsV1"], json::parse(R"({"f:spec":{"f:replicas":{}}})"));
  }
  EXPECT_TRUE(found) << obj["metadata"]["managedFields"].dump();
  // The same manager re-applying needs no force; a bad Scale is refused as kube words it.
  EXPECT_EQ(Call("PATCH", scale + "?fieldManager=scaler",
                 R"({"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":1}})", apply)
                .status,
            200);
  EXPECT_EQ(Body(Call("PATCH", scale + "?fieldManager=scaler", R"({"apiVersion":"apps/v1","kind":"Scale"})",
                      apply))["message"],
            "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: autoscaling/v1");
  EXPECT_EQ(Call("PATCH", scale + "?fieldManager=scaler",
                 R"({"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":-1}})", apply)
                .status,
            422);
  EXPECT_EQ(Call("PATCH", scale, five, apply).status, 422);  // fieldManager is required
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

// ---- authorization ----

constexpr const char* kAlice = "Bearer alice-token";

// RBAC changes reach the authorizer through a store watch: poll briefly.
template <typename F>
bool Eventually(F f) {
  for (int i = 0; i < 300; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(ApiServerTest, ForbiddenWithKubesMessages) {
  auto pods = Call("GET", "/api/v1/namespaces/default/pods", "", {{"authorization", kAlice}}, false);
  ASSERT_EQ(pods.status, 403) << pods.body;
  json st = Body(pods);
  EXPECT_EQ(st["reason"], "Forbidden");
  EXPECT_EQ(
      st["message"],
      R"(pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default")");
  EXPECT_EQ(st["details"]["kind"], "pods");
  auto node = Call("GET", "/api/v1/nodes/n1", "", {{"authorization", kAlice}}, false);
  EXPECT_EQ(
      Body(node)["message"],
      R"(nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope)");
  EXPECT_EQ(Body(node)["details"]["name"], "n1");
  auto deploy = Call("DELETE", "/apis/apps/v1/namespaces/x/deployments/web", "", {{"authorization", kAlice}}, false);
  EXPECT_EQ(Body(deploy)["message"], R"(deployments.apps "web" is forbidden: User "alice" cannot delete resource )"
                                     R"("deployments" in API group "apps" in the namespace "x")");
  auto path = Call("GET", "/metrics", "", {{"authorization", kAlice}}, false);
  EXPECT_EQ(path.status, 403);
  EXPECT_EQ(Body(path)["message"], R"(forbidden: User "alice" cannot get path "/metrics")");
  // Discovery is for every authenticated user (system:discovery), health for everyone.
  EXPECT_EQ(Call("GET", "/api/v1", "", {{"authorization", kAlice}}, false).status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "", {}, false).body, "ok");
  auto post = Call("POST", "/healthz", "", {}, false);
  EXPECT_EQ(post.status, 403);
  EXPECT_EQ(Body(post)["message"], R"(forbidden: User "system:anonymous" cannot post path "/healthz")");
}

TEST_F(ApiServerTest, BindingGrantsAndReviewsReport) {
  const json ssar = {
      {"apiVersion", "authorization.k8s.io/v1"},
      {"kind", "SelfSubjectAccessReview"},
      {"spec", {{"resourceAttributes", {{"namespace", "default"}, {"verb", "list"}, {"resource", "pods"}}}}}};
  auto review = Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar.dump(),
                     {{"authorization", kAlice}}, false);
  ASSERT_EQ(review.status, 201) << review.body;
  EXPECT_EQ(Body(review)["status"]["allowed"], false);
  EXPECT_EQ(Body(review)["kind"], "SelfSubjectAccessReview");
  auto rb = Call(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
      R"({"metadata":{"name":"alice-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
                     "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]})");
  ASSERT_EQ(rb.status, 201) << rb.body;
  EXPECT_TRUE(Eventually([&] {
    return Call("GET", "/api/v1/namespaces/default/pods", "", {{"authorization", kAlice}}, false).status == 200;
  }));
  review = Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar.dump(),
                {{"authorization", kAlice}}, false);
  EXPECT_EQ(Body(review)["status"]["allowed"], true);
  EXPECT_EQ(Body(review)["status"]["reason"],
            R"(RBAC: allowed by RoleBinding "alice-view/default" of ClusterRole "view" to User "alice")");
  // Reviews of other subjects: the admin may, alice may not.
  const json sar = {{"apiVersion", "authorization.k8s.io/v1"},
                    {"kind", "SubjectAccessReview"},
                    {"spec",
                     {{"user", "alice"},
                      {"resourceAttributes", {{"namespace", "default"}, {"verb", "delete"}, {"resource", "pods"}}}}}};
  auto as_admin = Call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar.dump());
  ASSERT_EQ(as_admin.status, 201) << as_admin.body;
  EXPECT_EQ(Body(as_admin)["status"]["allowed"], false);
  EXPECT_EQ(
      Call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar.dump(), {{"authorization", kAlice}}, false)
          .status,
      403);
  auto invalid = Call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                      R"({"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{}})");
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  // Rules review and whoami.
  auto rules =
      Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
           R"({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}})",
           {{"authorization", kAlice}}, false);
  ASSERT_EQ(rules.status, 201) << rules.body;
  EXPECT_FALSE(Body(rules)["status"]["resourceRules"].empty());
  EXPECT_FALSE(Body(rules)["status"]["nonResourceRules"].empty());
  EXPECT_EQ(Body(rules)["status"]["incomplete"], false);
  auto who = Call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                  R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})",
                  {{"authorization", kAlice}}, false);
  ASSERT_EQ(who.status, 201) << who.body;
  EXPECT_EQ(Body(who)["status"]["userInfo"], json::parse(R"({"username":"alice","groups":["system:authenticated"]})"));
  auto tr = Call("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                 R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"alice-token"}})");
  ASSERT_EQ(tr.status, 201) << tr.body;
  EXPECT_EQ(Body(tr)["status"]["authenticated"], true);
  EXPECT_EQ(Body(tr)["status"]["user"]["username"], "alice");
}

TEST_F(ApiServerTest, Impersonation) {
  auto as_alice = Call("GET", "/api/v1/namespaces/default/pods", "", {{"impersonate-user", "alice"}});
  EXPECT_EQ(as_alice.status, 403);
  EXPECT_NE(Body(as_alice)["message"].get<std::string>().find(R"(User "alice" cannot list)"), std::string::npos);
  auto who = Call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                  R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})",
                  {{"impersonate-user", "system:serviceaccount:default:builder"}, {"impersonate-extra-scopes", "a"}});
  ASSERT_EQ(who.status, 201) << who.body;
  EXPECT_EQ(Body(who)["status"]["userInfo"],
            json::parse(R"({"username":"system:serviceaccount:default:builder","groups":["system:serviceaccounts",
                "system:serviceaccounts:default","system:authenticated"],"extra":{"scopes":["a"]}})"));
  auto denied = Call("GET", "/api/v1/namespaces/default/pods", "",
                     {{"authorization", kAlice}, {"impersonate-user", "bob"}}, false);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(Body(denied)["message"], R"(users "bob" is forbidden: User "alice" cannot impersonate resource "users" in )"
                                     R"(API group "" at the cluster scope)");
  auto group_only = Call("GET", "/api/v1/namespaces/default/pods", "", {{"impersonate-group", "devs"}});
  EXPECT_EQ(group_only.status, 500);
}

TEST_F(ApiServerTest, EscalationIsRefused) {
  // alice may manage roles and bindings in default (without `escalate` / `bind`, which "*" would
  // include), and holds get on configmaps there.
  auto role = Call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
                   R"({"metadata":{"name":"rbac-admin"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],
                       "resources":["roles","rolebindings"],"verbs":["get","list","create","update","patch"]},{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]})");
  ASSERT_EQ(role.status, 201) << role.body;
  ASSERT_EQ(
      Call(
          "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
          R"({"metadata":{"name":"alice-rbac"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"rbac-admin"},
                     "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]})")
          .status,
      201);
  const std::vector<http::Header> alice = {{"authorization", kAlice}};
  EXPECT_TRUE(Eventually([&] {
    return Call("GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", "", alice, false).status == 200;
  }));
  auto ok = Call(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
      R"({"metadata":{"name":"cm-reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]})",
      alice, false);
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto bad = Call(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
      R"({"metadata":{"name":"cm-writer"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","create"]}]})",
      alice, false);
  ASSERT_EQ(bad.status, 403) << bad.body;
  EXPECT_EQ(
      Body(bad)["message"],
      "roles.rbac.authorization.k8s.io \"cm-writer\" is forbidden: user \"alice\" (groups=[\"system:authenticated\"]) "
      "is attempting to grant RBAC permissions not currently held:\n"
      "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"create\"]}");
  auto patch = Call("PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/cm-reader",
                    R"({"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]})",
                    {{"authorization", kAlice}, {"content-type", "application/merge-patch+json"}}, false);
  EXPECT_EQ(patch.status, 403) << patch.body;
  auto bind_bad = Call(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
      R"({"metadata":{"name":"grab"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},
                           "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}]})",
      alice, false);
  EXPECT_EQ(bind_bad.status, 403) << bind_bad.body;
  auto bind_ok = Call(
      "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
      R"({"metadata":{"name":"share"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm-reader"},
                          "subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"carol"}]})",
      alice, false);
  EXPECT_EQ(bind_ok.status, 201) << bind_ok.body;
}

// A CRD's custom resources are served once it is established (the CRD controller's verdict, set
// here by hand), through every served version, and leave when it is gone.
TEST_F(ApiServerTest, CustomResourcesFollowTheirDefinition) {
  std::atomic<int> published{0};
  auto catalog = CrdCatalog::Start(store_, ApiSurface::Make(registry_, nullptr), pool_.get_executor(),
                                   [&](std::shared_ptr<const ApiSurface> s) {
                                     objects_->SetKinds(s->kinds);
                                     api_->Publish(std::move(s));
                                     ++published;
                                   });
  ASSERT_TRUE(catalog.ok());
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 400 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return pred();
  };
  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"crontabs.stable.example.com"},
    "spec":{"group":"stable.example.com","scope":"Namespaced",
      "names":{"plural":"crontabs","kind":"CronTab","shortNames":["ct"]},
      "versions":[
        {"name":"v1","served":true,"storage":true,"subresources":{"status":{},"scale":{
           "specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
         "additionalPrinterColumns":[{"name":"Spec","type":"string","jsonPath":".spec.cronSpec"}],
         "schema":{"openAPIV3Schema":{"type":"object","properties":{
           "spec":{"type":"object","properties":{"cronSpec":{"type":"string"},
                                                 "replicas":{"type":"integer","maximum":10}}},
           "status":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}}},
        {"name":"v1beta1","served":true,"storage":false,
         "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
  auto created = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Body(created)["status"]["storedVersions"], json::array({"v1"}));
  EXPECT_EQ(Call("GET", "/apis/stable.example.com/v1/namespaces/default/crontabs").status, 404)
      << "not served before it is established";
  json est = Body(created);
  est["status"]["acceptedNames"] = {{"plural", "crontabs"},
                                    {"singular", "crontab"},
                                    {"kind", "CronTab"},
                                    {"listKind", "CronTabList"},
                                    {"shortNames", {"ct"}}};
  est["status"]["conditions"] = {{{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"}}};
  auto st = Call("PUT", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com/status",
                 est.dump());
  ASSERT_EQ(st.status, 200) << st.body;
  ASSERT_TRUE(
      wait_for([&] { return Call("GET", "/apis/stable.example.com/v1/namespaces/default/crontabs").status == 200; }));

  // Written through v1beta1, stored at v1, read back in the version asked for.
  auto cr = Call("POST", "/apis/stable.example.com/v1beta1/namespaces/default/crontabs",
                 R"({"apiVersion":"stable.example.com/v1beta1","kind":"CronTab","metadata":{"name":"c"},
                     "spec":{"cronSpec":"* * * * *","replicas":2,"bogus":true}})");
  ASSERT_EQ(cr.status, 201) << cr.body;
  EXPECT_EQ(Body(cr)["apiVersion"], "stable.example.com/v1beta1");
  auto v1 = Body(Call("GET", "/apis/stable.example.com/v1/namespaces/default/crontabs/c"));
  EXPECT_EQ(v1["apiVersion"], "stable.example.com/v1");
  auto list = Body(Call("GET", "/apis/stable.example.com/v1beta1/crontabs"));
  EXPECT_EQ(list["kind"], "CronTabList");
  ASSERT_EQ(list["items"].size(), 1U);
  EXPECT_EQ(list["items"][0]["apiVersion"], "stable.example.com/v1beta1");
  // v1's schema: validated and pruned.
  auto bad =
      Call("POST", "/apis/stable.example.com/v1/namespaces/default/crontabs",
           R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"d"},"spec":{"replicas":11}})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  // /scale at the CRD's paths; Table with its printer columns.
  auto scale = Call("PATCH", "/apis/stable.example.com/v1/namespaces/default/crontabs/c/scale",
                    R"({"spec":{"replicas":5}})", {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(scale.status, 200) << scale.body;
  EXPECT_EQ(Body(scale)["spec"]["replicas"], 5);
  EXPECT_EQ(Body(Call("GET", "/apis/stable.example.com/v1/namespaces/default/crontabs/c"))["spec"]["replicas"], 5);
  auto table = Body(Call("GET", "/apis/stable.example.com/v1/namespaces/default/crontabs", "",
                         {{"accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}}));
  ASSERT_EQ(table["columnDefinitions"].size(), 2U) << table.dump();
  EXPECT_EQ(table["columnDefinitions"][1]["name"], "Spec");
  EXPECT_EQ(table["rows"][0]["cells"], json::parse(R"(["c","* * * * *"])"));
  // Discovery lists it.
  auto res = Body(Call("GET", "/apis/stable.example.com/v1"));
  EXPECT_EQ(res["resources"][0]["name"], "crontabs") << res.dump();

  // Deleting the CRD: the finalizer keeps it (terminating) and refuses new instances.
  auto del = Call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Body(del)["metadata"]["finalizers"], json::array({"customresourcecleanup.apiextensions.k8s.io"}));
  ASSERT_TRUE(wait_for([&] {
    return Call("POST", "/apis/stable.example.com/v1/namespaces/default/crontabs",
                R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"e"}})")
               .status == 405;
  }));
  // The controller's part, by hand: instances gone, finalizer removed → the resource leaves.
  EXPECT_EQ(Call("DELETE", "/apis/stable.example.com/v1/namespaces/default/crontabs/c").status, 200);
  auto cur = Body(Call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com"));
  cur["metadata"].erase("finalizers");
  ASSERT_EQ(
      Call("PUT", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.stable.example.com", cur.dump())
          .status,
      200);
  EXPECT_TRUE(wait_for([&] { return Call("GET", "/apis/stable.example.com/v1/crontabs").status == 404; }));
  (*catalog)->Stop();
}

}  // namespace
}  // namespace vkube::apiserver
