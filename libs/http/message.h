#pragma once
// Protocol-neutral request/response shapes. HTTP/1.1 and HTTP/2 codecs produce and consume these;
// the API layer never sees which protocol carried a request.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vkube::http {

class Upgrader;  // libs/http/upgrade.h

struct Header {
  std::string name;  // lower-case
  std::string value;
};
using Headers = std::vector<Header>;

// Per-connection facts established by the transport, shared by every request on it.
struct PeerInfo {
  std::string remote_address;  // "ip:port"
  std::string sni;             // TLS server name the client asked for ("" if none)
  std::string alpn;            // "h2" or "http/1.1"
  // Set only when the client presented a certificate that verified against the configured client
  // CA: subject CN (user) and O entries (groups), as kube-apiserver's x509 authenticator reads them.
  bool client_cert_verified = false;
  std::string client_cert_cn;
  std::vector<std::string> client_cert_orgs;
  // The presented leaf certificate (DER), verified or not: a multi-tenant handler checks it against
  // the addressed tenant's CA.
  std::string client_cert_der;
  // Opaque state the handler ties to this connection's life (e.g. a per-tenant connection slot,
  // freed when the connection closes). Only touched on the connection's own thread.
  mutable std::shared_ptr<void> handler_state;
};

struct Request {
  std::string method;  // upper-case
  std::string target;  // raw request-target as received
  std::string path;    // target up to '?', still percent-encoded
  std::string query;   // after '?', still percent-encoded ("" if none)
  Headers headers;
  std::string body;
  std::shared_ptr<const PeerInfo> peer;
  // Set by the HTTP/1.1 codec, only while the handler runs, on a request that asks for a protocol
  // upgrade; use it through http::AcceptUpgrade (upgrade.h). Carried by the request rather than
  // the ResponseWriter so that writer decorators (metrics, ...) need not forward it.
  Upgrader* upgrader = nullptr;

  // First value of a header (case-insensitive name), "" if absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;  // content-length / framing headers are added by the codec
  std::string body;
  bool close = false;  // end the connection after this response (HTTP/1.1; HTTP/2 keeps its other streams)
};

std::string_view ReasonPhrase(int status);

}  // namespace vkube::http
