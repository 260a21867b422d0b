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
    if (review_) return review_(token);
    return std::nullopt;
  }
  if (accept_client_certs_ && request.peer) return FromClientCert(*request.peer);
  return std::nullopt;
}

std::optional<UserInfo> Authenticator::FromClientCert(const http::PeerInfo& peer) const {
  if (!client_certs_) {
    if (!peer.client_cert_verified || peer.client_cert_cn.empty()) return std::nullopt;
    return UserInfo{peer.client_cert_cn, peer.client_cert_orgs};
  }
  if (peer.client_cert_der.empty()) return std::nullopt;
  const auto now = std::chrono::system_clock::now();
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(peer.client_cert_der); it != cache_.end() && now < it->second.not_after) {
      return it->second.user;
    }
  }
  Verdict v{std::nullopt, now + std::chrono::minutes(1)};  // refusals are re-checked after a minute
  if (auto id = client_certs_->Verify(peer.client_cert_der)) v = Verdict{UserInfo{id->user, id->groups}, id->not_after};
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kCacheLimit) cache_.clear();  // bounded; a full cache just costs re-verification
  cache_.insert_or_assign(peer.client_cert_der, v);
  return v.user;
}

}  // namespace vkube::apiserver
