#pragma once
// Service account tokens of one tenant: JWTs (RFC 7519) signed ES256 with the tenant's own key,
// with kube-apiserver's claim set, so client-go and `kubectl create token` users see the same
// tokens a real cluster issues. A token of tenant A never verifies at tenant B (another key).
//
// This layer checks only the signature, issuer, audience and time; whether the service account
// (and the pod a token is bound to) still exists is the caller's check (it knows the store).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"

namespace vkube::pki {

// kube-apiserver's default --service-account-issuer, also the default audience.
inline constexpr std::string_view kDefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local";

struct ServiceAccountClaims {
  std::string issuer;                  // "iss"
  std::vector<std::string> audiences;  // "aud" (always written as an array)
  std::string ns;                      // kubernetes.io.namespace
  std::string service_account;         // kubernetes.io.serviceaccount.name
  std::string service_account_uid;     // kubernetes.io.serviceaccount.uid
  std::string pod;                     // kubernetes.io.pod.name ("" = not bound to a pod)
  std::string pod_uid;                 // kubernetes.io.pod.uid
  std::chrono::system_clock::time_point issued_at;   // "iat" and "nbf"
  std::chrono::system_clock::time_point expires_at;  // "exp"
  std::string id;                      // "jti" (random, filled by Issue when empty)

  // "system:serviceaccount:NS:NAME" — the "sub" claim and the authenticated user name.
  std::string Subject() const { return "system:serviceaccount:" + ns + ":" + service_account; }
};

class ServiceAccountTokens {
 public:
  // A new P-256 key; `KeyPem()` is what to persist (PKCS#8 PEM).
  static Result<std::shared_ptr<const ServiceAccountTokens>> Generate(std::string issuer = std::string(kDefaultServiceAccountIssuer));
  // An existing key (PEM, as written by KeyPem()).
  static Result<std::shared_ptr<const ServiceAccountTokens>> Load(std::string_view key_pem,
                                                                  std::string issuer = std::string(kDefaultServiceAccountIssuer));
  ~ServiceAccountTokens();

  // header {"alg":"ES256","kid":KeyId(),"typ":"JWT"}; claims as kube-apiserver writes them
  // (iss, sub, aud, exp, iat, nbf, jti, kubernetes.io{namespace, serviceaccount{name,uid},
  // pod{name,uid}}). claims.issuer is ignored (the signer's issuer is used).
  Result<std::string> Issue(const ServiceAccountClaims& claims) const;

  // Verifies the compact JWS: three base64url parts, alg ES256 only (never "none", never HS*),
  // signature by this key (r||s, 64 bytes), iss == issuer(), `audience` among aud, nbf <= now <
  // exp (60 s leeway either way), sub matching kubernetes.io namespace/name. Any failure is an
  // Unauthorized error whose message never echoes the token. At most 16 KiB accepted.
  Result<ServiceAccountClaims> Verify(std::string_view token, std::string_view audience,
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  const std::string& issuer() const { return issuer_; }
  std::string KeyPem() const;
  // base64url(sha256(DER SubjectPublicKeyInfo)) — the JWT "kid".
  const std::string& KeyId() const { return kid_; }
  // The public key as a JWK set ({"keys":[{"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}]}),
  // for /openid/v1/jwks.
  std::string Jwks() const;

 private:
  struct Key;
  ServiceAccountTokens(std::unique_ptr<Key> key, std::string issuer);
  std::unique_ptr<Key> key_;
  std::string issuer_;
  std::string kid_;
};

// A compact JWS-looking token (three non-empty dot-separated base64url parts): decides whether a
// bearer token is worth verifying as a service account token.
bool LooksLikeJwt(std::string_view token);

}  // namespace vkube::pki
