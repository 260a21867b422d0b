// Tenant requests: what a request may ask for (pure), and the controller against a real API
// server as host (in process) and a real TenantManager: create, kubeconfig Secret, status,
// conflicts between namespaces, deletion, and requests deleted while the instance was down.
#include "syncer/tenant_requests/tenant_request.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <functional>
#include <thread>

#include "libs/kubeclient/api_error.h"
#include "libs/kubeclient/http2_kube_client.h"
#include "libs/kubeclient/testing/in_process_server.h"
#include "libs/kubeclient/testing/sync.h"
#include "libs/pki/credentials.h"
#include "syncer/tenant_requests/tenant_request_controller.h"
#include "tenancy/testing/test_platform.h"

namespace vkube::syncer {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json Request(const std::string& ns, const std::string& name, json data, bool labelled = true) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-" + name}}},
             {"data", std::move(data)}};
  if (labelled) cm["metadata"]["labels"][kTenantRequestLabel] = "true";
  return cm;
}

TEST(ParseTenantRequest, ReadsTheChartsKeys) {
  auto r = ParseTenantRequest(Request("team-a", "web-tenant",
                                      {{"tenant", "web"},
                                       {"hostNamespace", "team-a"},
                                       {"kubeconfigSecret", "vc-web"},
                                       {"server", "https://web.vkube.example"},
                                       {"podSecurityStandard", "baseline"}}));  // unknown keys are ignored
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->key, "team-a/web-tenant");
  EXPECT_EQ(r->uid, "uid-web-tenant");
  EXPECT_EQ(r->tenant, "web");
  EXPECT_EQ(r->host_namespace, "team-a");
  EXPECT_EQ(r->kubeconfig_secret, "vc-web");
  EXPECT_EQ(r->server, "https://web.vkube.example");
  // Only the tenant is required; the host namespace is always the request's own.
  r = ParseTenantRequest(Request("team-b", "x", {{"tenant", "x"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host_namespace, "team-b");
  EXPECT_EQ(r->kubeconfig_secret, "");
}

TEST(ParseTenantRequest, RejectsWhatCannotBeServedWithTheField) {
  const std::vector<std::pair<json, std::string>> bad = {
      {json::object(), "data.tenant: Required value"},
      {{{"tenant", "Web_1"}}, "data.tenant: Invalid value: \"Web_1\""},
      {{{"tenant", std::string(41, 'a')}}, "data.tenant: Invalid value"},
      // Whoever may create ConfigMaps in team-a must not gain pods in another namespace.
      {{{"tenant", "w"}, {"hostNamespace", "team-b"}},
       "data.hostNamespace: Invalid value: \"team-b\": must be the request's own namespace \"team-a\""},
      {{{"tenant", "w"}, {"kubeconfigSecret", "Bad/Name"}}, "data.kubeconfigSecret: Invalid value"},
      {{{"tenant", "w"}, {"server", "http://plain"}}, "data.server: Invalid value"},
      {{{"tenant", "w"}, {"server", "https://a b"}}, "data.server: Invalid value"},
  };
  for (const auto& [data, want] : bad) {
    auto r = ParseTenantRequest(Request("team-a", "req", data));
    ASSERT_FALSE(r.ok()) << data.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
  }
  // Malformed objects are refused, never thrown at.
  for (const json& odd : {json{{"data", {{"tenant", 5}}}}, json{{"metadata", 3}, {"data", {{"tenant", "x"}}}},
                          json::array(), json{{"data", "tenant=x"}}}) {
    EXPECT_NO_THROW((void)ParseTenantRequest(odd)) << odd.dump();
  }
  EXPECT_FALSE(ParseTenantRequest(json{{"data", {{"tenant", 5}}}}).ok());
}

TEST(RequestOwnerReference, OnlyRequestedTenantsHostObjectsAreOwned) {
  tenancy::TenantInfo t{.name = "shop"};
  EXPECT_TRUE(RequestOwnerReference(t).is_null());
  t.spec.request = "team-a/shop-tenant";
  t.spec.request_uid = "u-1";
  EXPECT_EQ(RequestOwnerReference(t),
            (json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "shop-tenant"}, {"uid", "u-1"}}));
}

std::string Unbase64(const std::string& in) {
  std::string out(in.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return "";
  out.resize(static_cast<std::size_t>(n));
  while (!in.empty() && in.back() == '=' && !out.empty() && in.size() % 4 == 0) {  // EVP pads with zeros
    if (out.back() != '\0') break;
    out.pop_back();
    if (in.size() >= 2 && in[in.size() - 2] != '=') break;
  }
  return out;
}

class TenantRequestControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.Start().ok());
    auto client = kube::Http2KubeClient::Create(host_io_.get_executor(), host_.config(), {});
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
    char tmpl[] = "/tmp/vkube-requests-XXXXXX";
    dir_ = mkdtemp(tmpl);
    tenants_ = tenancy::testing::OpenTestTenants(dir_, blocking_, controllers_);
    ASSERT_NE(tenants_, nullptr);
    for (const char* ns : {"team-a", "team-b"}) {
      json n = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
      ASSERT_TRUE(Call(client_->Create(kube::ResourceRef::Core("namespaces"), n)).ok());
    }
    StartController();
  }
  void TearDown() override {
    controller_.reset();
    tenants_.reset();
    client_->Shutdown();
    host_io_.join();
    // Tasks of stopped tenants may hold the database until the pools are done with them.
    for (auto* pool : {&reconciles_, &blocking_, &controllers_}) pool->join();
    std::filesystem::remove_all(dir_);
  }
  void StartController() {
    controller_ = std::make_unique<TenantRequestController>(
        TenantRequestOptions{.tenants = tenants_.get(),
                             .host = client_,
                             .host_executor = host_io_.get_executor(),
                             .executor = reconciles_.get_executor(),
                             .endpoint = tenancy::TenantEndpoint{"https://vkube.example:6443", "", false},
                             .resync_period = std::chrono::milliseconds(300)});
    controller_->Start();
  }
  template <typename T>
  Result<T> Call(boost::asio::awaitable<Result<T>> a) {
    return kube::testing::RunSync(host_io_.get_executor(), std::move(a));
  }
  kube::ResourceRef Ref(const char* resource, const std::string& ns) { return kube::ResourceRef::Core(resource, ns); }
  void Put(const json& cm) {
    auto made = Call(client_->Create(Ref("configmaps", cm["metadata"]["namespace"]), cm));
    ASSERT_TRUE(made.ok()) << made.error().message;
  }
  void Remove(const std::string& ns, const std::string& name) {
    ASSERT_TRUE(Call(client_->Delete(Ref("configmaps", ns), name)).ok());
  }
  std::string Status(const std::string& ns, const std::string& name) {
    auto cm = Call(client_->Get(Ref("configmaps", ns), name));
    if (!cm) return "";
    return (*cm)["metadata"].value("annotations", json::object()).value(kTenantStatusAnnotation, "");
  }
  static bool Eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = 20s) {
    for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  kube::testing::InProcessServer host_;
  boost::asio::thread_pool host_io_{1};
  boost::asio::thread_pool reconciles_{2};
  boost::asio::thread_pool blocking_{2};
  boost::asio::thread_pool controllers_{1};
  std::shared_ptr<kube::Http2KubeClient> client_;
  std::string dir_;
  std::unique_ptr<tenancy::TenantManager> tenants_;
  std::unique_ptr<TenantRequestController> controller_;
};

TEST_F(TenantRequestControllerTest, ServesRequestsFromTheirOwnNamespaceAndDeletesWithThem) {
  Put(Request("team-a", "a-tenant", {{"tenant", "shop"}, {"kubeconfigSecret", "vc-shop"}}));
  ASSERT_TRUE(Eventually([&] { return Status("team-a", "a-tenant") == "Ready"; })) << Status("team-a", "a-tenant");
  auto info = tenants_->Find("shop");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->spec.host_namespace, "team-a");
  EXPECT_EQ(info->spec.request, "team-a/a-tenant");

  // The Secret holds the tenant's own credentials and a kubeconfig for its path route.
  auto secret = Call(client_->Get(Ref("secrets", "team-a"), "vc-shop"));
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  auto shop = tenants_->Acquire("shop");
  ASSERT_TRUE(shop.ok());
  const json& data = (*secret)["data"];
  EXPECT_EQ(data["token"], pki::Base64((*shop)->credentials().admin_token));
  EXPECT_EQ(data["client-certificate"], pki::Base64((*shop)->credentials().admin.cert_pem));
  const std::string config = Unbase64(data["config"]);
  EXPECT_NE(config.find("server: https://vkube.example:6443/tenants/shop"), std::string::npos) << config;
  EXPECT_NE(config.find((*shop)->credentials().admin_token), std::string::npos);
  shop->reset();

  // Another namespace asking for the same name is told so, without learning whose it is.
  Put(Request("team-b", "b-tenant", {{"tenant", "shop"}}));
  ASSERT_TRUE(Eventually([&] { return Status("team-b", "b-tenant").starts_with("Conflict: "); }));
  EXPECT_EQ(Status("team-b", "b-tenant").find("team-a"), std::string::npos);
  EXPECT_EQ(tenants_->Find("shop")->spec.request, "team-a/a-tenant");
  // A request for pods in another namespace is refused; an unlabelled ConfigMap is not a request.
  Put(Request("team-b", "sneaky", {{"tenant", "sneaky"}, {"hostNamespace", "team-a"}}));
  Put(Request("team-b", "plain", {{"tenant", "plain"}}, /*labelled=*/false));
  ASSERT_TRUE(Eventually([&] { return Status("team-b", "sneaky").starts_with("Invalid: data.hostNamespace"); }));
  EXPECT_FALSE(tenants_->Find("sneaky"));
  EXPECT_FALSE(tenants_->Find("plain"));
  // `server` is the kubeconfig's URL as given (an SNI name behind DNS, an Ingress).
  Put(Request("team-b", "own", {{"tenant", "own"}, {"kubeconfigSecret", "vc-own"}, {"server", "https://own.example"}}));
  ASSERT_TRUE(Eventually([&] { return Status("team-b", "own") == "Ready"; }));
  auto own = Call(client_->Get(Ref("secrets", "team-b"), "vc-own"));
  ASSERT_TRUE(own.ok());
  EXPECT_NE(Unbase64((*own)["data"]["config"]).find("server: https://own.example\n"), std::string::npos);

  // helm uninstall: the request goes, the tenant with it, and the waiting request gets the name.
  Remove("team-a", "a-tenant");
  ASSERT_TRUE(
      Eventually([&] { return tenants_->Find("shop") && tenants_->Find("shop")->spec.request == "team-b/b-tenant"; }));
  EXPECT_TRUE(Eventually([&] { return Status("team-b", "b-tenant") == "Ready"; }));
  EXPECT_EQ(tenants_->Find("shop")->spec.host_namespace, "team-b");
}

TEST_F(TenantRequestControllerTest, RequestsGoneWhileStoppedDeleteTheirTenantsOnStart) {
  Put(Request("team-a", "stays", {{"tenant", "stays"}}));
  Put(Request("team-b", "goes", {{"tenant", "goes"}}));
  ASSERT_TRUE(Eventually([&] { return Status("team-a", "stays") == "Ready" && Status("team-b", "goes") == "Ready"; }));
  ASSERT_TRUE(tenants_->Create("by-admin").ok());  // not the controller's: never touched
  controller_.reset();
  Remove("team-b", "goes");
  StartController();
  ASSERT_TRUE(Eventually([&] { return !tenants_->Find("goes"); }));
  EXPECT_TRUE(tenants_->Find("stays"));
  EXPECT_TRUE(tenants_->Find("by-admin"));
  // A requested tenant deleted behind its request's back (admin API) comes back at the next resync.
  ASSERT_TRUE(tenants_->Delete("stays").ok());
  ASSERT_TRUE(Eventually([&] { return tenants_->Find("stays").has_value(); }));
  EXPECT_EQ(tenants_->Find("stays")->spec.request, "team-a/stays");
  // An admin-made tenant is not taken over by a request either.
  Put(Request("team-a", "grab", {{"tenant", "by-admin"}}));
  ASSERT_TRUE(Eventually([&] { return Status("team-a", "grab").starts_with("Conflict: "); }));
  EXPECT_EQ(tenants_->Find("by-admin")->spec.request, "");
}

}  // namespace
}  // namespace vkube::syncer
