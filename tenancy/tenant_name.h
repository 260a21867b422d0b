#pragma once
// Tenant names become a DNS label (TENANT.BASE_DOMAIN), a path segment (/tenants/TENANT/) and the
// suffix of every host object name (NAME-x-NAMESPACE-x-TENANT), so they are short DNS-1123 labels.
#include <string_view>

#include "libs/core/result.h"

namespace vkube::tenancy {

inline constexpr std::size_t kMaxTenantNameLength = 40;

// kInvalid with kube's wording unless `name` is a DNS-1123 label of at most 40 characters.
Status ValidateTenantName(std::string_view name);

}  // namespace vkube::tenancy
