#include "libs/net/tls_context.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/buffer.hpp>

namespace vkube::net {
namespace {

constexpr unsigned char kAlpnH2[] = "\x02h2\x08http/1.1";
constexpr unsigned char kAlpnH1[] = "\x08http/1.1";

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
               void* arg) {
  const bool h2 = arg != nullptr;
  const unsigned char* server = h2 ? kAlpnH2 : kAlpnH1;
  unsigned server_len = h2 ? sizeof kAlpnH2 - 1 : sizeof kAlpnH1 - 1;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, server, server_len, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no overlap: continue without ALPN (HTTP/1.1)
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string NameEntry(X509_NAME* name, int nid, int* pos) {
  int i = X509_NAME_get_index_by_NID(name, nid, *pos);
  *pos = i;
  if (i < 0) return {};
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

using SniSelector = std::function<std::shared_ptr<boost::asio::ssl::context>(std::string_view)>;

// The selector lives in the SSL_CTX's ex_data so it is freed with the context.
int SniIndex() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<SniSelector*>(ptr);
      });
  return index;
}

int SelectBySni(SSL* ssl, int*, void*) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  auto* select = static_cast<SniSelector*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), SniIndex()));
  if (select == nullptr) return SSL_TLSEXT_ERR_OK;
  // The SSL takes its own reference on the chosen context.
  if (auto chosen = (*select)(name)) SSL_set_SSL_CTX(ssl, chosen->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

// Accepts any client chain: the verdict stays in SSL_get_verify_result for InspectTls and the
// application verifies the presented certificate against the right (tenant's) CA.
int AcceptAnyClientChain(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsContextOptions& o) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  ctx->use_certificate_chain(boost::asio::buffer(o.cert_chain_pem), ec);
  if (ec) return Error::Make(ErrorCode::kInternal, "tls: bad certificate chain: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(o.private_key_pem), ssl::context::pem, ec);
  if (ec) return Error::Make(ErrorCode::kInternal, "tls: bad private key: " + ec.message());
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    return Error::Make(ErrorCode::kInternal, "tls: private key does not match the certificate");
  }
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Renegotiation would let a read need a write behind the codec's back; nobody needs it.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Resumed sessions (tickets) keep the verified client certificate; OpenSSL refuses to resume a
  // session that saw a peer certificate unless a session id context is set.
  static constexpr unsigned char kSessionContext[] = "vkube";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, o.offer_http2 ? native : nullptr);
  if (!o.client_ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(o.client_ca_pem), ec);
    if (ec) return Error::Make(ErrorCode::kInternal, "tls: bad client CA: " + ec.message());
    // Ask for a certificate but do not require one (like Go's VerifyClientCertIfGiven).
    ctx->set_verify_mode(ssl::verify_peer, ec);
    BIO* bio = BIO_new_mem_buf(o.client_ca_pem.data(), static_cast<int>(o.client_ca_pem.size()));
    while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      SSL_CTX_add_client_CA(native, ca);
      X509_free(ca);
    }
    BIO_free(bio);
  }
  if (o.request_client_cert) SSL_CTX_set_verify(native, SSL_VERIFY_PEER, AcceptAnyClientChain);
  if (o.select_by_sni) {
    SSL_CTX_set_ex_data(native, SniIndex(), new SniSelector(o.select_by_sni));
    SSL_CTX_set_tlsext_servername_callback(native, SelectBySni);
  }
  return ctx;
}

TlsPeer InspectTls(SSL* ssl) {
  TlsPeer p;
  if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) p.sni = sni;
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  p.alpn = alpn_len ? std::string(reinterpret_cast<const char*>(alpn), alpn_len) : "http/1.1";
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert != nullptr) {
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert, &der);
    if (n > 0) p.client_cert_der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
      p.client_cert_verified = true;
      X509_NAME* subject = X509_get_subject_name(cert);
      int pos = -1;
      p.cn = NameEntry(subject, NID_commonName, &pos);
      pos = -1;
      for (;;) {
        std::string o = NameEntry(subject, NID_organizationName, &pos);
        if (pos < 0) break;
        p.orgs.push_back(std::move(o));
      }
    }
    X509_free(cert);
  }
  return p;
}

}  // namespace vkube::net
