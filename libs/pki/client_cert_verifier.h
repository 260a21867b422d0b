#pragma once
// Verifies a client certificate against one CA (kube-apiserver's x509 authenticator): chain,
// validity period and the clientAuth purpose. Used per tenant on a listener shared by many
// tenants, where the TLS layer cannot know which CA applies.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"

namespace vkube::pki {

struct CertIdentity {
  std::string user;                 // subject CN
  std::vector<std::string> groups;  // subject O entries
  std::chrono::system_clock::time_point not_after;  // callers caching the verdict honour it
};

// DER bytes of the first certificate of a PEM text ("" if none): what a TLS peer presents.
std::string CertificateDer(const std::string& pem);

class ClientCertVerifier {
 public:
  static Result<std::shared_ptr<const ClientCertVerifier>> Create(const std::string& ca_pem);
  ~ClientCertVerifier();
  ClientCertVerifier(const ClientCertVerifier&) = delete;
  ClientCertVerifier& operator=(const ClientCertVerifier&) = delete;

  // kUnauthorized unless `der` is a certificate issued by this CA, valid now, usable for
  // client authentication, with a non-empty CN.
  Result<CertIdentity> Verify(std::string_view der) const;

 private:
  struct Impl;
  explicit ClientCertVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkube::pki
