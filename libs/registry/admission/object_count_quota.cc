#include "libs/registry/admission/object_count_quota.h"

namespace vkube::registry {

Status ObjectCountQuota::Admit(AdmissionRequest& request) {
  if (request.operation != Operation::kCreate || !request.subresource.empty()) return {};
  const std::size_t used = count_();
  if (used < limit_) return {};  // concurrent creates may pass together: a bound, not an exact count
  const std::string n = std::to_string(limit_);
  Error e = Error::Make(ErrorCode::kForbidden,
                        request.kind->info.resource + " \"" + request.name + "\" is forbidden: exceeded quota: " +
                            "vkube-tenant-objects, requested: objects=1, used: objects=" + std::to_string(used) +
                            ", limited: objects=" + n);
  e.details.group = request.kind->info.group;
  e.details.kind = request.kind->info.resource;
  e.details.name = request.name;
  return e;
}

}  // namespace vkube::registry
