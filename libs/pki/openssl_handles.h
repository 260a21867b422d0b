#pragma once
// Owning handles for the OpenSSL objects libs/pki uses (private to libs/pki): every allocation is
// released on every path, errors included.
#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "libs/core/result.h"

namespace vkube::pki {

template <typename T, void (*F)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;

inline Error SslError(std::string_view what) { return Error::Make(ErrorCode::kInternal, "pki: " + std::string(what)); }

}  // namespace vkube::pki
