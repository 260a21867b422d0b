#include "libs/http/testing/test_tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace vkube::http::testing {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test_tls: ") + what);  // test set-up only
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  return BioString(bio.get());
}

std::string CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "write cert");
  return BioString(bio.get());
}

PKey ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  Check(key != nullptr, "read key");
  return key;
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  Check(cert != nullptr, "read cert");
  return cert;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
  Check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` with the given subject; signed by issuer (or self-signed).
Cert NewCert(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& orgs, X509* issuer,
             long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : orgs) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1,
                               0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  return cert;
}

void Sign(X509* cert, EVP_PKEY* key) { Check(X509_sign(cert, key, EVP_sha256()) > 0, "sign"); }

// Random serials: certificates from one issuer must not share one.
long NextSerial() {
  unsigned char b[4];
  Check(RAND_bytes(b, sizeof b) == 1, "rand");
  return 1 + ((long{b[0]} << 24 | long{b[1]} << 16 | long{b[2]} << 8 | long{b[3]}) & 0x7fffffff);
}

}  // namespace

TestCert MakeSelfSignedServerCert(const std::string& cn) {
  PKey key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "keygen");
  Cert cert = NewCert(key.get(), cn, {}, nullptr, NextSerial());
  AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert.get(), cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  AddExt(cert.get(), cert.get(), NID_ext_key_usage, "serverAuth");
  AddExt(cert.get(), cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  Sign(cert.get(), key.get());
  return {CertPem(cert.get()), KeyPem(key.get())};
}

TestCert MakeCa(const std::string& cn) {
  PKey key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "keygen");
  Cert cert = NewCert(key.get(), cn, {}, nullptr, NextSerial());
  AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  Sign(cert.get(), key.get());
  return {CertPem(cert.get()), KeyPem(key.get())};
}

TestCert IssueClientCert(const TestCert& ca, const std::string& cn, const std::vector<std::string>& orgs) {
  PKey ca_key = ReadKey(ca.key_pem);
  Cert ca_cert = ReadCert(ca.cert_pem);
  PKey key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "keygen");
  Cert cert = NewCert(key.get(), cn, orgs, ca_cert.get(), NextSerial());
  AddExt(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth");
  Sign(cert.get(), ca_key.get());
  return {CertPem(cert.get()), KeyPem(key.get())};
}

}  // namespace vkube::http::testing
