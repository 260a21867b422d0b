#include "libs/registry/service_account_token.h"

#include "libs/core/time.h"
#include "libs/resource/json_access.h"
#include "libs/resource/status.h"

namespace vkube::registry {
namespace {

using nlohmann::json;
namespace jsonx = resource::jsonx;

constexpr std::int64_t kMinExpirationSeconds = 600;
constexpr std::int64_t kMaxExpirationSeconds = 1LL << 32;

Error InvalidRequest(const std::string& name, const std::string& field, const std::string& message) {
  return resource::Invalid("authentication.k8s.io", "TokenRequest", name, {{"FieldValueInvalid", message, field}});
}

// Object ns/name of `resource` as JSON, nullopt when absent.
std::optional<json> Lookup(store::Store& store, const std::string& resource, const std::string& ns,
                           const std::string& name) {
  auto obj = store.Get(store::Key{resource, ns, name});
  if (!obj) return std::nullopt;
  return json::parse((*obj)->json, nullptr, false);
}

}  // namespace

Result<TokenRequestSpec> ParseTokenRequest(const json& body, const std::string& service_account) {
  if (!body.is_object()) return resource::BadRequest("the body of the request must be a TokenRequest object");
  TokenRequestSpec spec;
  const json& s = jsonx::Child(body, "spec");
  const json& auds = jsonx::Child(s, "audiences");
  if (auds.is_array()) {
    for (const auto& a : auds) {
      if (a.is_string() && !a.get<std::string>().empty()) spec.audiences.push_back(a.get<std::string>());
    }
  }
  const json& exp = jsonx::Child(s, "expirationSeconds");
  if (exp.is_number_integer()) spec.expiration_seconds = exp.get<std::int64_t>();
  const json& ref = jsonx::Child(s, "boundObjectRef");
  if (ref.is_object()) {
    spec.bound_kind = jsonx::Str(ref, "kind");
    spec.bound_name = jsonx::Str(ref, "name");
    spec.bound_uid = jsonx::Str(ref, "uid");
  }
  if (spec.expiration_seconds < kMinExpirationSeconds) {
    return InvalidRequest(service_account, "spec.expirationSeconds",
                          "Invalid value: " + std::to_string(spec.expiration_seconds) +
                              ": may not specify a duration less than 10 minutes");
  }
  if (spec.expiration_seconds > kMaxExpirationSeconds) {
    return InvalidRequest(service_account, "spec.expirationSeconds",
                          "Invalid value: " + std::to_string(spec.expiration_seconds) +
                              ": may not specify a duration larger than 2^32 seconds");
  }
  return spec;
}

Result<IssuedToken> IssueServiceAccountToken(store::Store& store, const pki::ServiceAccountTokens& signer,
                                             const std::string& ns, const std::string& service_account,
                                             const TokenRequestSpec& spec, std::chrono::system_clock::time_point now) {
  auto sa = Lookup(store, "serviceaccounts", ns, service_account);
  if (!sa) return resource::NotFound("", "serviceaccounts", service_account);
  pki::ServiceAccountClaims claims;
  claims.audiences = spec.audiences.empty() ? std::vector<std::string>{signer.issuer()} : spec.audiences;
  claims.ns = ns;
  claims.service_account = service_account;
  claims.service_account_uid = jsonx::Str(*sa, "metadata.uid");
  std::int64_t seconds = spec.expiration_seconds;
  if (!spec.bound_kind.empty()) {
    if (spec.bound_kind != "Pod" && spec.bound_kind != "Secret") {
      return resource::BadRequest("cannot bind token to object of type " + spec.bound_kind);
    }
    const std::string resource = spec.bound_kind == "Pod" ? "pods" : "secrets";
    auto bound = Lookup(store, resource, ns, spec.bound_name);
    if (!bound) return resource::NotFound("", resource, spec.bound_name);
    const std::string uid = jsonx::Str(*bound, "metadata.uid");
    if (!spec.bound_uid.empty() && spec.bound_uid != uid) {
      return resource::Conflict("", resource, spec.bound_name,
                                "the UID in the bound object reference (" + spec.bound_uid +
                                    ") does not match the UID in record. The object might have been deleted and "
                                    "then recreated");
    }
    if (spec.bound_kind == "Pod") {
      if (jsonx::Str(*bound, "spec.serviceAccountName") != service_account) {
        return resource::BadRequest("cannot bind token for serviceaccount \"" + service_account +
                                    "\" to pod running with different serviceaccount name.");
      }
      claims.pod = spec.bound_name;
      claims.pod_uid = uid;
      if (seconds == kWarnOnlyBoundTokenSeconds) seconds = kExtendedTokenSeconds;
    }
  }
  claims.issued_at = now;
  claims.expires_at = now + std::chrono::seconds(seconds);
  auto token = signer.Issue(claims);
  if (!token) return token.take_error();
  json spec_out = {{"audiences", claims.audiences}, {"expirationSeconds", spec.expiration_seconds}};
  spec_out["boundObjectRef"] = nullptr;
  if (!spec.bound_kind.empty()) {
    spec_out["boundObjectRef"] = {{"kind", spec.bound_kind}, {"apiVersion", "v1"}, {"name", spec.bound_name}};
    if (!claims.pod_uid.empty()) spec_out["boundObjectRef"]["uid"] = claims.pod_uid;
  }
  json request = {{"kind", "TokenRequest"},
                  {"apiVersion", "authentication.k8s.io/v1"},
                  {"metadata", {{"name", service_account}, {"namespace", ns}, {"creationTimestamp", nullptr}}},
                  {"spec", std::move(spec_out)},
                  {"status", {{"token", *token}, {"expirationTimestamp", FormatRfc3339(claims.expires_at)}}}};
  return IssuedToken{*token, claims.expires_at, std::move(request)};
}

std::optional<ServiceAccountUser> AuthenticateServiceAccountToken(store::Store& store,
                                                                  const pki::ServiceAccountTokens& signer,
                                                                  std::string_view token,
                                                                  std::chrono::system_clock::time_point now) {
  if (!pki::LooksLikeJwt(token)) return std::nullopt;
  auto claims = signer.Verify(token, signer.issuer(), now);
  if (!claims) return std::nullopt;
  // kube's legacy validator checks: the account, and the pod a token is bound to, still exist
  // with the uids the token names (a deleted and re-created account does not inherit tokens).
  auto sa = Lookup(store, "serviceaccounts", claims->ns, claims->service_account);
  if (!sa || (!claims->service_account_uid.empty() && jsonx::Str(*sa, "metadata.uid") != claims->service_account_uid)) {
    return std::nullopt;
  }
  if (!claims->pod.empty()) {
    auto pod = Lookup(store, "pods", claims->ns, claims->pod);
    if (!pod || jsonx::Str(*pod, "metadata.uid") != claims->pod_uid) return std::nullopt;
  }
  return ServiceAccountUser{claims->Subject(),
                            {"system:serviceaccounts", "system:serviceaccounts:" + claims->ns, "system:authenticated"}};
}

}  // namespace vkube::registry
