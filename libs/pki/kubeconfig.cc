#include "libs/pki/kubeconfig.h"

#include "libs/pki/credentials.h"

namespace vkube::pki {

std::string RenderKubeconfig(const KubeconfigSpec& s) {
  std::string user;
  if (!s.token.empty()) {
    user = "    token: " + s.token + "\n";
  } else {
    user = "    client-certificate-data: " + Base64(s.client_cert_pem) + "\n    client-key-data: " +
           Base64(s.client_key_pem) + "\n";
  }
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + s.cluster_name + "\n  cluster:\n    server: " + s.server +
         "\n    certificate-authority-data: " + Base64(s.ca_pem) +
         (s.tls_server_name.empty() ? "" : "\n    tls-server-name: " + s.tls_server_name) + "\nusers:\n- name: " + s.user + "\n  user:\n" + user +
         "contexts:\n- name: " + s.cluster_name + "\n  context:\n    cluster: " + s.cluster_name + "\n    user: " +
         s.user + "\ncurrent-context: " + s.cluster_name + "\npreferences: {}\n";
}

}  // namespace vkube::pki
