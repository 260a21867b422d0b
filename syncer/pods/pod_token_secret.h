#pragma once
// A pod's service account tokens on the host: the Secret "<host pod>.sa-token" that the host pod's
// projected token items read (pod_translator.h). Its tokens are the tenant's own, issued for the
// pod's service account and bound to the pod (kube's TokenRequest with boundObjectRef), so they
// authenticate at the tenant's API and die with the tenant pod. Written right after the host pod
// (its kubelet waits for the volume), re-issued at 80% of their lifetime, deleted after the pod.
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "syncer/sync_context.h"

namespace vkube::syncer {

class PodTokenSecret {
 public:
  explicit PodTokenSecret(SyncContext& ctx) : ctx_(ctx) {}

  // Issues (or refreshes) the tokens `virtual_pod` projects into its host Secret; kDone when the
  // pod projects none. kRetry while its service account does not exist yet.
  boost::asio::awaitable<SyncOutcome> Ensure(const nlohmann::json& virtual_pod);
  // Removes the Secret of host pod `host_pod_name` if the host has one.
  boost::asio::awaitable<SyncOutcome> Remove(const std::string& host_pod_name);

 private:
  SyncContext& ctx_;
};

}  // namespace vkube::syncer
