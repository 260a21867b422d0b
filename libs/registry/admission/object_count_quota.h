#pragma once
// A cap on how many objects one virtual cluster may store (a platform-level quota: a tenant
// cannot fill the shared store). Refuses creates at the limit with kube's quota wording (403).
#include <cstddef>
#include <functional>
#include <string>

#include "libs/registry/generic_registry.h"

namespace vkube::registry {

class ObjectCountQuota final : public AdmissionPlugin {
 public:
  // `count` returns the tenant's current number of stored objects (cheap, thread-safe).
  ObjectCountQuota(std::size_t limit, std::function<std::size_t()> count) : limit_(limit), count_(std::move(count)) {}

  Status Admit(AdmissionRequest& request) override;

 private:
  const std::size_t limit_;
  std::function<std::size_t()> count_;
};

}  // namespace vkube::registry
