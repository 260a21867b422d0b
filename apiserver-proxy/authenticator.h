#pragma once
// Authentication against ONE tenant's credentials: static bearer tokens and verified client
// certificates. A credential of another tenant simply does not exist here.
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "apiserver-proxy/api_server.h"
#include "libs/http/message.h"
#include "libs/pki/client_cert_verifier.h"

namespace vkube::apiserver {

class Authenticator {
 public:
  // Bearer tokens that are not static ones (service account JWTs): a verdict, or nullopt.
  using TokenReview = std::function<std::optional<UserInfo>(std::string_view token)>;

  Authenticator(std::vector<TokenEntry> tokens, bool accept_client_certs,
                std::shared_ptr<const pki::ClientCertVerifier> client_certs = nullptr, TokenReview review = nullptr)
      : tokens_(std::move(tokens)),
        accept_client_certs_(accept_client_certs),
        client_certs_(std::move(client_certs)),
        review_(std::move(review)) {}

  // nullopt = unauthenticated (→ 401). A presented but unknown token is never downgraded to
  // anonymous or to the client certificate: it fails, like kube-apiserver.
  std::optional<UserInfo> Authenticate(const http::Request& request) const;

 private:
  std::optional<UserInfo> FromClientCert(const http::PeerInfo& peer) const;

  std::vector<TokenEntry> tokens_;
  bool accept_client_certs_;
  std::shared_ptr<const pki::ClientCertVerifier> client_certs_;
  TokenReview review_;
  // Verdicts by certificate DER: a signature check per request would cost more than the request.
  static constexpr std::size_t kCacheLimit = 256;
  mutable std::mutex cache_mu_;
  struct Verdict {
    std::optional<UserInfo> user;
    std::chrono::system_clock::time_point not_after;
  };
  mutable std::unordered_map<std::string, Verdict> cache_;
};

}  // namespace vkube::apiserver
