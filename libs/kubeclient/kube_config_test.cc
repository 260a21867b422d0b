#include "libs/kubeclient/kube_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "libs/kubeclient/testing/vkube_process.h"
#include "libs/kubeclient/token_source.h"

namespace vkube::kube {
namespace {

using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// base64 of "CA-PEM", "CERT-PEM", "KEY-PEM"
constexpr const char* kInline = R"(apiVersion: v1
kind: Config
clusters:
- name: host
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: Q0EtUEVN
    tls-server-name: api.host.example
- name: other
  cluster:
    server: https://other:443
    insecure-skip-tls-verify: true
users:
- name: cert-user
  user:
    client-certificate-data: Q0VSVC1QRU0=
    client-key-data: S0VZLVBFTQ==
- name: token-user
  user:
    token: abc.def
contexts:
- name: main
  context:
    cluster: host
    user: cert-user
    namespace: team-a
- name: alt
  context:
    cluster: other
    user: token-user
current-context: main
)";

TEST(KubeConfigTest, InlineDataCurrentContext) {
  auto c = ParseKubeconfig(kInline, "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://10.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "CA-PEM");
  EXPECT_EQ(c->tls_server_name, "api.host.example");
  EXPECT_EQ(c->client_cert_pem, "CERT-PEM");
  EXPECT_EQ(c->client_key_pem, "KEY-PEM");
  EXPECT_EQ(c->default_namespace, "team-a");
  EXPECT_TRUE(c->token.empty());
  EXPECT_FALSE(c->insecure_skip_tls_verify);
}

TEST(KubeConfigTest, NamedContextTokenAndInsecure) {
  auto c = ParseKubeconfig(kInline, "", "alt");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://other:443");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->token, "abc.def");
  EXPECT_TRUE(c->ca_pem.empty());
  auto missing = ParseKubeconfig(kInline, "", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(ParseKubeconfig("{not yaml: [", "").ok());
  EXPECT_FALSE(ParseKubeconfig("current-context: x\n", "").ok());
}

TEST(KubeConfigTest, FileReferencesResolveAgainstTheKubeconfigDirectory) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/certs");
  Write(dir.path() + "/certs/ca.crt", "FILE-CA");
  Write(dir.path() + "/certs/client.crt", "FILE-CERT");
  Write(dir.path() + "/certs/client.key", "FILE-KEY");
  Write(dir.path() + "/token", "file-token\n");
  Write(dir.path() + "/config", R"(clusters:
- name: c
  cluster:
    server: https://[::1]:7443
    certificate-authority: certs/ca.crt
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: )" + dir.path() + R"(/certs/client.key
    tokenFile: token
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
)");
  auto c = LoadKubeconfigFile(dir.path() + "/config");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://[::1]:7443");
  EXPECT_EQ(c->ca_pem, "FILE-CA");
  EXPECT_EQ(c->client_cert_pem, "FILE-CERT");
  EXPECT_EQ(c->client_key_pem, "FILE-KEY");
  EXPECT_EQ(c->token_file, dir.path() + "/token");
  std::filesystem::remove(dir.path() + "/certs/ca.crt");
  auto broken = LoadKubeconfigFile(dir.path() + "/config");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kNotFound);
}

TEST(KubeConfigTest, InClusterServiceAccount) {
  TempDir dir;
  InClusterOptions o;
  o.service_account_dir = dir.path();
  o.host = "10.96.0.1";
  o.port = "443";
  auto none = LoadInClusterConfig(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  Write(dir.path() + "/token", "sa-token");
  Write(dir.path() + "/ca.crt", "SA-CA");
  Write(dir.path() + "/namespace", "team-b\n");
  auto c = LoadInClusterConfig(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->ca_pem, "SA-CA");
  EXPECT_EQ(c->token_file, dir.path() + "/token");
  EXPECT_EQ(c->default_namespace, "team-b");
  o.host = "fd00::1";
  EXPECT_EQ(LoadInClusterConfig(o)->server, "https://[fd00::1]:443");
  // From the environment, as in a pod.
  InClusterOptions env;
  env.service_account_dir = dir.path();
  setenv("KUBERNETES_SERVICE_HOST", "10.0.0.10", 1);
  setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  auto from_env = LoadInClusterConfig(env);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->server, "https://10.0.0.10:6443");
}

TEST(TokenSourceTest, FileTokenIsReReadAfterTheRefreshPeriod) {
  TempDir dir;
  const std::string path = dir.path() + "/token";
  Write(path, "one\n");
  TokenSource src("", path, std::chrono::milliseconds(100));
  EXPECT_EQ(src.Token(), "one");
  Write(path, "two");
  EXPECT_EQ(src.Token(), "one");  // cached
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(src.Token(), "two");
  std::filesystem::remove(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(src.Token(), "two");  // a failed re-read keeps the last good token
  TokenSource fixed("static", "", std::chrono::milliseconds(1));
  EXPECT_EQ(fixed.Token(), "static");
}

}  // namespace
}  // namespace vkube::kube
