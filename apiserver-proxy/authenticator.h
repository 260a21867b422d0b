#pragma once
// Authentication against ONE tenant's credentials: static bearer tokens and verified client
// certificates. A credential of another tenant simply does not exist here.
#include <optional>
#include <string_view>
#include <vector>

#include "apiserver-proxy/api_server.h"
#include "libs/http/message.h"

namespace vkube::apiserver {

class Authenticator {
 public:
  Authenticator(std::vector<TokenEntry> tokens, bool accept_client_certs)
      : tokens_(std::move(tokens)), accept_client_certs_(accept_client_certs) {}

  // nullopt = unauthenticated (→ 401). A presented but unknown token is never downgraded to
  // anonymous or to the client certificate: it fails, like kube-apiserver.
  std::optional<UserInfo> Authenticate(const http::Request& request) const;

 private:
  std::vector<TokenEntry> tokens_;
  bool accept_client_certs_;
};

}  // namespace vkube::apiserver
