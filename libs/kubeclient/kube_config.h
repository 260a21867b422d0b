#pragma once
// Where the host API is and how to authenticate to it: from a kubeconfig file (the subset
// client-go's clientcmd honours for a cluster + user) or from a pod's service account
// (rest.InClusterConfig). Pure data plus loaders; nothing here opens a connection.
#include <chrono>
#include <string>
#include <string_view>

#include "libs/core/result.h"

namespace vkube::kube {

struct KubeConfig {
  std::string server;  // https://host[:port]
  std::string ca_pem;  // trust anchors; empty = the system's roots
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI and the name the certificate must carry, when not the host
  std::string client_cert_pem;  // client certificate authentication ...
  std::string client_key_pem;
  std::string token;              // ... or a bearer token
  std::string token_file;         // ... or a bearer token re-read from this file (rotated tokens)
  std::string default_namespace;  // context namespace / the pod's namespace ("" if unknown)
};

// Parses kubeconfig YAML. `context` "" = current-context. Relative file references resolve
// against `base_dir` (the kubeconfig's directory, as client-go does).
Result<KubeConfig> ParseKubeconfig(std::string_view yaml, const std::string& base_dir, const std::string& context = "");
Result<KubeConfig> LoadKubeconfigFile(const std::string& path, const std::string& context = "");

struct InClusterOptions {
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Read from the environment when empty (KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT).
  std::string host;
  std::string port;
};
// kNotFound when not running in a pod (no service host in the environment or no token).
Result<KubeConfig> LoadInClusterConfig(const InClusterOptions& options = {});

}  // namespace vkube::kube
