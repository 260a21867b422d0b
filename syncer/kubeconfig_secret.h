#pragma once
// The tenant's kubeconfig as a Secret on the host (the chart's `kubeconfigSecret.source: vkube`,
// like vcluster's vc-<name>): vkube writes it with its own credentials at start-up, so rendering
// the chart again (helm template, GitOps) never rotates them.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/kubeclient/kube_client.h"

namespace vkube::syncer {

struct KubeconfigSecret {
  std::string name;
  std::string ns;
  std::string kubeconfig;       // key `config`
  std::string ca_pem;           // `certificate-authority`
  std::string client_cert_pem;  // `client-certificate` (O system:masters)
  std::string client_key_pem;   // `client-key`
  std::string token;            // `token`
};

// The apply configuration: an Opaque Secret with base64 data under vcluster's key names.
nlohmann::json KubeconfigSecretObject(const KubeconfigSecret& secret);

// One write: these keys into the existing Secret (its labels and other keys stay) or a new one.
// Get, create and update only: the chart's Role grants no patch.
boost::asio::awaitable<Status> WriteKubeconfigSecret(kube::KubeClient& host, const KubeconfigSecret& secret);

// Writes it (these keys into an existing Secret, whose labels and other keys stay: the chart
// creates it empty; else a new one) until the host accepts, backing off with jitter between tries
// and logging failures. Returns early when cancelled. Never blocks serving: run it as a tracked task.
boost::asio::awaitable<void> PublishKubeconfigSecret(std::shared_ptr<kube::KubeClient> host, KubeconfigSecret secret);

}  // namespace vkube::syncer
