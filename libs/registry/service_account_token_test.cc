#include "libs/registry/service_account_token.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "libs/registry/admission/service_account_admission.h"
#include "libs/registry/generic_registry.h"
#include "libs/store/sqlite_store.h"

namespace vkube::registry {
namespace {

// Pods get kube's API access volume, tokens are issued for accounts and pods that exist, and a
// token is only good while they do.
class ServiceAccountTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-satoken-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    reg_ = std::make_unique<GenericRegistry>(store_, resource::Registry::BuiltIn());
    reg_->AddAdmission(std::make_shared<ServiceAccountAdmission>(store_));
    ASSERT_TRUE(reg_->Create(Kind("namespaces"), "", Json{{"metadata", {{"name", "default"}}}}).ok());
    auto signer = pki::ServiceAccountTokens::Generate();
    ASSERT_TRUE(signer.ok());
    signer_ = *signer;
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  const resource::Kind& Kind(const std::string& resource) { return *reg_->Find("", resource); }
  Json CreateAccount(const std::string& name, std::optional<bool> automount = std::nullopt) {
    Json sa = {{"metadata", {{"name", name}, {"namespace", "default"}}}};
    if (automount) sa["automountServiceAccountToken"] = *automount;
    auto created = reg_->Create(Kind("serviceaccounts"), "default", sa);
    EXPECT_TRUE(created.ok());
    return Json::parse((*created)->json);
  }
  Json CreatePod(const std::string& name, Json spec_extra = Json::object()) {
    Json pod = {{"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"containers", {{{"name", "app"}, {"image", "nginx"}}}}}}};
    pod["spec"].update(spec_extra);
    auto created = reg_->Create(Kind("pods"), "default", pod);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? Json::parse((*created)->json) : Json();
  }

  std::string dir_;
  std::shared_ptr<store::SqliteStore> store_;
  std::unique_ptr<GenericRegistry> reg_;
  std::shared_ptr<const pki::ServiceAccountTokens> signer_;
};

TEST_F(ServiceAccountTokenTest, PodsGetTheApiAccessVolumeUnlessTheyOptOut) {
  CreateAccount("default");
  Json pod = CreatePod("p");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "default");
  ASSERT_EQ(pod["spec"]["volumes"].size(), 1u);
  const Json& vol = pod["spec"]["volumes"][0];
  EXPECT_EQ(vol["name"].get<std::string>().rfind("kube-api-access-", 0), 0u);
  EXPECT_EQ(vol["name"].get<std::string>().size(), std::string("kube-api-access-").size() + 5);
  const Json& sources = vol["projected"]["sources"];
  EXPECT_EQ(sources[0]["serviceAccountToken"]["expirationSeconds"], 3607);
  EXPECT_EQ(sources[1]["configMap"]["name"], "kube-root-ca.crt");
  EXPECT_EQ(sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"], "metadata.namespace");
  EXPECT_EQ(pod["spec"]["containers"][0]["volumeMounts"][0],
            (Json{{"name", vol["name"]}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}}));

  // The pod's own "no" wins; an account's "no" holds for pods that do not say.
  EXPECT_FALSE(CreatePod("optout", {{"automountServiceAccountToken", false}})["spec"].contains("volumes"));
  CreateAccount("quiet", false);
  EXPECT_FALSE(CreatePod("quiet-pod", {{"serviceAccountName", "quiet"}})["spec"].contains("volumes"));
  EXPECT_TRUE(
      CreatePod("loud-pod", {{"serviceAccountName", "quiet"}, {"automountServiceAccountToken", true}})["spec"].contains(
          "volumes"));
  // A container that mounts something there itself keeps it.
  Json own = CreatePod("own", {{"volumes", {{{"name", "mine"}, {"emptyDir", Json::object()}}}},
                               {"containers",
                                {{{"name", "app"},
                                  {"image", "nginx"},
                                  {"volumeMounts", {{{"name", "mine"}, {"mountPath", kServiceAccountMountPath}}}}}}}});
  EXPECT_EQ(own["spec"]["volumes"].size(), 1u);
}

TEST_F(ServiceAccountTokenTest, IssuedTokensAuthenticateWhileTheirAccountAndPodExist) {
  CreateAccount("default");
  Json pod = CreatePod("p");
  TokenRequestSpec spec{.expiration_seconds = kWarnOnlyBoundTokenSeconds,
                        .bound_kind = "Pod",
                        .bound_name = "p",
                        .bound_uid = pod["metadata"]["uid"]};
  const auto now = std::chrono::system_clock::now();
  auto issued = IssueServiceAccountToken(*store_, *signer_, "default", "default", spec, now);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_GT(issued->expires_at - now, std::chrono::hours(24 * 300));  // kube's extension of 3607 s
  EXPECT_EQ(issued->request["kind"], "TokenRequest");
  EXPECT_EQ(issued->request["status"]["token"], issued->token);
  EXPECT_EQ(issued->request["spec"]["boundObjectRef"]["uid"], pod["metadata"]["uid"]);

  auto user = AuthenticateServiceAccountToken(*store_, *signer_, issued->token);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "system:serviceaccount:default:default");
  EXPECT_EQ(user->groups, (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:default",
                                                    "system:authenticated"}));
  // Another tenant's signer never accepts it.
  auto other = pki::ServiceAccountTokens::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(AuthenticateServiceAccountToken(*store_, **other, issued->token).has_value());
  // Deleting the pod ends its tokens.
  ASSERT_TRUE(reg_->Delete(Kind("pods"), "default", "p", DeleteOptions{.grace_period_seconds = 0}).ok());
  EXPECT_FALSE(AuthenticateServiceAccountToken(*store_, *signer_, issued->token).has_value());
}

TEST_F(ServiceAccountTokenTest, RequestsAreValidatedLikeKube) {
  EXPECT_EQ(IssueServiceAccountToken(*store_, *signer_, "default", "nobody", TokenRequestSpec{}).error().message,
            "serviceaccounts \"nobody\" not found");
  auto short_lived = ParseTokenRequest(Json{{"spec", {{"expirationSeconds", 60}}}}, "default");
  ASSERT_FALSE(short_lived.ok());
  EXPECT_NE(short_lived.error().message.find("may not specify a duration less than 10 minutes"), std::string::npos);
  auto parsed = ParseTokenRequest(Json{{"spec", {{"audiences", {"vault"}}, {"expirationSeconds", 1200}}}}, "default");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->audiences, std::vector<std::string>{"vault"});

  Json sa = CreateAccount("default");
  Json pod = CreatePod("p");
  TokenRequestSpec stale{.bound_kind = "Pod", .bound_name = "p", .bound_uid = "not-the-uid"};
  EXPECT_EQ(IssueServiceAccountToken(*store_, *signer_, "default", "default", stale).error().code,
            ErrorCode::kConflict);
  CreateAccount("other");
  TokenRequestSpec wrong_account{.bound_kind = "Pod", .bound_name = "p"};
  EXPECT_EQ(IssueServiceAccountToken(*store_, *signer_, "default", "other", wrong_account).error().code,
            ErrorCode::kBadRequest);
  // A token for another audience is not a credential for this API server.
  auto vault = IssueServiceAccountToken(*store_, *signer_, "default", "default", *parsed);
  ASSERT_TRUE(vault.ok());
  EXPECT_FALSE(AuthenticateServiceAccountToken(*store_, *signer_, vault->token).has_value());
  // A re-created account (new uid) does not inherit the old one's tokens.
  auto plain = IssueServiceAccountToken(*store_, *signer_, "default", "default", TokenRequestSpec{});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(AuthenticateServiceAccountToken(*store_, *signer_, plain->token).has_value());
  ASSERT_TRUE(reg_->Delete(Kind("serviceaccounts"), "default", "default").ok());
  CreateAccount("default");
  EXPECT_FALSE(AuthenticateServiceAccountToken(*store_, *signer_, plain->token).has_value());
  EXPECT_FALSE(AuthenticateServiceAccountToken(*store_, *signer_, "not.a.token").has_value());
}

}  // namespace
}  // namespace vkube::registry
