#pragma once
// A tenant's on-disk credentials: created on first start, reused afterwards.
#include <string>
#include <vector>

#include "libs/core/result.h"
#include "libs/pki/certificate_authority.h"

namespace vkube::pki {

struct Credentials {
  KeyPair ca;
  KeyPair server;
  KeyPair admin;          // client certificate: CN kubernetes-admin, O system:masters
  std::string admin_token;
  std::string service_account_key_pem;  // signs the tenant's service account tokens (sa.key)
};

// DIR/pki/{ca,server,admin}.{crt,key}, admin.token and sa.key (keys and token 0600). The serving
// certificate is re-issued when a requested SAN is missing from the existing one.
Result<Credentials> LoadOrCreate(const std::string& data_dir, const std::vector<std::string>& extra_sans);

// A random bearer token kept in `path` (0600), created on first use.
Result<std::string> LoadOrCreateToken(const std::string& path);

// Writes `content` to `path` atomically (temp file + fsync + rename) with the given mode.
Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode);
Result<std::string> ReadFile(const std::string& path);
std::string Base64(const std::string& data);

}  // namespace vkube::pki
