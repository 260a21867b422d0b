#pragma once
// HTTPS server: accepts TCP, handshakes TLS, picks HTTP/2 or HTTP/1.1 by ALPN and hands every
// request to one Handler. Connections are pinned to one io_context thread of an IoPool.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "libs/core/result.h"
#include "libs/http/handler.h"
#include "libs/http/limits.h"

namespace boost::asio::ssl {
class context;
}

namespace vkube::net {
class IoPool;
}

namespace vkube::http {

struct TlsFiles {
  std::string cert_chain_pem;  // serving certificate chain (PEM text, not a path)
  std::string private_key_pem;
  std::string client_ca_pem;   // optional: request + verify client certificates against it
  bool request_client_cert = false;  // ask for any client certificate (the handler verifies it)
  // SNI → serving context (see net::TlsContextOptions::select_by_sni); null = one certificate.
  std::function<std::shared_ptr<boost::asio::ssl::context>(std::string_view)> select_by_sni;
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = pick a free port
  TlsFiles tls;
  Limits limits;
  bool enable_http2 = true;  // offer h2 in ALPN
};

class Server {
 public:
  // `pool` and `handler` must outlive the server.
  Server(net::IoPool& pool, ServerConfig config, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. After success, port() is the bound port.
  Status Start();
  std::uint16_t port() const;

  // Graceful drain: stop accepting, mark every open stream closing (watch handlers end their
  // streams cleanly), let in-flight requests finish within limits.drain_timeout, then close
  // connections. Completes `done` (on an arbitrary thread) when every connection is gone.
  void Drain(std::function<void()> done);

  // Number of open connections (for metrics and tests).
  std::size_t connection_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkube::http
