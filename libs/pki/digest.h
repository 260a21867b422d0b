#pragma once
// Digests as text, for names and ids derived from content.
#include <string>
#include <string_view>

namespace vkube::pki {

// sha256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace vkube::pki
