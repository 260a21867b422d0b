#include "apiserver-proxy/authenticator.h"

#include <openssl/crypto.h>

namespace vkube::apiserver {

std::optional<UserInfo> Authenticator::Authenticate(const http::Request& request) const {
  std::string_view auth = request.header("authorization");
  if (!auth.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) return std::nullopt;
    std::string_view token = auth.substr(kBearer.size());
    for (const auto& t : tokens_) {
      // Constant-time compare: token checks must not leak prefixes through timing.
      if (t.token.size() == token.size() && CRYPTO_memcmp(t.token.data(), token.data(), token.size()) == 0) {
        return t.user;
      }
    }
    return std::nullopt;
  }
  if (accept_client_certs_ && request.peer && request.peer->client_cert_verified && !request.peer->client_cert_cn.empty()) {
    return UserInfo{request.peer->client_cert_cn, request.peer->client_cert_orgs};
  }
  return std::nullopt;
}

}  // namespace vkube::apiserver
