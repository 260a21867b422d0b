#include "libs/translate/event_translator.h"

#include <gtest/gtest.h>

namespace vkube::translate {
namespace {

using json = nlohmann::json;

TEST(EventTranslator, AboutTheVirtualPodInItsNamespaceWithTheTenantsNames) {
  const std::string hpod = HostName("web", "prod", "team-a");
  const json hev = {{"apiVersion", "v1"},
                    {"kind", "Event"},
                    {"metadata", {{"name", hpod + ".18a2b3c4d5e6f708"}, {"namespace", "tenants"}, {"uid", "h-ev"}}},
                    {"involvedObject",
                     {{"kind", "Pod"},
                      {"namespace", "tenants"},
                      {"name", hpod},
                      {"uid", "h-pod"},
                      {"fieldPath", "spec.containers{c}"}}},
                    {"reason", "Scheduled"},
                    {"message", "Successfully assigned tenants/" + hpod + " to node-1"},
                    {"type", "Normal"},
                    {"count", 1},
                    {"source", {{"component", "default-scheduler"}}}};
  const VirtualRef pod{"Pod", "prod", "web", "v-uid"};
  auto v = VirtualEvent(hev, "tenants", hpod, pod);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)["metadata"], (json{{"name", "web.18a2b3c4d5e6f708"}, {"namespace", "prod"}}));
  EXPECT_EQ((*v)["involvedObject"], (json{{"kind", "Pod"},
                                          {"apiVersion", "v1"},
                                          {"namespace", "prod"},
                                          {"name", "web"},
                                          {"uid", "v-uid"},
                                          {"fieldPath", "spec.containers{c}"}}));
  EXPECT_EQ((*v)["message"], "Successfully assigned prod/web to node-1");
  EXPECT_EQ((*v)["reason"], "Scheduled");
  EXPECT_EQ((*v)["source"]["component"], "default-scheduler");

  json other = hev;
  other["involvedObject"]["name"] = "someone-else";
  EXPECT_FALSE(VirtualEvent(other, "tenants", hpod, pod));
  EXPECT_FALSE(VirtualEvent(json::array(), "tenants", hpod, pod));
  json nameless = hev;
  nameless["metadata"]["name"] = "x.";
  EXPECT_FALSE(VirtualEvent(nameless, "tenants", hpod, pod));
}

}  // namespace
}  // namespace vkube::translate
