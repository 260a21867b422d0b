#pragma once
// Server TLS context: TLS 1.2/1.3 only, ALPN (h2 preferred, http/1.1 fallback), optional
// client-certificate verification that does not require a certificate (token auth still works).
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "libs/core/result.h"

namespace vkube::net {

struct TlsContextOptions {
  std::string cert_chain_pem;
  std::string private_key_pem;
  std::string client_ca_pem;  // empty = do not ask for client certificates
  bool offer_http2 = true;
};

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsContextOptions& options);

// Facts about an established server-side TLS session.
struct TlsPeer {
  std::string sni;
  std::string alpn;
  bool client_cert_verified = false;
  std::string cn;
  std::vector<std::string> orgs;
};
TlsPeer InspectTls(SSL* ssl);

}  // namespace vkube::net
