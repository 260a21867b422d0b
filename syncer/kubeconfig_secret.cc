#include "syncer/kubeconfig_secret.h"

#include "libs/core/log.h"
#include "libs/kubeclient/api_error.h"
#include "libs/kubeclient/backoff.h"
#include "libs/pki/credentials.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;

json KubeconfigSecretObject(const KubeconfigSecret& secret) {
  json data = json::object();
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) data[key] = pki::Base64(value);
  };
  put("config", secret.kubeconfig);
  put("certificate-authority", secret.ca_pem);
  put("client-certificate", secret.client_cert_pem);
  put("client-key", secret.client_key_pem);
  put("token", secret.token);
  return json{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", secret.name}, {"namespace", secret.ns}}},
              {"type", "Opaque"},
              {"data", std::move(data)}};
}

asio::awaitable<Status> WriteKubeconfigSecret(kube::KubeClient& host, const KubeconfigSecret& secret) {
  const json wanted = KubeconfigSecretObject(secret);
  const kube::ResourceRef ref = kube::ResourceRef::Core("secrets", secret.ns);
  const kube::GetOptions get_options;
  const kube::WriteOptions write_options;
  auto current = co_await host.Get(ref, secret.name, get_options);
  if (!current) {
    if (!kube::IsNotFound(current.error())) co_return current.take_error();
    auto created = co_await host.Create(ref, wanted, write_options);
    if (!created) co_return created.take_error();
    co_return Status{};
  }
  json next = *current;
  if (!next["data"].is_object()) next["data"] = json::object();
  for (const auto& [key, value] : wanted["data"].items()) next["data"][key] = value;
  if (next == *current) co_return Status{};  // a restart with the same credentials writes nothing
  auto updated = co_await host.Update(ref, std::move(next), write_options);
  if (!updated) co_return updated.take_error();
  co_return Status{};
}

asio::awaitable<void> PublishKubeconfigSecret(std::shared_ptr<kube::KubeClient> host, KubeconfigSecret secret) {
  kube::Backoff backoff;
  for (int attempt = 1;; ++attempt) {
    Status written = co_await WriteKubeconfigSecret(*host, secret);
    if (written) {
      VKUBE_LOG(kInfo) << "kubeconfig secret " << secret.ns << "/" << secret.name << " written";
      co_return;
    }
    // The first failure and then every tenth: a missing RBAC grant should be visible, not spam.
    if (attempt == 1 || attempt % 10 == 0) {
      VKUBE_LOG(kWarn) << "kubeconfig secret " << secret.ns << "/" << secret.name << ": " << written.error().message
                       << " (attempt " << attempt << ", retrying)";
    }
    if (!co_await backoff.Sleep()) co_return;
  }
}

}  // namespace vkube::syncer
