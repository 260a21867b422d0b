#include "hostsim/ids.h"

#include "libs/pki/digest.h"

namespace vkube::hostsim {

std::string Sha256Hex(std::string_view data) { return pki::Sha256Hex(data); }

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
