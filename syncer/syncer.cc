#include "syncer/syncer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libs/core/log.h"
#include "libs/translate/name_translator.h"
#include "syncer/dependents/dependent_syncer.h"
#include "syncer/endpoints/endpoints_syncer.h"
#include "syncer/events/event_syncer.h"
#include "syncer/nodes/node_syncer.h"
#include "syncer/pods/pod_syncer.h"
#include "syncer/services/service_syncer.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;

// The syncer as one of the tenant's controllers (the manager owns this; the syncer is shared
// with the tenant's add-on stop hook).
class SyncerController final : public controllers::Controller {
 public:
  SyncerController(std::shared_ptr<Syncer> syncer, controllers::ControllerContext ctx)
      : syncer_(std::move(syncer)), ctx_(std::move(ctx)) {}
  std::string_view name() const override { return "syncer"; }
  void Register(controllers::SharedInformer& informer) override { syncer_->Register(ctx_, informer); }
  void Start() override { syncer_->Start(); }
  void Stop() override { syncer_->Stop(); }

 private:
  std::shared_ptr<Syncer> syncer_;
  controllers::ControllerContext ctx_;
};

Syncer::Syncer(SyncerOptions options) : options_(std::move(options)) {
  ctx_.tenant = options_.tenant;
  ctx_.host_namespace = options_.host_namespace;
  ctx_.translate = translate::PodTranslateOptions{
      .tenant = options_.tenant,
      .host_namespace = options_.host_namespace,
      .dns_server = options_.dns_server,
      .api_host = options_.api_host,
      .api_port = options_.api_port,
      .host_owner = options_.host_owner};
  ctx_.host = options_.host.get();
}

Syncer::~Syncer() { Stop(); }

std::unique_ptr<controllers::Controller> Syncer::MakeController(const controllers::ControllerContext& ctx) {
  return std::make_unique<SyncerController>(shared_from_this(), ctx);
}

void Syncer::Register(const controllers::ControllerContext& vctx, controllers::SharedInformer& informer) {
  ctx_.virt = vctx;
  std::weak_ptr<Syncer> weak = weak_from_this();
  auto process = [weak](std::string key) -> asio::awaitable<SyncOutcome> {
    auto self = weak.lock();
    if (!self) co_return SyncOutcome::kDone;
    co_return co_await self->Process(std::move(key));
  };
  const asio::any_io_executor executor = options_.executor ? options_.executor : vctx.executor;
  queue_ = std::make_shared<SyncQueue>(executor, process, options_.queue);
  SyncQueueOptions background = options_.queue;
  background.max_workers = 2;
  background_ = std::make_shared<SyncQueue>(executor, process, background);
  ctx_.enqueue = [q = queue_.get(), b = background_.get()](const std::string& key) {
    (key.starts_with("events/") ? b : q)->Add(key);
  };
  ctx_.enqueue_after = [q = queue_.get()](const std::string& key, std::chrono::milliseconds delay) {
    q->AddAfter(key, delay);
  };
  cache_ = std::make_unique<HostCache>(
      *options_.host, options_.host_executor,
      [this](const std::string& r, const json* o, const json* n) { OnHostChange(r, o, n); });
  ctx_.cache = cache_.get();
  const std::string selector = std::string(translate::kTenantLabel) + "=" + options_.tenant + "," +
                               std::string(translate::kManagedByLabel) + "=" + std::string(translate::kManagedByValue);
  for (const char* r : {"pods", "configmaps", "secrets", "persistentvolumeclaims", "services", "endpoints"}) {
    cache_->Follow(r, kube::ResourceRef::Core(r, options_.host_namespace), selector);
  }
  cache_->Observe("events", kube::ResourceRef::Core("events", options_.host_namespace));
  if (options_.follow_host_nodes) cache_->Follow("nodes", kube::ResourceRef::Core("nodes"), "", /*required=*/false);

  auto configmaps = std::make_unique<DependentSyncer>(ctx_, "configmaps");
  auto secrets = std::make_unique<DependentSyncer>(ctx_, "secrets");
  auto pvcs = std::make_unique<DependentSyncer>(ctx_, "persistentvolumeclaims");
  std::map<std::string, DependentSyncer*> deps{
      {"configmaps", configmaps.get()}, {"secrets", secrets.get()}, {"persistentvolumeclaims", pvcs.get()}};
  auto ensure = [deps](std::string resource, std::string ns, std::string name) -> asio::awaitable<Status> {
    auto it = deps.find(resource);
    if (it == deps.end()) co_return Status{};
    co_return co_await it->second->Ensure(std::move(ns), std::move(name));
  };
  kinds_.push_back(std::make_unique<PodSyncer>(ctx_, ensure));
  kinds_.push_back(std::move(configmaps));
  kinds_.push_back(std::move(secrets));
  kinds_.push_back(std::move(pvcs));
  kinds_.push_back(std::make_unique<ServiceSyncer>(ctx_));
  kinds_.push_back(std::make_unique<EndpointsSyncer>(ctx_));
  kinds_.push_back(std::make_unique<EventSyncer>(ctx_, options_.event_qps, options_.event_burst));
  kinds_.push_back(std::make_unique<NodeSyncer>(ctx_, options_.follow_host_nodes));
  for (auto& k : kinds_) k->Register(informer);
}

void Syncer::Start() {
  if (!cache_) return;
  VKUBE_LOG(kInfo) << "syncer " << options_.tenant << ": following host namespace " << options_.host_namespace;
  cache_->Start();
  tasks_.Spawn(ctx_.virt.executor, WaitForCachesThenRun());
}

asio::awaitable<void> Syncer::WaitForCachesThenRun() {
  // Nothing is decided from a partial view of the host: "absent on the host" must mean absent.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!cache_->Synced()) {
    if (stopped_) co_return;
    timer.expires_after(std::chrono::milliseconds(20));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
  for (auto& k : kinds_) {
    for (const auto& key : k->AllKeys()) ctx_.enqueue(key);
  }
  synced_ = true;
  queue_->Start();
  background_->Start();
  VKUBE_LOG(kInfo) << "syncer " << options_.tenant << ": host namespace " << options_.host_namespace << " in sync";
}

void Syncer::Stop() {
  if (stopped_.exchange(true)) return;
  tasks_.Close();
  tasks_.CancelAll();
  tasks_.WaitEmptyBlocking(std::chrono::seconds(30));
  if (cache_) cache_->Stop();
  if (queue_) queue_->ShutDown();
  if (background_) background_->ShutDown();
}

SyncerStats Syncer::stats() const {
  SyncerStats s;
  s.queued = queue_ ? queue_->Len() : 0;
  s.host_pods = cache_ ? cache_->Size("pods") : 0;
  s.synced = synced_;
  return s;
}

void Syncer::OnHostChange(const std::string& resource, const json* old_obj, const json* obj) {
  for (auto& k : kinds_) k->OnHostChange(resource, old_obj, obj);
}

asio::awaitable<SyncOutcome> Syncer::Process(std::string key) {
  // "resource/namespace/name" (namespace empty for nodes).
  const auto first = key.find('/');
  const auto second = first == std::string::npos ? std::string::npos : key.find('/', first + 1);
  if (second == std::string::npos) co_return SyncOutcome::kDone;
  const std::string resource = key.substr(0, first);
  for (auto& k : kinds_) {
    if (k->resource() != resource) continue;
    co_return co_await k->Reconcile(key.substr(first + 1, second - first - 1), key.substr(second + 1));
  }
  co_return SyncOutcome::kDone;
}

}  // namespace vkube::syncer
