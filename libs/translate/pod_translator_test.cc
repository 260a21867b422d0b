#include "libs/translate/pod_translator.h"

#include <gtest/gtest.h>

#include "libs/translate/name_translator.h"

namespace vkube::translate {
namespace {

using json = nlohmann::json;

json VirtualPod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "prod", "uid": "u-1",
                 "labels": {"app": "web", "vkube.dev/tenant": "evil"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"}},
    "spec": {
      "serviceAccountName": "builder", "priorityClassName": "high", "subdomain": "svc",
      "imagePullSecrets": [{"name": "regcred"}],
      "containers": [{"name": "app", "image": "nginx:1.25",
        "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "b"}}},
                {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "envFrom": [{"configMapRef": {"name": "env-cfg"}}, {"secretRef": {"name": "env-sec"}}],
        "volumeMounts": [{"name": "conf", "mountPath": "/c"}, {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
      "volumes": [
        {"name": "conf", "configMap": {"name": "cfg"}},
        {"name": "tls", "secret": {"secretName": "tls"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "mixed", "projected": {"sources": [{"configMap": {"name": "proj-cm"}}, {"secret": {"name": "proj-sec"}},
                                                    {"serviceAccountToken": {"path": "token"}}]}},
        {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        {"name": "info", "downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}
      ]
    }
  })");
}

const PodTranslateOptions kOpts{.tenant = "team-a", .host_namespace = "host-ns"};

TEST(PodTranslator, ReferencesAreCollected) {
  auto refs = ReferencesOf(VirtualPod());
  EXPECT_EQ(refs.configmaps, (std::set<std::string>{"cfg", "env-cfg", "proj-cm"}));
  EXPECT_EQ(refs.secrets, (std::set<std::string>{"creds", "env-sec", "proj-sec", "regcred", "tls"}));
  EXPECT_EQ(refs.pvcs, (std::set<std::string>{"data"}));
}

TEST(PodTranslator, IdentityAndMarkers) {
  json h = TranslatePod(VirtualPod(), kOpts);
  EXPECT_EQ(h["metadata"]["name"], "web-x-prod-x-team-a");
  EXPECT_EQ(h["metadata"]["namespace"], "host-ns");
  EXPECT_EQ(h["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(h["metadata"]["labels"]["vkube.dev/tenant"], "team-a");  // not the forged value
  EXPECT_EQ(h["metadata"]["annotations"]["vkube.dev/object-uid"], "u-1");
  EXPECT_EQ(h["metadata"]["annotations"]["team"], "a");
  EXPECT_FALSE(h["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_FALSE(h.contains("status"));
}

// A shared instance's requested tenant: every host object is owned by the request ConfigMap.
TEST(PodTranslator, HostOwnerGoesOnEveryHostObject) {
  EXPECT_FALSE(TranslatePod(VirtualPod(), kOpts)["metadata"].contains("ownerReferences"));
  PodTranslateOptions o = kOpts;
  o.host_owner = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "t-tenant"}, {"uid", "u-req"}};
  EXPECT_EQ(TranslatePod(VirtualPod(), o)["metadata"]["ownerReferences"], json::array({o.host_owner}));
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cfg"}, {"namespace", "prod"}}}};
  EXPECT_EQ(TranslateDependent(cm, o)["metadata"]["ownerReferences"], json::array({o.host_owner}));
}

TEST(PodTranslator, ReferencesPointAtHostCopies) {
  json h = TranslatePod(VirtualPod(), kOpts);
  const json& c = h["spec"]["containers"][0];
  EXPECT_EQ(c["env"][0]["valueFrom"]["configMapKeyRef"]["name"], HostName("cfg", "prod", "team-a"));
  EXPECT_EQ(c["env"][1]["valueFrom"]["secretKeyRef"]["name"], HostName("creds", "prod", "team-a"));
  EXPECT_EQ(c["envFrom"][0]["configMapRef"]["name"], "env-cfg-x-prod-x-team-a");
  EXPECT_EQ(h["spec"]["imagePullSecrets"][0]["name"], "regcred-x-prod-x-team-a");
  EXPECT_EQ(h["spec"]["volumes"][0]["configMap"]["name"], "cfg-x-prod-x-team-a");
  EXPECT_EQ(h["spec"]["volumes"][1]["secret"]["secretName"], "tls-x-prod-x-team-a");
  EXPECT_EQ(h["spec"]["volumes"][2]["persistentVolumeClaim"]["claimName"], "data-x-prod-x-team-a");
  EXPECT_EQ(h["spec"]["volumes"][3]["projected"]["sources"][0]["configMap"]["name"], "proj-cm-x-prod-x-team-a");
}

TEST(PodTranslator, DownwardApiSeesTheVirtualIdentity) {
  json h = TranslatePod(VirtualPod(), kOpts);
  const json& env = h["spec"]["containers"][0]["env"];
  EXPECT_EQ(env[2]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.annotations['vkube.dev/object-name']");
  EXPECT_EQ(env[3]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");  // host node = tenant's node
  EXPECT_EQ(h["spec"]["volumes"].back()["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"],
            "metadata.annotations['vkube.dev/object-namespace']");
}

TEST(PodTranslator, NoHostCredentialsOrHostOnlyFields) {
  json h = TranslatePod(VirtualPod(), kOpts);
  const json& spec = h["spec"];
  EXPECT_FALSE(spec.contains("serviceAccountName"));
  EXPECT_FALSE(spec.contains("priorityClassName"));
  EXPECT_FALSE(spec.contains("subdomain"));
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["enableServiceLinks"], false);
  EXPECT_EQ(spec["hostname"], "web");
  // Each projected token (the host's, were it left alone) reads the tenant's token from the pod's
  // token Secret instead; the other sources stay.
  const std::string secret = "web-x-prod-x-team-a.sa-token";
  const json& mixed = spec["volumes"][3]["projected"]["sources"];
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_EQ(mixed[2],
            json::parse(R"({"secret":{"name":")" + secret + R"(","items":[{"key":"token","path":"token"}]}})"));
  const json& access = spec["volumes"][4]["projected"]["sources"];
  EXPECT_EQ(access[0]["secret"]["items"][0]["key"], "token-1");
  EXPECT_EQ(spec["containers"][0]["volumeMounts"].size(), 2u);
  // Without an API address the kubelet's environment is left alone.
  EXPECT_FALSE(spec["containers"][0]["env"].dump().find("KUBERNETES_SERVICE_HOST") != std::string::npos);
}

TEST(PodTranslator, TokenProjectionsAndApiAddress) {
  auto tokens = ServiceAccountTokensOf(VirtualPod());
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].key, "token");
  EXPECT_EQ(tokens[1].key, "token-1");
  EXPECT_EQ(tokens[0].expiration_seconds, 3600);
  EXPECT_EQ(TokenSecretName("p-x-ns-x-t"), "p-x-ns-x-t.sa-token");

  auto o = kOpts;
  o.api_host = "vkube.team-a.svc";
  json pod = VirtualPod();
  pod["spec"]["containers"][0]["env"].push_back({{"name", "KUBERNETES_SERVICE_HOST"}, {"value", "10.0.0.1"}});
  json h = TranslatePod(pod, o);
  std::map<std::string, std::string> env;
  for (const auto& e : h["spec"]["containers"][0]["env"]) {
    if (e.contains("value")) env[e["name"].get<std::string>()] = e["value"].get<std::string>();
  }
  EXPECT_EQ(env["KUBERNETES_SERVICE_HOST"], "10.0.0.1");  // what the tenant set itself stays
  EXPECT_EQ(env["KUBERNETES_SERVICE_PORT"], "443");
  EXPECT_EQ(env["KUBERNETES_PORT"], "tcp://vkube.team-a.svc:443");
  EXPECT_EQ(h["spec"]["containers"][0]["env"].size(), 5u + 7u);  // its own five kept
}

TEST(PodTranslator, TenantDnsWhenConfigured) {
  auto o = kOpts;
  o.dns_server = "10.96.0.53";
  json h = TranslatePod(VirtualPod(), o);
  EXPECT_EQ(h["spec"]["dnsPolicy"], "None");
  EXPECT_EQ(h["spec"]["dnsConfig"]["nameservers"][0], "10.96.0.53");
  EXPECT_EQ(h["spec"]["dnsConfig"]["searches"][0], "prod.svc.cluster.local");
  EXPECT_FALSE(TranslatePod(VirtualPod(), kOpts)["spec"].contains("dnsConfig"));
}

TEST(PodTranslator, OnlyMutableFieldsAreUpdated) {
  json desired = TranslatePod(VirtualPod(), kOpts);
  json current = desired;
  current["spec"]["nodeName"] = "node-1";
  current["status"] = {{"phase", "Running"}};
  EXPECT_FALSE(UpdatedHostPod(current, desired));
  desired["spec"]["containers"][0]["image"] = "nginx:1.26";
  desired["metadata"]["labels"]["tier"] = "front";
  auto next = UpdatedHostPod(current, desired);
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)["spec"]["containers"][0]["image"], "nginx:1.26");
  EXPECT_EQ((*next)["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ((*next)["spec"]["nodeName"], "node-1");
}

// The syncer's cheap form decides exactly as the full translation.
TEST(PodTranslator, MutableFieldsAloneDecideAsTheFullTranslation) {
  json vpod = VirtualPod();
  json running = TranslatePod(vpod, kOpts);
  running["spec"]["nodeName"] = "node-1";
  EXPECT_FALSE(UpdatedHostPod(running, TranslateMutablePodFields(vpod, kOpts)));
  vpod["spec"]["containers"][0]["image"] = "nginx:1.27";
  vpod["spec"]["activeDeadlineSeconds"] = 30;
  vpod["metadata"]["labels"]["tier"] = "back";
  vpod["metadata"]["annotations"]["note"] = "x";
  auto cheap = UpdatedHostPod(running, TranslateMutablePodFields(vpod, kOpts));
  ASSERT_TRUE(cheap);
  EXPECT_EQ(*cheap, *UpdatedHostPod(running, TranslatePod(vpod, kOpts)));
}

TEST(PodTranslator, DependentsKeepDataAndTranslateIdentity) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "cfg"}, {"namespace", "prod"}, {"uid", "u-2"}}},
             {"data", {{"a", "1"}}}};
  json h = TranslateDependent(cm, kOpts);
  EXPECT_EQ(h["metadata"]["name"], "cfg-x-prod-x-team-a");
  EXPECT_EQ(h["data"]["a"], "1");
  EXPECT_EQ(h["metadata"]["annotations"]["vkube.dev/object-kind"], "ConfigMap");
  json token = {{"apiVersion", "v1"},
                {"kind", "Secret"},
                {"type", "kubernetes.io/service-account-token"},
                {"metadata", {{"name", "t"}, {"namespace", "prod"}}},
                {"data", {{"token", "eA=="}}}};
  EXPECT_EQ(TranslateDependent(token, kOpts)["type"], "Opaque");
  json pvc = {{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"metadata", {{"name", "data"}, {"namespace", "prod"}}},
              {"spec", {{"volumeName", "pv-1"}, {"accessModes", {"ReadWriteOnce"}}}}};
  json hp = TranslateDependent(pvc, kOpts);
  EXPECT_FALSE(hp["spec"].contains("volumeName"));
  EXPECT_EQ(hp["spec"]["accessModes"][0], "ReadWriteOnce");
}

TEST(PodTranslator, MalformedInputNeverThrows) {
  for (const char* text : {R"({})", R"({"spec": []})", R"({"spec": {"volumes": [1, {"projected": 3}]}})",
                           R"({"metadata": 5, "spec": {"containers": [{"env": [{"valueFrom": 1}]}]}})"}) {
    json p = json::parse(text);
    EXPECT_NO_THROW({
      (void)ReferencesOf(p);
      (void)TranslatePod(p, kOpts);
    }) << text;
  }
}

}  // namespace
}  // namespace vkube::translate
