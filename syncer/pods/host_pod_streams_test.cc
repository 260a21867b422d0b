#include "syncer/pods/host_pod_streams.h"

#include <gtest/gtest.h>

#include "libs/core/time.h"

namespace vkube::syncer {
namespace {

TEST(HostPodStreams, LogQueryCarriesEveryValidatedOption) {
  apiserver::PodLogOptions o;
  EXPECT_EQ(HostPodStreams::LogQuery(o), "");
  o.container = "side car";
  o.follow = true;
  o.previous = true;
  o.timestamps = true;
  o.tail_lines = 10;
  o.since_seconds = 60;
  o.limit_bytes = 4096;
  EXPECT_EQ(HostPodStreams::LogQuery(o),
            "?container=side%20car&follow=true&previous=true&timestamps=true&tailLines=10&sinceSeconds=60"
            "&limitBytes=4096");
}

}  // namespace
}  // namespace vkube::syncer
