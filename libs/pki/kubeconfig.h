#pragma once
// kubeconfig rendering (the format kubectl, helm and client-go read).
#include <string>

namespace vkube::pki {

struct KubeconfigSpec {
  std::string cluster_name = "vkube";
  std::string server;          // https://127.0.0.1:6443
  std::string ca_pem;
  std::string tls_server_name; // SNI to send when it differs from the server's host (tenant routing)
  std::string user = "kubernetes-admin";
  std::string token;           // bearer token user, or...
  std::string client_cert_pem; // ...client certificate user (when token is empty)
  std::string client_key_pem;
};

std::string RenderKubeconfig(const KubeconfigSpec& spec);

}  // namespace vkube::pki
