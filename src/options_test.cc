#include "src/options.h"

#include <gtest/gtest.h>

namespace vkube {
namespace {

TEST(Options, ParsesServeFlags) {
  auto c = ParseCommandLine({"serve", "--data-dir", "/tmp/x", "--listen", "127.0.0.1:0", "--tls-san=a.example",
                             "--threads", "2"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Command::Kind::kServe);
  EXPECT_EQ(c->serve.data_dir, "/tmp/x");
  EXPECT_EQ(c->serve.listen_port, 0);
  EXPECT_EQ(c->serve.tls_sans, std::vector<std::string>{"a.example"});
  EXPECT_EQ(c->serve.threads, 2u);
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
