#pragma once
// kube's TokenRequest (serviceaccounts/NAME/token) and service-account token authentication over
// one tenant's objects: the tenant's signer issues JWTs for its own accounts, and a token is only
// good while the account (and the pod it is bound to) still exists with the uid it was issued for.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/result.h"
#include "libs/pki/service_account_tokens.h"
#include "libs/store/store.h"

namespace vkube::registry {

// kube-apiserver's --service-account-extend-token-expiration (on by default): a pod-bound token
// requested for exactly 3607 s (the kubelet's request) lives a year, so old clients that never
// re-read their token keep working. Also what a token written once to a host Secret needs.
inline constexpr std::int64_t kWarnOnlyBoundTokenSeconds = 3607;
inline constexpr std::int64_t kExtendedTokenSeconds = 365LL * 24 * 60 * 60;

struct TokenRequestSpec {
  std::vector<std::string> audiences;  // empty: the issuer (kube's default API audience)
  std::int64_t expiration_seconds = 3600;
  std::string bound_kind;  // "", "Pod", "Secret", "Node"
  std::string bound_name;
  std::string bound_uid;  // "" = whatever the object's uid is now
};

struct IssuedToken {
  std::string token;
  std::chrono::system_clock::time_point expires_at;
  nlohmann::json request;  // the TokenRequest object kube-apiserver answers with (status filled)
};

// A TokenRequest body (JSON) as a spec; kube's validation messages on bad fields.
Result<TokenRequestSpec> ParseTokenRequest(const nlohmann::json& body, const std::string& service_account);

Result<IssuedToken> IssueServiceAccountToken(
    store::Store& store, const pki::ServiceAccountTokens& signer, const std::string& ns,
    const std::string& service_account, const TokenRequestSpec& spec,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

struct ServiceAccountUser {
  std::string name;  // system:serviceaccount:NS:NAME
  std::vector<std::string> groups;
};

// nullopt unless `token` is this tenant's valid token of an existing account (and pod).
std::optional<ServiceAccountUser> AuthenticateServiceAccountToken(
    store::Store& store, const pki::ServiceAccountTokens& signer, std::string_view token,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace vkube::registry
