#pragma once
// kube's ServiceAccount admission for pods (plugin/pkg/admission/serviceaccount): a pod without
// spec.serviceAccountName runs as "default", and unless the pod or its service account opts out
// with automountServiceAccountToken=false, it gets the projected volume kube-api-access-XXXXX
// (a bound token, the kube-root-ca.crt bundle and the namespace) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container that has nothing there yet.
//
// Unlike kube-apiserver, a missing service account is not refused: the "default" one is made by a
// controller moments after its namespace, and a pod created in between would fail for no reason a
// tenant can see. The token for such a pod is only issued once the account exists.
#include <memory>

#include "libs/registry/generic_registry.h"

namespace vkube::registry {

inline constexpr const char* kServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

class ServiceAccountAdmission final : public AdmissionPlugin {
 public:
  explicit ServiceAccountAdmission(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}
  Status Admit(AdmissionRequest& request) override;

 private:
  std::shared_ptr<store::Store> store_;
};

}  // namespace vkube::registry
