#pragma once
// pods/log, exec, attach and portforward of a tenant's pod, served by its host pod: the request
// the tenant's API server has already authorized and checked is re-issued to the host API for the
// translated pod in the tenant's own host namespace (never a path the tenant chose), with the
// syncer's host credentials. Upgrades (WebSocket or SPDY) are relayed byte for byte after the
// host's 101, so every streaming protocol kubectl speaks passes unchanged.
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "apiserver-proxy/pod_streams.h"
#include "libs/kubeclient/kube_client.h"

namespace vkube::syncer {

// How to reach the host API for upgrades (the client handles ordinary requests).
struct HostEndpoint {
  std::string server;  // https://HOST[:PORT]
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::string tls_server_name;         // "" = the server's host
  std::function<std::string()> token;  // bearer token ("" = client certificate only)
};

class HostPodStreams final : public apiserver::PodStreams {
 public:
  HostPodStreams(std::string tenant, std::string host_namespace, kube::KubeClient& host,
                 std::shared_ptr<const HostEndpoint> endpoint);

  boost::asio::awaitable<Result<std::shared_ptr<apiserver::ChunkStream>>> Logs(
      std::string ns, std::string pod, apiserver::PodLogOptions options) override;
  boost::asio::awaitable<void> Connect(std::string ns, std::string pod, apiserver::PodConnectOptions options,
                                       http::Request& request, http::ResponseWriter& writer) override;

  // The host path of a tenant pod's subresource: /api/v1/namespaces/HOST_NS/pods/HOST_NAME/SUB.
  std::string HostPath(const std::string& ns, const std::string& pod, const std::string& subresource) const;
  // The query of pods/log for the host, from validated options.
  static std::string LogQuery(const apiserver::PodLogOptions& options);

 private:
  const std::string tenant_;
  const std::string host_namespace_;
  kube::KubeClient& host_;
  std::shared_ptr<const HostEndpoint> endpoint_;
};

}  // namespace vkube::syncer
