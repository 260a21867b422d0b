#include "libs/pki/client_cert_verifier.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace vkube::pki {
namespace {

Error Unauthorized(std::string why) { return Error::Make(ErrorCode::kUnauthorized, "client certificate: " + std::move(why)); }

std::vector<std::string> NameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n < 0) continue;
    out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

std::string CertificateDer(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(n)) : std::string();
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

struct ClientCertVerifier::Impl {
  X509_STORE* store = nullptr;
  ~Impl() { X509_STORE_free(store); }
};

ClientCertVerifier::ClientCertVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClientCertVerifier::~ClientCertVerifier() = default;

Result<std::shared_ptr<const ClientCertVerifier>> ClientCertVerifier::Create(const std::string& ca_pem) {
  auto impl = std::make_unique<Impl>();
  impl->store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    added += X509_STORE_add_cert(impl->store, ca) == 1 ? 1 : 0;
    X509_free(ca);
  }
  BIO_free(bio);
  if (added == 0) return Error::Make(ErrorCode::kInvalid, "client CA: no certificate in PEM");
  return std::shared_ptr<const ClientCertVerifier>(new ClientCertVerifier(std::move(impl)));
}

Result<CertIdentity> ClientCertVerifier::Verify(std::string_view der) const {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr) return Unauthorized("not a certificate");
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  Result<CertIdentity> out = Unauthorized("verification failed");
  if (X509_STORE_CTX_init(ctx, impl_->store, cert, nullptr) == 1) {
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx) == 1) {
      X509_NAME* subject = X509_get_subject_name(cert);
      auto cn = NameEntries(subject, NID_commonName);
      if (cn.empty() || cn.front().empty()) {
        out = Unauthorized("no common name");
      } else {
        std::tm tm{};
        ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
        out = CertIdentity{cn.front(), NameEntries(subject, NID_organizationName),
                           std::chrono::system_clock::from_time_t(timegm(&tm))};
      }
    } else {
      out = Unauthorized(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
  }
  X509_STORE_CTX_free(ctx);
  X509_free(cert);
  return out;
}

}  // namespace vkube::pki
