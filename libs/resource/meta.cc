#include "libs/resource/meta.h"

#include <openssl/rand.h>

#include <cstdio>
#include <regex>

namespace vkube::resource {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsDns1123Label(std::string_view s) {
  if (s.empty() || !IsAlnumLower(s.front()) || !IsAlnumLower(s.back())) return false;
  for (char c : s) {
    if (!IsAlnumLower(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> ValidateDns1123Label(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 63) errs.emplace_back("must be no more than 63 characters");
  if (!IsDns1123Label(name)) {
    errs.emplace_back(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

std::vector<std::string> ValidateDns1123Subdomain(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 253) errs.emplace_back("must be no more than 253 characters");
  bool ok = !name.empty();
  std::size_t start = 0;
  while (ok && start <= name.size()) {
    auto dot = name.find('.', start);
    auto part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ok = IsDns1123Label(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) {
    errs.emplace_back(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

std::string NewUid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

std::string GenerateName(std::string_view prefix) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  // kube trims the prefix so that prefix + suffix fits 63 characters.
  std::string out(prefix.substr(0, std::min<std::size_t>(prefix.size(), 58)));
  unsigned char r[5];
  RAND_bytes(r, sizeof r);
  for (unsigned char c : r) out.push_back(kAlphabet[c % (sizeof kAlphabet - 1)]);
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
