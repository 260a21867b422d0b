#include "libs/pki/certificate_authority.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "libs/pki/openssl_handles.h"

namespace vkube::pki {
namespace {

using Cert = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;

PKey NewKey() { return PKey(EVP_EC_gen("P-256")); }

std::string ToPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string ToPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Cert ParseCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PKey ParseKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Fills serial, validity, subject; issuer = cert itself when self-signed.
Cert NewCert(const std::string& cn, const std::vector<std::string>& orgs, std::chrono::hours validity) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);  // tolerate small clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()) * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : orgs) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

Result<CertificateAuthority> CertificateAuthority::Create(const std::string& common_name) {
  PKey key = NewKey();
  if (!key) return SslError("key generation failed");
  Cert cert = NewCert(common_name, {}, std::chrono::hours(24 * 365 * 10));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  if (!AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") ||
      !AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
    return SslError("CA extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return SslError("CA signing failed");
  return CertificateAuthority(KeyPair{ToPem(cert.get()), ToPem(key.get())});
}

Result<CertificateAuthority> CertificateAuthority::Load(const KeyPair& pem) {
  Cert cert = ParseCert(pem.cert_pem);
  PKey key = ParseKey(pem.key_pem);
  if (!cert || !key) return SslError("cannot parse CA certificate or key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) return SslError("CA key does not match certificate");
  return CertificateAuthority(pem);
}

Result<KeyPair> CertificateAuthority::Issue(const CertRequest& req) const {
  Cert ca = ParseCert(pem_.cert_pem);
  PKey ca_key = ParseKey(pem_.key_pem);
  PKey key = NewKey();
  if (!ca || !ca_key || !key) return SslError("issue: bad CA or key generation failed");
  Cert cert = NewCert(req.common_name, req.organizations, req.validity);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  X509_set_pubkey(cert.get(), key.get());
  std::string san;
  for (const auto& d : req.dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : req.ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  bool ok = AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") &&
            AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
            AddExt(cert.get(), ca.get(), NID_ext_key_usage, req.server ? "serverAuth" : "clientAuth") &&
            AddExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always") &&
            (san.empty() || AddExt(cert.get(), ca.get(), NID_subject_alt_name, san));
  if (!ok) return SslError("certificate extensions (bad SAN?)");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) return SslError("signing failed");
  return KeyPair{ToPem(cert.get()), ToPem(key.get())};
}

std::vector<std::string> SubjectAltNames(const std::string& cert_pem) {
  std::vector<std::string> out;
  Cert cert = ParseCert(cert_pem);
  if (!cert) return out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)));
    } else if (gn->type == GEN_IPADD) {
      const unsigned char* p = ASN1_STRING_get0_data(gn->d.iPAddress);
      if (ASN1_STRING_length(gn->d.iPAddress) == 4) {
        out.push_back(std::to_string(p[0]) + "." + std::to_string(p[1]) + "." + std::to_string(p[2]) + "." +
                      std::to_string(p[3]));
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace vkube::pki
