#include "hostsim/ids.h"

#include <openssl/evp.h>

namespace vkube::hostsim {

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

std::string UuidFrom(std::string_view seed) {
  const std::string h = Sha256Hex(seed);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string NormalizeImage(const std::string& image) {
  if (image.empty()) return image;
  std::string ref = image;
  // A first component with '.', ':' or "localhost" names a registry (docker's rule).
  const auto slash = ref.find('/');
  const std::string first = slash == std::string::npos ? "" : ref.substr(0, slash);
  const bool has_registry =
      slash != std::string::npos &&
      (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost");
  if (!has_registry) ref = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + ref;
  const auto last_slash = ref.rfind('/');
  const std::string last = ref.substr(last_slash + 1);
  if (last.find(':') == std::string::npos && last.find('@') == std::string::npos) ref += ":latest";
  return ref;
}

}  // namespace vkube::hostsim
