#include "syncer/pods/pod_token_secret.h"

#include <algorithm>

#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/kubeclient/api_error.h"
#include "libs/pki/credentials.h"
#include "libs/registry/service_account_token.h"
#include "libs/resource/json_access.h"
#include "libs/translate/name_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

namespace {

// When the Secret's tokens are due for renewal (kubelet renews at 80% of a token's life).
constexpr std::string_view kRefreshAnnotation = "vkube.dev/token-refresh-after";
// A pod that sees no event for this long is looked at again anyway (tokens of a year's life).
constexpr std::chrono::hours kMaxRecheck{12};

}  // namespace

asio::awaitable<SyncOutcome> PodTokenSecret::Ensure(const json& vpod) {
  const auto tokens = translate::ServiceAccountTokensOf(vpod);
  if (tokens.empty() || !ctx_.virt.service_account_tokens) co_return SyncOutcome::kDone;
  const std::string ns = Str(vpod, "metadata.namespace");
  const std::string name = Str(vpod, "metadata.name");
  const std::string vuid = Str(vpod, "metadata.uid");
  const std::string secret_name = translate::TokenSecretName(translate::HostName(name, ns, ctx_.tenant));
  const std::string key = SyncKey("pods", ns, name);
  const auto now = std::chrono::system_clock::now();
  auto recheck = [&](std::chrono::system_clock::time_point at) {
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
    if (ctx_.enqueue_after)
      ctx_.enqueue_after(key, std::clamp<std::chrono::milliseconds>(delay, std::chrono::seconds(1), kMaxRecheck));
  };
  const kube::SharedObject existing = ctx_.cache->Get("secrets", secret_name);
  if (existing && AnnotationOf(*existing, translate::kUidAnnotation) == vuid) {
    auto refresh = ParseRfc3339(AnnotationOf(*existing, kRefreshAnnotation));
    if (refresh && now < *refresh) {
      if (*refresh - now < kMaxRecheck) recheck(*refresh);  // (a longer wait is set when it is written)
      co_return SyncOutcome::kDone;
    }
  }
  std::string sa = Str(vpod, "spec.serviceAccountName");
  if (sa.empty()) sa = "default";
  json data = json::object();
  auto refresh_at = std::chrono::system_clock::time_point::max();
  for (const auto& t : tokens) {
    registry::TokenRequestSpec spec;
    if (!t.audience.empty()) spec.audiences.push_back(t.audience);
    spec.expiration_seconds = std::max<std::int64_t>(t.expiration_seconds, 600);
    spec.bound_kind = "Pod";
    spec.bound_name = name;
    spec.bound_uid = vuid;
    auto issued = registry::IssueServiceAccountToken(ctx_.virt.objects->store(), *ctx_.virt.service_account_tokens, ns,
                                                     sa, spec, now);
    if (!issued) {
      // The account may not exist yet (the default one comes just after its namespace); a pod
      // that is gone or re-created is the next event's business.
      if (issued.error().code == ErrorCode::kConflict) co_return SyncOutcome::kDone;
      VKUBE_LOG(kDebug) << "syncer " << ctx_.tenant << ": token for " << ns << "/" << name << ": "
                        << issued.error().message;
      co_return SyncOutcome::kRetry;
    }
    data[t.key] = pki::Base64(issued->token);
    refresh_at = std::min(refresh_at, now + (issued->expires_at - now) * 4 / 5);
  }
  json labels = json::object();
  for (const auto& [k, v] : translate::HostLabels({}, ns, ctx_.tenant)) labels[k] = v;
  json annotations = json::object();
  for (const auto& [k, v] : translate::HostAnnotations({}, translate::VirtualRef{"Pod", ns, name, vuid}))
    annotations[k] = v;
  annotations[std::string(kRefreshAnnotation)] = FormatRfc3339(refresh_at);
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "Opaque"},
                 {"metadata",
                  {{"name", secret_name},
                   {"namespace", ctx_.host_namespace},
                   {"labels", std::move(labels)},
                   {"annotations", std::move(annotations)}}},
                 {"data", std::move(data)}};
  if (ctx_.translate.host_owner.is_object()) secret["metadata"]["ownerReferences"] = json::array({ctx_.translate.host_owner});
  const kube::ResourceRef ref = kube::ResourceRef::Core("secrets", ctx_.host_namespace);
  const kube::WriteOptions wo;
  Status written;
  if (existing) {
    secret["metadata"]["resourceVersion"] = Str(*existing, "metadata.resourceVersion");
    auto res = co_await ctx_.host->Update(ref, std::move(secret), wo);
    if (!res) written = res.take_error();
  } else {
    auto res = co_await ctx_.host->Create(ref, std::move(secret), wo);
    if (!res) written = res.take_error();
  }
  if (!written) co_return SyncOutcome::kRetry;  // a conflict or a racing create: the cache catches up
  recheck(refresh_at);
  co_return SyncOutcome::kDone;
}

asio::awaitable<SyncOutcome> PodTokenSecret::Remove(const std::string& host_pod_name) {
  const std::string secret_name = translate::TokenSecretName(host_pod_name);
  const kube::SharedObject existing = ctx_.cache->Get("secrets", secret_name);
  if (!existing) co_return SyncOutcome::kDone;
  const std::string resource = "secrets";
  co_return co_await DeleteHostCopy(ctx_, resource, *existing);
}

}  // namespace vkube::syncer
