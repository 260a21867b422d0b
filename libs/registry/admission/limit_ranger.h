#pragma once
// kube's LimitRanger admission for pods: containers without requests/limits get the namespace's
// LimitRange (type Container) `defaultRequest`/`default` values, recorded in the annotation
// kubernetes.io/limit-ranger; min/max are enforced with kube-apiserver's messages (403), e.g.
//   pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2
#include <memory>

#include "libs/registry/generic_registry.h"

namespace vkube::registry {

class LimitRanger final : public AdmissionPlugin {
 public:
  explicit LimitRanger(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}
  Status Admit(AdmissionRequest& request) override;

 private:
  std::shared_ptr<store::Store> store_;
};

}  // namespace vkube::registry
