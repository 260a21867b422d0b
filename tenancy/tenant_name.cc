#include "tenancy/tenant_name.h"

#include <string>

namespace vkube::tenancy {

Status ValidateTenantName(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !name.empty() && name.size() <= kMaxTenantNameLength && alnum(name.front()) && alnum(name.back());
  for (char c : name) ok = ok && (alnum(c) || c == '-');
  if (ok) return {};
  return Error::Make(ErrorCode::kInvalid,
                     "invalid tenant name \"" + std::string(name.substr(0, 64)) +
                         "\": a lowercase RFC 1123 label of at most " + std::to_string(kMaxTenantNameLength) +
                         " characters must consist of lower case alphanumeric characters or '-', and must start "
                         "and end with an alphanumeric character");
}

}  // namespace vkube::tenancy
