// Randomized hostile requests across tenants (issue 6): every route trick, credential mix-up and
// malformed path against one TenantRouter serving real tenants. Oracle: a response may contain a
// tenant's secret marker only when the request carried that tenant's own credential, a credential
// routed to another tenant is always refused, the server never answers 5xx, and at the end every
// tenant's store holds exactly the objects its own credential created.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "libs/http/testing/capturing_writer.h"
#include "tenancy/tenant_manager.h"
#include "tenancy/tenant_router.h"
#include "tenancy/testing/test_platform.h"

namespace vkube::tenancy {
namespace {

namespace asio = boost::asio;

std::string Marker(const std::string& tenant) { return "MARKER-" + tenant + "-SECRET"; }

class RouterFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-fuzz-XXXXXX";
    dir_ = mkdtemp(tmpl);
    manager_ = testing::OpenTestTenants(dir_, blocking_, controllers_, "vkube.test", "default");
    ASSERT_NE(manager_, nullptr);
    for (const char* name : {"default", "alpha", "beta", "gamma"}) {
      ASSERT_TRUE(manager_->Create(name).ok());
      auto t = manager_->Acquire(name);
      ASSERT_TRUE(t.ok());
      tenants_.push_back(name);
      tokens_.push_back((*t)->credentials().admin_token);
      certs_.push_back(pki::CertificateDer((*t)->credentials().admin.cert_pem));
      nlohmann::json cm = {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "marker-" + std::string(name)}, {"namespace", "default"}}},
                           {"data", {{"owner", Marker(name)}}}};
      ASSERT_TRUE((*t)->store().Create(store::Key{"configmaps", "default", "marker-" + std::string(name)}, cm, {}).ok());
    }
    router_ = std::make_unique<TenantRouter>(*manager_, RouterOptions{"vkube.test", "default"}, blocking_);
  }
  void TearDown() override {
    router_.reset();
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response Call(http::Request& req) {
    http::testing::CapturingWriter w;
    asio::co_spawn(io_, router_->Handle(req, w), asio::detached);
    io_.restart();
    io_.run();
    EXPECT_TRUE(w.done);
    return w.response;
  }

  std::string dir_;
  asio::io_context io_;
  asio::thread_pool blocking_{2};
  asio::thread_pool controllers_{1};
  std::unique_ptr<TenantManager> manager_;
  std::unique_ptr<TenantRouter> router_;
  std::vector<std::string> tenants_, tokens_, certs_;
};

TEST_F(RouterFuzz, HostileRequestsNeverCrossTenants) {
  const char* env = std::getenv("VKUBE_FUZZ_REQUESTS");
  const int total = env ? std::atoi(env) : 100000;
  std::mt19937 rng(20261122);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::size_t nt = tenants_.size();
  std::vector<std::set<std::string>> created(nt);
  const std::vector<std::string> junk = {"", "..", "%2e%2e", "%2F", "a%00b", "//", "tenants", "B", "alpha.", "\xff",
                                         "alpha%2F..%2Fbeta", "../alpha", "alpha/../beta", std::string(300, 'x')};
  int refused = 0, served = 0;
  for (int i = 0; i < total; ++i) {
    // Who the request claims to be: a tenant's token or certificate, a mix, garbage or nothing.
    const std::size_t who = pick(nt), other = pick(nt);
    http::Request req;
    auto peer = std::make_shared<http::PeerInfo>();
    std::optional<std::size_t> cred;  // tenant whose credential was presented (authenticates)
    switch (pick(6)) {
      case 0: req.headers.push_back({"authorization", "Bearer " + tokens_[who]}); cred = who; break;
      case 1: peer->client_cert_der = certs_[who]; cred = who; break;
      case 2:  // a token wins over a certificate (kube): the token decides
        req.headers.push_back({"authorization", "Bearer " + tokens_[who]});
        peer->client_cert_der = certs_[other];
        cred = who;
        break;
      case 3: req.headers.push_back({"authorization", "Bearer " + tokens_[who] + "x"}); break;
      case 4: req.headers.push_back({"authorization", "Basic " + tokens_[who]}); break;
      default: break;
    }
    // Where it goes: SNI, path prefix, tricks.
    std::string sni, prefix;
    const std::size_t target = pick(nt);
    switch (pick(7)) {
      case 0: sni = tenants_[target] + ".vkube.test"; break;
      case 1: prefix = "/tenants/" + tenants_[target]; break;
      case 2: prefix = "/tenants/" + junk[pick(junk.size())]; break;
      case 3: sni = junk[pick(junk.size())] + ".vkube.test"; break;
      case 4: sni = tenants_[target] + ".vkube.test"; prefix = "/tenants/" + tenants_[other]; break;
      case 5: prefix = "/" + junk[pick(junk.size())] + "/tenants/" + tenants_[target]; break;
      default: break;  // the default tenant at /
    }
    peer->sni = sni;
    req.peer = peer;
    if (pick(4) == 0) req.headers.push_back({"host", tenants_[pick(nt)] + ".vkube.test"});
    // What it asks.
    static const std::vector<std::string> paths = {
        "/api/v1/configmaps", "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/marker-",
        "/api", "/apis", "/version", "/api/v1/namespaces", "/api/v1/namespaces/default/configmaps/%2e%2e",
        "/api/v1/namespaces/../configmaps", "/healthz", "/v1/tenants", "/apis/apps/v1/deployments"};
    std::string path = paths[pick(paths.size())];
    if (path.ends_with("marker-")) path += tenants_[pick(nt)];
    req.method = "GET";
    const std::size_t verb = pick(100);
    std::string fuzz_name;
    if (verb < 2) {
      req.method = "POST";
      path = "/api/v1/namespaces/default/configmaps";
      fuzz_name = "fuzz-" + std::to_string(i);
      req.body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + fuzz_name + R"("}})";
      req.headers.push_back({"content-type", "application/json"});
    } else if (verb < 3) {
      req.method = "DELETE";
      path = "/api/v1/namespaces/default/configmaps/marker-" + tenants_[pick(nt)];
      path += "-not";  // never the marker itself: the oracle needs it
    }
    req.path = prefix + path;
    req.query = pick(3) == 0 ? "limit=2" : "";
    req.target = req.query.empty() ? req.path : req.path + "?" + req.query;

    // Before the call: the router rewrites the request's path.
    const auto route = ResolveRoute(RouterOptions{"vkube.test", "default"}, sni, req.path, req.query);
    const std::string sent = req.target;
    const http::Response r = Call(req);
    ASSERT_LT(r.status, 500) << sent << " sni=" << sni << "\n" << r.body;
    std::optional<std::size_t> seen;
    for (std::size_t t = 0; t < nt; ++t) {
      if (r.body.find(Marker(tenants_[t])) == std::string::npos) continue;
      ASSERT_FALSE(seen) << "two tenants' data in one response: " << sent;
      seen = t;
      ASSERT_TRUE(cred && *cred == t) << "LEAK of " << tenants_[t] << " to " << sent << " sni=" << sni;
    }
    // A credential presented at a route that resolves to another existing tenant: always 401.
    // (Public paths too: a credential that fails is 401 everywhere, as in kube-apiserver.)
    if (cred && route && !route->tenant.empty() && route->tenant != tenants_[*cred] && manager_->Find(route->tenant)) {
      ASSERT_EQ(r.status, 401) << sent << " sni=" << sni << " credential of " << tenants_[*cred]
                               << " token=" << !req.header("authorization").empty() << "\n" << r.body;
    }
    if (r.status == 401) ++refused;
    if (r.status == 200) ++served;
    if (r.status == 201) {
      ASSERT_TRUE(cred && route && route->tenant == tenants_[*cred]) << sent;
      created[*cred].insert(fuzz_name);
    }
  }
  // Writes landed only where their own credential pointed.
  for (std::size_t t = 0; t < nt; ++t) {
    auto tenant = manager_->Acquire(tenants_[t]);
    ASSERT_TRUE(tenant.ok());
    std::set<std::string> have;
    auto list = (*tenant)->store().List(store::ListOptions{.resource = "configmaps", .ns = "default"});
    ASSERT_TRUE(list.ok());
    for (const auto& o : list->items) {
      if (o->key.name.starts_with("fuzz-")) have.insert(o->key.name);
    }
    EXPECT_EQ(have, created[t]) << tenants_[t];
  }
  EXPECT_GT(refused, total / 4);
  EXPECT_GT(served, total / 50);
  std::printf("%d requests: %d refused (401), %d served (200)\n", total, refused, served);
}

}  // namespace
}  // namespace vkube::tenancy
