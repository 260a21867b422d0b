#pragma once
// A deleted tenant leaves nothing on the host: every object the syncer made for it in its host
// namespace (found by the tenant label the tenant itself cannot set) is deleted.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "libs/core/result.h"
#include "libs/kubeclient/kube_client.h"

namespace vkube::syncer {

// Deletes the tenant's pods (at once: the tenant is gone, nothing drains), configmaps, secrets,
// PVCs and services in `host_namespace`. NotFound counts as done; the first other error is
// returned after trying everything.
boost::asio::awaitable<Status> RemoveTenantFromHost(kube::KubeClient& host, std::string host_namespace,
                                                    std::string tenant);

// The same, from a thread outside `executor` (the admin API's), waiting at most `timeout`.
Status RemoveTenantFromHostBlocking(kube::KubeClient& host, boost::asio::any_io_executor executor,
                                    const std::string& host_namespace, const std::string& tenant,
                                    std::chrono::seconds timeout);

}  // namespace vkube::syncer
