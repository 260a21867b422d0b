#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "libs/pki/certificate_authority.h"
#include "libs/pki/client_cert_verifier.h"
#include "libs/pki/credentials.h"
#include "libs/pki/kubeconfig.h"

namespace vkube::pki {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/vkube-pki-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(Pki, ServingCertCarriesSans) {
  auto ca = CertificateAuthority::Create("test-ca");
  ASSERT_TRUE(ca.ok());
  auto kp = ca->Issue({"srv", {}, {"localhost", "example.test"}, {"127.0.0.1"}, true});
  ASSERT_TRUE(kp.ok());
  auto sans = SubjectAltNames(kp->cert_pem);
  EXPECT_EQ(sans, (std::vector<std::string>{"localhost", "example.test", "127.0.0.1"}));
}

TEST(Pki, LoadOrCreateReusesAndReissuesForNewSans) {
  std::string dir = TempDir();
  auto first = LoadOrCreate(dir, {});
  ASSERT_TRUE(first.ok());
  EXPECT_GE(first->admin_token.size(), 40u);
  auto second = LoadOrCreate(dir, {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->ca.cert_pem, second->ca.cert_pem);
  EXPECT_EQ(first->admin_token, second->admin_token);
  EXPECT_EQ(first->server.cert_pem, second->server.cert_pem);
  auto third = LoadOrCreate(dir, {"vkube.example.com"});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(first->ca.cert_pem, third->ca.cert_pem);
  EXPECT_NE(first->server.cert_pem, third->server.cert_pem);
  auto sans = SubjectAltNames(third->server.cert_pem);
  EXPECT_NE(std::find(sans.begin(), sans.end(), "vkube.example.com"), sans.end());
  EXPECT_EQ(std::filesystem::status(dir + "/pki/admin.key").permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  std::filesystem::remove_all(dir);
}

TEST(Pki, KubeconfigIsReadByKubectl) {
  std::string dir = TempDir();
  auto creds = LoadOrCreate(dir, {});
  ASSERT_TRUE(creds.ok());
  KubeconfigSpec spec;
  spec.server = "https://127.0.0.1:1234";
  spec.ca_pem = creds->ca.cert_pem;
  spec.token = creds->admin_token;
  ASSERT_TRUE(WriteFileAtomic(dir + "/k.yaml", RenderKubeconfig(spec), 0600).ok());
  std::string cmd = "kubectl config view --kubeconfig " + dir + "/k.yaml -o jsonpath='{.clusters[0].cluster.server}' > " +
                    dir + "/out 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(*ReadFile(dir + "/out"), "https://127.0.0.1:1234");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vkube::pki

namespace vkube::pki {
namespace {

TEST(ClientCertVerifier, AcceptsOnlyItsOwnCaClientCertificates) {
  auto a = CertificateAuthority::Create("tenant-a");
  auto b = CertificateAuthority::Create("tenant-b");
  ASSERT_TRUE(a.ok() && b.ok());
  auto verifier = ClientCertVerifier::Create(a->pem().cert_pem);
  ASSERT_TRUE(verifier.ok());
  auto alice = a->Issue({"alice", {"dev", "ops"}, {}, {}, false});
  auto mallory = b->Issue({"alice", {"system:masters"}, {}, {}, false});
  auto server = a->Issue({"srv", {}, {"localhost"}, {}, true});
  ASSERT_TRUE(alice.ok() && mallory.ok() && server.ok());

  auto id = (*verifier)->Verify(CertificateDer(alice->cert_pem));
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->user, "alice");
  EXPECT_EQ(id->groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ((*verifier)->Verify(CertificateDer(mallory->cert_pem)).error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ((*verifier)->Verify(CertificateDer(server->cert_pem)).error().code, ErrorCode::kUnauthorized);  // serverAuth only
  EXPECT_EQ((*verifier)->Verify("not a certificate").error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ((*verifier)->Verify("").error().code, ErrorCode::kUnauthorized);
  EXPECT_FALSE(ClientCertVerifier::Create("garbage").ok());
}

}  // namespace
}  // namespace vkube::pki
