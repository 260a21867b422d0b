#include "libs/kubeclient/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/buffer.hpp>

namespace vkube::kube {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeClientTlsContext(const KubeConfig& c) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  if (!c.ca_pem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    BIO* bio = BIO_new_mem_buf(c.ca_pem.data(), static_cast<int>(c.ca_pem.size()));
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) ++added;
      X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();  // the loop ends on a "no start line" error; later TLS calls must not see it
    if (added == 0)
      return Error::Make(ErrorCode::kBadRequest, "kubeconfig: certificate authority has no PEM certificate");
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) return Error::Make(ErrorCode::kInternal, "tls: cannot load the system trust store: " + ec.message());
  }
  if (!c.client_cert_pem.empty()) {
    ctx->use_certificate_chain(boost::asio::buffer(c.client_cert_pem), ec);
    if (ec) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: bad client certificate: " + ec.message());
    ctx->use_private_key(boost::asio::buffer(c.client_key_pem), ssl::context::pem, ec);
    if (ec) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: bad client key: " + ec.message());
    if (SSL_CTX_check_private_key(native) != 1) {
      return Error::Make(ErrorCode::kBadRequest, "kubeconfig: client key does not match the certificate");
    }
  }
  return ctx;
}

}  // namespace vkube::kube
