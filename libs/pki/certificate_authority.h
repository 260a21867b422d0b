#pragma once
// X.509 for a tenant: a self-signed CA that issues serving and client certificates (ECDSA P-256).
#include <chrono>
#include <string>
#include <vector>

#include "libs/core/result.h"

namespace vkube::pki {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

struct CertRequest {
  std::string common_name;
  std::vector<std::string> organizations;  // client certs: groups
  std::vector<std::string> dns_names;       // serving certs: SANs
  std::vector<std::string> ip_addresses;
  bool server = false;                      // serverAuth EKU (else clientAuth)
  std::chrono::hours validity{24 * 365};
};

class CertificateAuthority {
 public:
  static Result<CertificateAuthority> Create(const std::string& common_name);
  static Result<CertificateAuthority> Load(const KeyPair& pem);

  Result<KeyPair> Issue(const CertRequest& request) const;
  const KeyPair& pem() const { return pem_; }

 private:
  explicit CertificateAuthority(KeyPair pem) : pem_(std::move(pem)) {}
  KeyPair pem_;
};

// SANs (DNS and IP, as text) of a PEM certificate; empty on parse failure.
std::vector<std::string> SubjectAltNames(const std::string& cert_pem);

}  // namespace vkube::pki
