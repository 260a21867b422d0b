#pragma once
// kube's ResourceQuota: what an object charges to a namespace's quotas (shared with the
// resourcequota controller that writes status.used) and the admission plugin that refuses a
// create which would exceed a quota's spec.hard, with kube-apiserver's message:
//   pods "x" is forbidden: exceeded quota: NAME, requested: pods=1, used: pods=2, limited: pods=2
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "libs/registry/generic_registry.h"
#include "libs/resource/quantity.h"

namespace vkube::registry {

using QuotaUsage = std::map<std::string, resource::Quantity>;  // quota resource name → amount

// What `obj` of `kind` counts against quotas: object counts ("pods", "count/deployments.apps"),
// pod compute ("requests.cpu", "limits.memory", "cpu" = requests.cpu), storage requests,
// service node ports and load balancers. Terminal pods (Succeeded/Failed) charge nothing.
QuotaUsage QuotaCharge(const resource::Kind& kind, const Json& obj);

// Storage resources ("pods", "apps/deployments") whose objects can charge any of `hard`'s keys.
std::vector<std::string> ChargedResources(const resource::Registry& registry, const Json& hard);

// Sum of the charges of `objects` restricted to the keys of `hard`.
void AddUsage(const Json& hard, const QuotaUsage& charge, QuotaUsage& total);

class ResourceQuotaAdmission final : public AdmissionPlugin {
 public:
  // Reads quotas and the namespace's objects from `store` (committed state); `kinds` gives the
  // kinds served now (custom resources come and go).
  using KindsSource = std::function<std::shared_ptr<const resource::Registry>()>;
  ResourceQuotaAdmission(std::shared_ptr<store::Store> store, KindsSource kinds)
      : store_(std::move(store)), kinds_(std::move(kinds)) {}

  Status Admit(AdmissionRequest& request) override;

 private:
  // A create admitted but maybe not committed yet: counted until its object shows up in the store
  // (or it expires, for a write that failed after admission). With the lock held over check +
  // reserve, concurrent creates (a ReplicaSet's burst) cannot both take the last unit — what
  // kube gets from compare-and-swap on the quota's status.used.
  struct Reservation {
    std::string ns, resource, name;
    QuotaUsage charge;
    std::chrono::steady_clock::time_point expires;
  };

  std::shared_ptr<store::Store> store_;
  KindsSource kinds_;
  std::mutex mu_;
  std::vector<Reservation> pending_;
};

}  // namespace vkube::registry
