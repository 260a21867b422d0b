#pragma once
// ClusterIP and NodePort allocation for Services (kube-apiserver's service REST storage does this
// at create/update, before validation): a free IP from the service CIDR for clusterIP "" and free
// node ports for NodePort/LoadBalancer ports, "already allocated" errors for taken explicit values,
// release on delete. The in-memory bitmap is rebuilt from the store at start and whenever it looks
// exhausted or conflicting (a create that failed after admission leaves a stale mark; kube runs a
// repair loop for the same reason).
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_set>

#include "libs/registry/generic_registry.h"

namespace vkube::registry {

struct ServiceAllocatorOptions {
  std::string service_cidr = "10.96.0.0/12";  // kube's default --service-cluster-ip-range
  int node_port_min = 30000;
  int node_port_max = 32767;
};

class ServiceAllocator final : public AdmissionPlugin {
 public:
  static Result<std::shared_ptr<ServiceAllocator>> Create(std::shared_ptr<store::Store> store,
                                                          ServiceAllocatorOptions options = {});
  Status Admit(AdmissionRequest& request) override;

  // The first address of the range: the `kubernetes` Service's ClusterIP.
  std::string ApiServerServiceIp() const;

  ServiceAllocator(std::shared_ptr<store::Store> store, ServiceAllocatorOptions options, std::uint32_t base,
                   std::uint32_t size);

 private:
  Status Allocate(AdmissionRequest& request);
  void Release(const Json& svc);
  void Rebuild();  // mu_ held
  Result<std::string> TakeIp(const std::string& requested, bool dry_run);  // mu_ held
  Result<int> TakePort(int requested, bool dry_run);                       // mu_ held

  std::shared_ptr<store::Store> store_;
  ServiceAllocatorOptions options_;
  std::uint32_t base_;  // network address (host order)
  std::uint32_t size_;  // addresses in the range
  std::mutex mu_;
  std::unordered_set<std::uint32_t> ips_;  // offsets in use
  std::set<int> ports_;
  std::uint32_t next_ip_ = 2;
  int next_port_ = 0;
};

}  // namespace vkube::registry
