#include "libs/net/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "libs/http/testing/test_tls.h"

namespace vkube::net {
namespace {

using http::testing::IssueClientCert;
using http::testing::MakeCa;
using http::testing::MakeSelfSignedServerCert;
using http::testing::TestCert;

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;
using CtxPtr = std::unique_ptr<SSL_CTX, SslFree>;

const TestCert& ServerCert() {
  static const TestCert cert = MakeSelfSignedServerCert();
  return cert;
}

CtxPtr ClientCtx(const std::string& alpn_wire, const TestCert* client = nullptr) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!alpn_wire.empty()) {
    SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                            static_cast<unsigned>(alpn_wire.size()));
  }
  if (client != nullptr) {
    BIO* cb = BIO_new_mem_buf(client->cert_pem.data(), static_cast<int>(client->cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(client->key_pem.data(), static_cast<int>(client->key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    SSL_CTX_use_certificate(ctx.get(), cert);
    SSL_CTX_use_PrivateKey(ctx.get(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  return ctx;
}

// Handshakes a client and a server SSL over an in-memory BIO pair; returns the server side.
SslPtr Handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx, bool* ok, const char* sni = nullptr) {
  SslPtr s(SSL_new(server_ctx));
  SslPtr c(SSL_new(client_ctx));
  if (sni != nullptr) SSL_set_tlsext_host_name(c.get(), sni);
  BIO* bs = nullptr;
  BIO* bc = nullptr;
  BIO_new_bio_pair(&bs, 0, &bc, 0);
  SSL_set_bio(s.get(), bs, bs);
  SSL_set_bio(c.get(), bc, bc);
  SSL_set_accept_state(s.get());
  SSL_set_connect_state(c.get());
  *ok = false;
  for (int i = 0; i < 50; ++i) {
    int rc = SSL_do_handshake(c.get());
    int rs = SSL_do_handshake(s.get());
    if (rc == 1 && rs == 1) {
      *ok = true;
      break;
    }
    auto want = [](SSL* ssl, int r) {
      int e = SSL_get_error(ssl, r);
      return r == 1 || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
    };
    if (!want(c.get(), rc) || !want(s.get(), rs)) break;
  }
  ERR_clear_error();
  return s;
}

TEST(TlsContextTest, RejectsBadMaterial) {
  const auto& cert = ServerCert();
  EXPECT_FALSE(MakeServerTlsContext({"not a pem", cert.key_pem, ""}).ok());
  EXPECT_FALSE(MakeServerTlsContext({cert.cert_pem, "not a key", ""}).ok());
  const auto other = MakeSelfSignedServerCert();
  auto mismatched = MakeServerTlsContext({cert.cert_pem, other.key_pem, ""});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("key"), std::string::npos) << mismatched.error().message;
  EXPECT_FALSE(MakeServerTlsContext({cert.cert_pem, cert.key_pem, "garbage CA"}).ok());
  EXPECT_TRUE(MakeServerTlsContext({cert.cert_pem, cert.key_pem, ""}).ok());
}

TEST(TlsContextTest, AlpnPrefersH2ThenHttp11) {
  const auto& cert = ServerCert();
  auto server = MakeServerTlsContext({cert.cert_pem, cert.key_pem, "", true});
  ASSERT_TRUE(server.ok());
  bool ok = false;
  // The client's order does not matter: the server prefers h2.
  auto client = ClientCtx(std::string("\x08http/1.1\x02h2", 12));
  auto s = Handshake((*server)->native_handle(), client.get(), &ok, "tenant-a.example");
  ASSERT_TRUE(ok);
  auto peer = InspectTls(s.get());
  EXPECT_EQ(peer.alpn, "h2");
  EXPECT_EQ(peer.sni, "tenant-a.example");
  EXPECT_FALSE(peer.client_cert_verified);

  client = ClientCtx(std::string("\x08http/1.1", 9));
  s = Handshake((*server)->native_handle(), client.get(), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(InspectTls(s.get()).alpn, "http/1.1");
  EXPECT_EQ(InspectTls(s.get()).sni, "");

  client = ClientCtx("");  // no ALPN at all: HTTP/1.1
  s = Handshake((*server)->native_handle(), client.get(), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(InspectTls(s.get()).alpn, "http/1.1");
}

TEST(TlsContextTest, WithoutHttp2OnlyHttp11IsSelected) {
  const auto& cert = ServerCert();
  auto server = MakeServerTlsContext({cert.cert_pem, cert.key_pem, "", false});
  ASSERT_TRUE(server.ok());
  bool ok = false;
  auto client = ClientCtx(std::string("\x02h2\x08http/1.1", 12));
  auto s = Handshake((*server)->native_handle(), client.get(), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(InspectTls(s.get()).alpn, "http/1.1");
  // A client that speaks only h2 still connects (no ALPN agreed → HTTP/1.1, as Go does).
  client = ClientCtx(std::string("\x02h2", 3));
  s = Handshake((*server)->native_handle(), client.get(), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(InspectTls(s.get()).alpn, "http/1.1");
}

TEST(TlsContextTest, TlsBelow12IsRefused) {
  const auto& cert = ServerCert();
  auto server = MakeServerTlsContext({cert.cert_pem, cert.key_pem, ""});
  ASSERT_TRUE(server.ok());
  auto client = ClientCtx("");
  SSL_CTX_set_security_level(client.get(), 0);
  SSL_CTX_set_max_proto_version(client.get(), TLS1_1_VERSION);
  bool ok = true;
  Handshake((*server)->native_handle(), client.get(), &ok);
  EXPECT_FALSE(ok);
}

TEST(TlsContextTest, ClientCertificateIsOptionalAndVerified) {
  const auto& cert = ServerCert();
  const auto ca = MakeCa("vkube-client-ca");
  const auto alice = IssueClientCert(ca, "alice", {"dev", "ops"});
  auto server = MakeServerTlsContext({cert.cert_pem, cert.key_pem, ca.cert_pem});
  ASSERT_TRUE(server.ok());
  bool ok = false;

  auto with_cert = ClientCtx("", &alice);
  auto s = Handshake((*server)->native_handle(), with_cert.get(), &ok);
  ASSERT_TRUE(ok);
  auto peer = InspectTls(s.get());
  EXPECT_TRUE(peer.client_cert_verified);
  EXPECT_EQ(peer.cn, "alice");
  EXPECT_EQ(peer.orgs, (std::vector<std::string>{"dev", "ops"}));

  // No certificate: the handshake still succeeds (token authentication follows).
  auto without = ClientCtx("");
  s = Handshake((*server)->native_handle(), without.get(), &ok);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(InspectTls(s.get()).client_cert_verified);

  // A certificate from another CA is refused, never silently accepted.
  const auto mallory = IssueClientCert(MakeCa("other-ca"), "mallory", {"system:masters"});
  auto wrong = ClientCtx("", &mallory);
  s = Handshake((*server)->native_handle(), wrong.get(), &ok);
  if (ok) {
    EXPECT_FALSE(InspectTls(s.get()).client_cert_verified);
  }
}

}  // namespace
}  // namespace vkube::net
