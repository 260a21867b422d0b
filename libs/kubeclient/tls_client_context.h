#pragma once
// Client TLS context for the host API: TLS 1.2+, the kubeconfig's trust anchors (or the system's),
// and its client certificate when it has one. Peer name checks are per connection (transport.cc).
#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "libs/core/result.h"
#include "libs/kubeclient/kube_config.h"

namespace vkube::kube {

Result<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(const KubeConfig& config);

}  // namespace vkube::kube
