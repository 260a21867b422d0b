#include "libs/resource/meta.h"

#include <openssl/rand.h>

#include <cstdio>
#include <random>

#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

// OpenSSL's DRBG is thread-safe; std::random_device is the fallback should it ever fail.
void RandomBytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) == 1) return;
  std::random_device rd;
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(rd());
}

constexpr std::size_t kMaxNameLength = 63;
constexpr std::size_t kRandomLength = 5;

}  // namespace

std::vector<std::string> ValidateDns1123Label(std::string_view name) { return validation::IsDns1123Label(name); }
std::vector<std::string> ValidateDns1123Subdomain(std::string_view name) {
  return validation::IsDns1123Subdomain(name);
}
std::vector<std::string> ValidateDns1035Label(std::string_view name) { return validation::IsDns1035Label(name); }

std::string NewUid() {
  unsigned char b[16];
  RandomBytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string GenerateName(std::string_view prefix) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(prefix.substr(0, std::min(prefix.size(), kMaxNameLength - kRandomLength)));
  const std::size_t want = out.size() + kRandomLength;
  // Rejection sampling keeps the 27 letters equally likely (256 is not a multiple of 27).
  constexpr unsigned kLimit = 256 - 256 % kAlphabet.size();
  while (out.size() < want) {
    unsigned char r[8];
    RandomBytes(r, sizeof r);
    for (unsigned char c : r) {
      if (c < kLimit && out.size() < want) out.push_back(kAlphabet[c % kAlphabet.size()]);
    }
  }
  return out;
}

std::string_view GetString(const nlohmann::json& obj, std::initializer_list<std::string_view> path) {
  const nlohmann::json* cur = &obj;
  for (auto key : path) {
    if (!cur->is_object()) return {};
    auto it = cur->find(key);
    if (it == cur->end()) return {};
    cur = &*it;
  }
  if (!cur->is_string()) return {};
  return cur->get_ref<const std::string&>();
}

}  // namespace vkube::resource
