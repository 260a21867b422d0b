#include "libs/translate/name_translator.h"

#include <random>
#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace vkube::translate {
namespace {

const std::regex kDns1123Label("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

TEST(HostName, ShortNamesJoinWithX) {
  EXPECT_EQ(HostName("web-0", "default", "team-a"), "web-0-x-default-x-team-a");
  EXPECT_EQ(HostName("a", "b", "c").size(), 9u);
}

TEST(HostName, ExactlySixtyThreeIsKeptAndSixtyFourIsHashed) {
  std::string ns = "ns";
  std::string tenant = "t";
  std::string name63(63 - 3 - ns.size() - 3 - tenant.size(), 'a');
  EXPECT_EQ(HostName(name63, ns, tenant).size(), 63u);
  EXPECT_EQ(HostName(name63, ns, tenant), name63 + "-x-ns-x-t");
  std::string name64 = name63 + "b";
  const std::string full = name64 + "-x-ns-x-t";
  const std::string hashed = HostName(name64, ns, tenant);
  ASSERT_EQ(hashed.size(), 63u);
  EXPECT_EQ(hashed.substr(0, 52), full.substr(0, 52));
  EXPECT_EQ(hashed[52], '-');
  EXPECT_EQ(hashed.substr(53), HexSha256(full, 10));
}

TEST(HostName, KnownSha256) {
  EXPECT_EQ(HexSha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Property test: for random valid virtual names the host name is a DNS-1123 label of at most 63
// characters, deterministic, and distinct triples give distinct names.
TEST(HostName, RandomNamesAreValidDeterministicAndDistinct) {
  std::mt19937 rng(42);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
  auto label = [&](std::size_t max) {
    std::uniform_int_distribution<std::size_t> len(1, max);
    std::uniform_int_distribution<std::size_t> ch(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> alnum(0, alphabet.size() - 2);
    std::string s(len(rng), 'a');
    for (auto& c : s) c = alphabet[ch(rng)];
    s.front() = alphabet[alnum(rng)];
    s.back() = alphabet[alnum(rng)];
    return s;
  };
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  std::set<std::string> names;
  for (int i = 0; i < 20000; ++i) {
    auto t = std::make_tuple(label(i % 2 ? 63 : 12), label(i % 3 ? 20 : 63), label(20));
    if (!seen.insert(t).second) continue;
    const std::string h = HostName(std::get<0>(t), std::get<1>(t), std::get<2>(t));
    ASSERT_LE(h.size(), kMaxHostNameLength) << h;
    ASSERT_TRUE(std::regex_match(h, kDns1123Label)) << h;
    ASSERT_EQ(h, HostName(std::get<0>(t), std::get<1>(t), std::get<2>(t)));
    ASSERT_TRUE(names.insert(h).second) << "collision: " << h;
  }
}

TEST(Markers, TenantsCannotForgeReservedKeys) {
  StringMap labels{{"app", "web"}, {"vkube.dev/tenant", "other"}, {"vkube.dev/namespace", "kube-system"}};
  auto host = HostLabels(labels, "default", "team-a");
  EXPECT_EQ(host.at("app"), "web");
  EXPECT_EQ(host.at("vkube.dev/tenant"), "team-a");
  EXPECT_EQ(host.at("vkube.dev/namespace"), "default");
  EXPECT_EQ(host.at("vkube.dev/managed-by"), "vkube");

  StringMap ann{{"note", "x"}, {"vkube.dev/object-name", "forged"}};
  VirtualRef ref{"Pod", "default", "web", "uid-1"};
  auto host_ann = HostAnnotations(ann, ref);
  EXPECT_EQ(host_ann.at("vkube.dev/object-name"), "web");
  EXPECT_EQ(host_ann.at("note"), "x");

  auto parsed = ParseVirtualRef(host, host_ann, "team-a");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, ref);
  EXPECT_FALSE(ParseVirtualRef(host, host_ann, "team-b"));  // another tenant's object
  EXPECT_EQ(StripReserved(host), (StringMap{{"app", "web"}}));
}

TEST(Markers, SelectorsAreNarrowedToTheTenantNamespace) {
  auto sel = HostSelector({{"app", "web"}, {"vkube.dev/tenant", "x"}}, "prod", "team-a");
  EXPECT_EQ(sel, (StringMap{{"app", "web"}, {"vkube.dev/namespace", "prod"}, {"vkube.dev/tenant", "team-a"}}));
}

}  // namespace
}  // namespace vkube::translate
