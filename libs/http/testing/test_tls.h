#pragma once
// Throwaway certificates for tests: a self-signed serving certificate (CN=localhost, SANs
// localhost + 127.0.0.1) and a CA that issues client certificates (CN = user, O = groups).
// Test-only: keys are P-256, validity one day, nothing is persisted.
#include <string>
#include <vector>

namespace vkube::http::testing {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

// Self-signed and marked as a CA, so a client can pass it as its trust anchor.
TestCert MakeSelfSignedServerCert(const std::string& cn = "localhost");
TestCert MakeCa(const std::string& cn);
TestCert IssueClientCert(const TestCert& ca, const std::string& cn, const std::vector<std::string>& orgs);

}  // namespace vkube::http::testing
