#include "src/options.h"

#include <gtest/gtest.h>

namespace vkube {
namespace {

TEST(Options, ParsesServeFlags) {
  auto c = ParseCommandLine(
      {"serve", "--data-dir", "/tmp/x", "--listen", "127.0.0.1:0", "--tls-san=a.example", "--threads", "2"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Command::Kind::kServe);
  EXPECT_EQ(c->serve.data_dir, "/tmp/x");
  EXPECT_EQ(c->serve.listen_port, 0);
  EXPECT_EQ(c->serve.tls_sans, std::vector<std::string>{"a.example"});
  EXPECT_EQ(c->serve.threads, 2u);
  EXPECT_TRUE(c->serve.fair_turns);
  auto fifo = ParseCommandLine({"serve", "--data-dir", "/tmp/x", "--no-fair-turns", "--threads", "1"});
  ASSERT_TRUE(fifo.ok());
  EXPECT_FALSE(fifo->serve.fair_turns);
  EXPECT_EQ(fifo->serve.threads, 1u);
}

TEST(Options, ParsesSyncerFlags) {
  auto c = ParseCommandLine({"serve", "--data-dir", "d", "--host-kubeconfig", "/h/admin.kubeconfig", "--host-namespace",
                             "team-a", "--host-dns=10.96.0.10", "--no-host-nodes"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->serve.host_kubeconfig, "/h/admin.kubeconfig");
  EXPECT_EQ(c->serve.host_namespace, "team-a");
  EXPECT_EQ(c->serve.host_dns, "10.96.0.10");
  EXPECT_FALSE(c->serve.host_nodes_read);
  EXPECT_EQ(c->serve.host_qps, 1000u);  // defaults sized for pod bursts
  auto limited = ParseCommandLine({"serve", "--data-dir", "d", "--host-kubeconfig", "k", "--host-namespace", "n",
                                   "--host-qps", "50", "--host-burst", "100"});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->serve.host_qps, 50u);
  EXPECT_EQ(limited->serve.host_burst, 100u);
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--host-kubeconfig", "k"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--host-namespace", "n"}).ok());
}

TEST(Options, ParsesEtcdStoreFlags) {
  auto c = ParseCommandLine({"serve", "--data-dir", "d", "--store=etcd", "--etcd-endpoints",
                             "https://10.0.0.1:2379,https://10.0.0.2:2379", "--etcd-prefix", "/vkube/x",
                             "--etcd-cafile", "ca.pem", "--etcd-certfile", "c.pem", "--etcd-keyfile", "k.pem"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->serve.store, "etcd");
  EXPECT_EQ(c->serve.etcd_endpoints, (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(c->serve.etcd_prefix, "/vkube/x");
  EXPECT_EQ(c->serve.etcd_key_file, "k.pem");
  EXPECT_EQ(ParseCommandLine({"serve", "--data-dir", "d"})->serve.store, "sqlite");
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--store", "etcd"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--store", "redis"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--etcd-endpoints", "http://e:2379"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--store=etcd", "--etcd-endpoints", "http://e:2379",
                                 "--etcd-certfile", "c.pem"})
                   .ok());
}

TEST(Options, ParsesKubeconfigSecretFlags) {
  auto c = ParseCommandLine({"serve", "--data-dir", "d", "--kubeconfig-secret=vc-team", "--kubeconfig-secret-namespace",
                             "team", "--kubeconfig-server", "https://team.example:443"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->serve.kubeconfig_secret, "vc-team");
  EXPECT_EQ(c->serve.kubeconfig_secret_namespace, "team");
  EXPECT_EQ(c->serve.kubeconfig_server, "https://team.example:443");
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--kubeconfig-secret", "vc"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--kubeconfig-secret", "vc",
                                 "--kubeconfig-secret-namespace", "n", "--default-tenant", ""})
                   .ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--kubeconfig-server", "http://x"}).ok());
}

TEST(Options, TenantRequestsNeedAHost) {
  auto c = ParseCommandLine({"serve", "--data-dir", "d", "--tenant-requests", "--host-kubeconfig", "in-cluster",
                             "--host-namespace", "vkube-system"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->serve.tenant_requests);
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d"})->serve.tenant_requests);
  auto alone = ParseCommandLine({"serve", "--data-dir", "d", "--tenant-requests"});
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.error().message.find("--host-kubeconfig"), std::string::npos);
}

TEST(Options, RejectsBadInput) {
  EXPECT_FALSE(ParseCommandLine({"serve"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--listen", "x:99999"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir", "d", "--bogus", "1"}).ok());
  EXPECT_FALSE(ParseCommandLine({"serve", "--data-dir"}).ok());
  EXPECT_FALSE(ParseCommandLine({"frobnicate"}).ok());
}

}  // namespace
}  // namespace vkube
