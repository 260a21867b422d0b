#include "syncer/kubeconfig_secret.h"

#include <gtest/gtest.h>

namespace vkube::syncer {
namespace {

TEST(KubeconfigSecret, VclusterKeysBase64AndNothingElse) {
  KubeconfigSecret s{.name = "vc-team",
                     .ns = "team",
                     .kubeconfig = "apiVersion: v1\n",
                     .ca_pem = "CA",
                     .client_cert_pem = "CERT",
                     .client_key_pem = "KEY",
                     .token = "tok"};
  const nlohmann::json obj = KubeconfigSecretObject(s);
  EXPECT_EQ(obj["metadata"], (nlohmann::json{{"name", "vc-team"}, {"namespace", "team"}}));
  EXPECT_EQ(obj["type"], "Opaque");
  EXPECT_EQ(obj["data"], (nlohmann::json{{"config", "YXBpVmVyc2lvbjogdjEK"},
                                         {"certificate-authority", "Q0E="},
                                         {"client-certificate", "Q0VSVA=="},
                                         {"client-key", "S0VZ"},
                                         {"token", "dG9r"}}));
  s.token.clear();  // a kubeconfig with a client certificate only has no token key
  EXPECT_FALSE(KubeconfigSecretObject(s)["data"].contains("token"));
}

}  // namespace
}  // namespace vkube::syncer
