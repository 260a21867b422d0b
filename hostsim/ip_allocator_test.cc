#include "hostsim/ip_allocator.h"

#include <gtest/gtest.h>

#include <set>

namespace vkube::hostsim {
namespace {

TEST(IpAllocator, OneAddressPerPodFromTheNodeRange) {
  IpAllocator ips(2);
  EXPECT_EQ(ips.Allocate(1, "a"), "10.244.1.2");
  EXPECT_EQ(ips.Allocate(1, "a"), "10.244.1.2");  // same pod, same address
  EXPECT_EQ(ips.Allocate(1, "b"), "10.244.1.3");
  EXPECT_EQ(ips.Allocate(0, "c"), "10.244.0.2");
  ips.Release("a");
  EXPECT_EQ(ips.Allocate(1, "d"), "10.244.1.4");   // not reused at once
  EXPECT_FALSE(ips.Allocate(2, "e").has_value());  // no such node
  EXPECT_EQ(ips.InUse(1), 2u);
}

TEST(IpAllocator, ExhaustsAfter253AndReservesKnownAddresses) {
  IpAllocator ips(1);
  EXPECT_TRUE(ips.Reserve(0, "old", "10.244.0.7"));
  EXPECT_FALSE(ips.Reserve(0, "bad", "10.244.1.7"));
  EXPECT_FALSE(ips.Reserve(0, "bad", "10.244.0.255"));
  std::set<std::string> seen{"10.244.0.7"};
  for (int i = 0; i < 252; ++i) {
    auto ip = ips.Allocate(0, "p" + std::to_string(i));
    ASSERT_TRUE(ip.has_value()) << i;
    EXPECT_TRUE(seen.insert(*ip).second) << *ip;
  }
  EXPECT_FALSE(ips.Allocate(0, "one-too-many").has_value());
  ips.Release("p5");
  EXPECT_TRUE(ips.Allocate(0, "next").has_value());
}

}  // namespace
}  // namespace vkube::hostsim
