#pragma once
// Server TLS context: TLS 1.2/1.3 only, ALPN (h2 preferred, http/1.1 fallback), optional
// client-certificate verification that does not require a certificate (token auth still works).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "libs/core/result.h"

namespace vkube::net {

struct TlsContextOptions {
  std::string cert_chain_pem;
  std::string private_key_pem;
  std::string client_ca_pem;  // verify client certificates against it (TlsPeer::client_cert_verified)
  bool offer_http2 = true;
  // Ask for a client certificate even without client_ca_pem and accept any chain: the
  // application verifies TlsPeer::client_cert_der itself (one listener, many tenant CAs).
  bool request_client_cert = false;
  // Server name indication: a context (certificate) for the name the client asked for, or null for
  // this context. The returned context must be built with the same options (ALPN, client certs).
  std::function<std::shared_ptr<boost::asio::ssl::context>(std::string_view server_name)> select_by_sni;
};

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsContextOptions& options);

// Facts about an established server-side TLS session.
struct TlsPeer {
  std::string sni;
  std::string alpn;
  bool client_cert_verified = false;
  std::string cn;
  std::vector<std::string> orgs;
  std::string client_cert_der;  // leaf certificate as presented (verified or not), "" if none
};
TlsPeer InspectTls(SSL* ssl);

}  // namespace vkube::net
