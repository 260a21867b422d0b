#include "apiserver-proxy/crd_catalog.h"

#include <boost/asio/post.hpp>

#include "libs/core/log.h"

namespace vkube::apiserver {

namespace {
constexpr const char* kCrds = "apiextensions.k8s.io/customresourcedefinitions";
}  // namespace

CrdCatalog::CrdCatalog(std::shared_ptr<store::Store> store, std::shared_ptr<const ApiSurface> builtin,
                       boost::asio::any_io_executor executor, Publish publish)
    : store_(std::move(store)),
      builtin_(std::move(builtin)),
      strand_(boost::asio::make_strand(std::move(executor))),
      publish_(std::move(publish)) {}

CrdCatalog::~CrdCatalog() { Stop(); }

Result<std::shared_ptr<CrdCatalog>> CrdCatalog::Start(std::shared_ptr<store::Store> store,
                                                      std::shared_ptr<const ApiSurface> builtin,
                                                      boost::asio::any_io_executor executor, Publish publish) {
  std::shared_ptr<CrdCatalog> c(
      new CrdCatalog(std::move(store), std::move(builtin), std::move(executor), std::move(publish)));
  // Watch before listing: a change in between re-triggers a rebuild instead of being missed.
  if (auto s = c->Watch(); !s) return s.take_error();
  if (auto s = c->Rebuild(); !s) return s.take_error();
  return c;
}

void CrdCatalog::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  if (watcher_) watcher_->Stop();
}

Status CrdCatalog::Watch() {
  auto w = store_->Watch(store::WatchOptions{.resource = kCrds, .max_queue = 1000});
  if (!w) return w.take_error();
  std::shared_ptr<store::Watcher> watcher = std::move(*w);
  std::weak_ptr<CrdCatalog> weak = weak_from_this();
  watcher->SetNotify([weak] {
    auto self = weak.lock();
    if (!self || self->stopped_ || self->scheduled_.exchange(true)) return;
    boost::asio::post(self->strand_, [weak] {
      if (auto s = weak.lock()) s->Drain();
    });
  });
  std::lock_guard lock(mu_);
  if (stopped_) {
    watcher->Stop();
    return {};
  }
  watcher_ = std::move(watcher);
  return {};
}

void CrdCatalog::Drain() {
  scheduled_ = false;
  std::shared_ptr<store::Watcher> w;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    w = watcher_;
  }
  if (!w) return;
  std::vector<store::Event> events;
  while (w->Poll(events, 256) > 0) {
  }
  const auto closed = w->close_reason();
  if (closed == store::WatchCloseReason::kStoreClosed || closed == store::WatchCloseReason::kStopped) return;
  if (closed == store::WatchCloseReason::kTooSlow) {
    if (auto s = Watch(); !s) {
      VKUBE_LOG(kWarn) << "crd catalog: re-watch failed: " << s.error().message;
    }
  } else if (events.empty()) {
    return;
  }
  if (auto s = Rebuild(); !s) {
    VKUBE_LOG(kWarn) << "crd catalog: rebuild failed: " << s.error().message;
  }
}

Status CrdCatalog::Rebuild() {
  std::lock_guard rebuild(rebuild_mu_);
  auto list = store_->List(store::ListOptions{.resource = kCrds});
  if (!list) return list.take_error();
  if (list->revision < published_revision_) return {};
  std::vector<nlohmann::json> crds;
  crds.reserve(list->items.size());
  for (const auto& o : list->items) {
    auto j = nlohmann::json::parse(o->json, nullptr, false);
    if (j.is_object()) crds.push_back(std::move(j));
  }
  auto surface = ApiSurface::WithCustomResources(builtin_, crds);
  std::lock_guard lock(mu_);
  if (stopped_) return {};
  publish_(std::move(surface));
  published_revision_ = list->revision;
  return {};
}

}  // namespace vkube::apiserver
