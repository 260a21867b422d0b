#include "syncer/tenant_requests/tenant_request_controller.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/core/log.h"
#include "libs/kubeclient/api_error.h"
#include "libs/resource/json_access.h"
#include "syncer/kubeconfig_secret.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
namespace jsonx = resource::jsonx;

namespace {

kube::ResourceRef ConfigMaps(const std::string& ns = "") { return kube::ResourceRef::Core("configmaps", ns); }

std::string KeyOf(const json& object) {
  return jsonx::Str(object, "metadata.namespace") + "/" + jsonx::Str(object, "metadata.name");
}

// Outside the coroutines: GCC 12 miscompiles brace-initialized string aggregates inside one.
tenancy::TenantSpec SpecFor(const TenantRequest& r) {
  return tenancy::TenantSpec{.host_namespace = r.host_namespace, .request = r.key, .request_uid = r.uid};
}

KubeconfigSecret SecretFor(const TenantRequest& r, const pki::Credentials& creds, const std::string& instance_ca,
                           const tenancy::TenantEndpoint& endpoint) {
  const auto route = r.server.empty() ? tenancy::RouteKind::kPath : tenancy::RouteKind::kAsGiven;
  return KubeconfigSecret{
      .name = r.kubeconfig_secret,
      .ns = r.host_namespace,
      .kubeconfig = tenancy::RenderTenantKubeconfig(r.tenant, creds, instance_ca, endpoint, route, r.server),
      .ca_pem = tenancy::TenantCaBundle(creds, instance_ca),
      .client_cert_pem = creds.admin.cert_pem,
      .client_key_pem = creds.admin.key_pem,
      .token = creds.admin_token};
}

}  // namespace

TenantRequestController::TenantRequestController(TenantRequestOptions options) : options_(std::move(options)) {
  // A few requests at once (tenant creation is mostly key generation, CPU-bound). One request is
  // never reconciled twice at once; two requests for one name are decided by TenantManager::Create
  // (the other retries, then sees the name taken).
  queue_ = std::make_shared<SyncQueue>(
      options_.executor, [this](std::string key) { return Reconcile(std::move(key)); },
      SyncQueueOptions{.max_workers = 4, .max_delay = std::chrono::seconds(30)});
  auto changed = [this](const kube::SharedObject& object) {
    const std::string key = KeyOf(*object);
    {
      std::lock_guard lock(mu_);
      requests_[key] = object;
    }
    queue_->Add(key);
  };
  kube::ReflectorHandlers handlers;
  handlers.on_add = changed;
  handlers.on_update = [changed](const kube::SharedObject&, const kube::SharedObject& object) { changed(object); };
  handlers.on_delete = [this](const kube::SharedObject& last) {
    const std::string key = KeyOf(*last);
    {
      std::lock_guard lock(mu_);
      requests_.erase(key);
    }
    queue_->Add(key);
  };
  handlers.on_synced = [this] {
    // Tenants whose request went while this instance was down (or before a re-list) are deleted
    // by reconciling their now-missing request.
    for (const auto& t : options_.tenants->List()) {
      if (!t.spec.request.empty() && !Lookup(t.spec.request)) queue_->Add(t.spec.request);
    }
    queue_->Start();
  };
  reflector_ = std::make_unique<kube::Reflector>(
      *options_.host, options_.host_executor,
      kube::ReflectorOptions{.resource = ConfigMaps(), .label_selector = std::string(kTenantRequestLabel) + "=true"},
      std::move(handlers));
}

TenantRequestController::~TenantRequestController() { Stop(); }

void TenantRequestController::Start() {
  reflector_->Start();
  resync_.Spawn(options_.host_executor, Resync());
}

void TenantRequestController::Stop() {
  std::call_once(stopped_, [this] {
    reflector_->Stop();
    resync_.Close();
    resync_.CancelAll();
    resync_.WaitEmptyBlocking(std::chrono::seconds(30));
    queue_->ShutDown();
  });
}

kube::SharedObject TenantRequestController::Lookup(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = requests_.find(key);
  return it == requests_.end() ? nullptr : it->second;
}

void TenantRequestController::RequeueAll() {
  // A freed tenant name may be what a conflicting request waits for.
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, _] : requests_) keys.push_back(key);
  }
  for (const auto& key : keys) queue_->Add(key);
}

asio::awaitable<void> TenantRequestController::Resync() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(options_.resync_period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // stopped
    RequeueAll();
  }
}

Result<bool> TenantRequestController::DeleteOwned(const std::string& key, const TenantRequest* keep) {
  bool deleted = false;
  for (const auto& t : options_.tenants->List()) {
    if (t.spec.request != key) continue;
    if (keep != nullptr && t.name == keep->tenant && t.spec.request_uid == keep->uid) continue;
    VKUBE_LOG(kInfo) << "tenant request " << key << ": deleting tenant " << t.name
                     << (keep != nullptr ? " (the request now names another)" : " (the request is gone)");
    // Blocks while the tenant stops and its host objects are removed (its syncer's cleanup).
    if (auto s = options_.tenants->Delete(t.name); !s && s.error().code != ErrorCode::kNotFound) {
      // Failed after the name was released (a store error): retrying would find nothing to
      // delete, and requests waiting for the name must still hear of it (a later tenant under
      // it starts empty: TenantManager::Create drops what is left).
      if (options_.tenants->Find(t.name)) return s.take_error();
      VKUBE_LOG(kWarn) << "tenant request " << key << ": tenant " << t.name << ": " << s.error().message;
    }
    VKUBE_LOG(kInfo) << "tenant request " << key << ": tenant " << t.name << " deleted";
    deleted = true;
  }
  return deleted;
}

asio::awaitable<SyncOutcome> TenantRequestController::Reconcile(std::string key) {
  const kube::SharedObject object = Lookup(key);
  std::optional<TenantRequest> request;
  if (object) {
    auto parsed = ParseTenantRequest(*object);
    if (!parsed) {
      // A typo in an upgrade must not destroy a running tenant: it stays until the request is fixed.
      VKUBE_LOG(kWarn) << "tenant request " << key << ": " << parsed.error().message;
      const std::string status = "Invalid: " + parsed.error().message;
      co_return co_await SetStatus(object, status);
    }
    request = std::move(*parsed);
  }
  auto deleted = DeleteOwned(key, request ? &*request : nullptr);
  if (!deleted) {
    VKUBE_LOG(kWarn) << "tenant request " << key << ": " << deleted.error().message << " (retrying)";
    co_return SyncOutcome::kRetry;
  }
  if (*deleted) RequeueAll();
  if (!request) co_return SyncOutcome::kDone;
  co_return co_await Serve(*request, object);
}

asio::awaitable<SyncOutcome> TenantRequestController::Serve(const TenantRequest& r, const kube::SharedObject& object) {
  tenancy::TenantManager& tenants = *options_.tenants;
  const auto existing = tenants.Find(r.tenant);
  if (existing && existing->spec.request != r.key) {
    // Never names who holds it: the other owner may be another team's namespace.
    const std::string status =
        "Conflict: tenant \"" + r.tenant + "\" already exists in this vkube instance; choose another name";
    co_return co_await SetStatus(object, status);
  }
  if (!existing) {
    // The namespace's consent: its release's RoleBinding grants this instance the syncer's Role.
    // A labelled ConfigMap made without it (anyone who may create ConfigMaps there) gets no tenant:
    // nothing of it could run, and it would cost this instance memory for nothing.
    if (Status granted = co_await CheckAccess(r.host_namespace); !granted) {
      if (queue_->Failures(r.key) == 0) {  // once, not on every retry
        VKUBE_LOG(kWarn) << "tenant request " << r.key << ": " << granted.error().message;
      }
      // Without the Role this annotation cannot be written either; with it, it says why.
      const std::string status = "Pending: " + granted.error().message;
      co_await SetStatus(object, status);
      co_return SyncOutcome::kRetry;
    }
    auto made = tenants.Create(r.tenant, SpecFor(r));
    if (!made) {
      const bool invalid = made.error().code == ErrorCode::kInvalid;
      const std::string status = (invalid ? "Invalid: " : "Pending: ") + made.error().message;
      co_await SetStatus(object, status);
      co_return invalid ? SyncOutcome::kDone : SyncOutcome::kRetry;
    }
    VKUBE_LOG(kInfo) << "tenant request " << r.key << ": tenant " << r.tenant << " created";
  }
  auto tenant = tenants.Acquire(r.tenant);
  if (!tenant) {
    const std::string status = "Pending: " + tenant.error().message;
    co_await SetStatus(object, status);
    co_return SyncOutcome::kRetry;
  }
  if (!r.kubeconfig_secret.empty()) {
    const KubeconfigSecret secret =
        SecretFor(r, (*tenant)->credentials(), tenants.platform().instance.ca.cert_pem, options_.endpoint);
    if (Status written = co_await WriteKubeconfigSecret(*options_.host, secret); !written) {
      VKUBE_LOG(kWarn) << "tenant request " << r.key << ": kubeconfig Secret: " << written.error().message;
      const std::string status = "Pending: kubeconfig Secret " + r.kubeconfig_secret + ": " + written.error().message;
      co_await SetStatus(object, status);
      co_return SyncOutcome::kRetry;
    }
  }
  const std::string ready = "Ready";
  co_return co_await SetStatus(object, ready);
}

asio::awaitable<Status> TenantRequestController::CheckAccess(const std::string& ns) {
  const kube::ResourceRef pods = kube::ResourceRef::Core("pods", ns);
  kube::ListOptions one;
  one.limit = 1;
  auto listed = co_await options_.host->List(pods, one);
  if (listed) co_return Status{};
  if (listed.error().code == ErrorCode::kForbidden) {
    co_return Error::Make(ErrorCode::kForbidden, "this vkube instance may not act in namespace " + ns +
                                                     ": install the tenant with the chart (mode: shared), whose Role"
                                                     " and RoleBinding grant it");
  }
  co_return listed.take_error();
}

asio::awaitable<SyncOutcome> TenantRequestController::SetStatus(const kube::SharedObject& object,
                                                                const std::string& status) {
  const json& annotations = jsonx::At(*object, "metadata.annotations");
  if (jsonx::Child(annotations, kTenantStatusAnnotation) == status) co_return SyncOutcome::kDone;
  json next = *object;  // its resourceVersion makes the update conditional on what was decided
  json* meta = jsonx::Object(next, "metadata");
  json* next_annotations = meta != nullptr ? jsonx::Object(*meta, "annotations") : nullptr;
  if (next_annotations == nullptr) co_return SyncOutcome::kDone;  // not a ConfigMap the host would serve
  (*next_annotations)[kTenantStatusAnnotation] = status.substr(0, 1024);
  const kube::ResourceRef ref = ConfigMaps(jsonx::Str(*object, "metadata.namespace"));
  const kube::WriteOptions write_options;
  auto updated = co_await options_.host->Update(ref, std::move(next), write_options);
  if (!updated && !kube::IsNotFound(updated.error())) {
    // A conflict means a newer request is on its way (its event re-queues it); forbidden: no Role
    // in that namespace (reported once by Serve); others back off.
    if (!kube::IsConflict(updated.error()) && updated.error().code != ErrorCode::kForbidden) {
      VKUBE_LOG(kWarn) << "tenant request " << KeyOf(*object) << ": status: " << updated.error().message;
    }
    co_return SyncOutcome::kRetry;
  }
  co_return SyncOutcome::kDone;
}

}  // namespace vkube::syncer
