#include "libs/kubeclient/reflector.h"

#include <boost/asio/this_coro.hpp>
#include <random>

#include "libs/core/log.h"
#include "libs/kubeclient/api_error.h"

namespace vkube::kube {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// A watch ending sooner than this without a single event counts as a failure (backs off), as in
// client-go's reflector ("very short watch").
constexpr std::chrono::seconds kMinWatchDuration{1};

std::string Meta(const json& obj, const char* field) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return {};
  return f->get<std::string>();
}

std::string KeyOf(const json& obj) { return Meta(obj, "namespace") + "/" + Meta(obj, "name"); }

asio::awaitable<bool> Cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

std::int64_t RandomizedTimeout(std::chrono::seconds min) {
  std::mt19937 rng(std::random_device{}());
  const auto t = std::max<std::int64_t>(1, min.count());
  return t + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(t));
}

}  // namespace

Reflector::Reflector(KubeClient& client, asio::any_io_executor executor, ReflectorOptions options,
                     ReflectorHandlers handlers)
    : client_(client), executor_(std::move(executor)), options_(std::move(options)), handlers_(std::move(handlers)) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() {
  if (started_.exchange(true)) return;
  tasks_.Spawn(executor_, Run());
}

void Reflector::Stop() {
  stopping_ = true;
  tasks_.Close();
  tasks_.CancelAll();
  if (!tasks_.WaitEmptyBlocking(std::chrono::seconds(30))) {
    VKUBE_LOG(kError) << "reflector " << options_.resource.resource << ": did not stop within 30s";
  }
}

ReflectorStats Reflector::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void Reflector::SetResourceVersion(std::string rv) {
  if (rv.empty()) return;
  resource_version_ = rv;
  std::lock_guard lock(stats_mu_);
  stats_.resource_version = std::move(rv);
}

asio::awaitable<void> Reflector::Run() {
  co_await asio::this_coro::throw_if_cancelled(false);
  Backoff backoff(options_.backoff);
  bool need_list = true;
  while (!stopping_) {
    if (need_list) {
      auto listed = co_await ListAndReplace();
      if (stopping_) break;
      if (co_await Cancelled()) break;
      if (!listed) {
        VKUBE_LOG(kWarn) << "reflector " << options_.resource.resource << ": list failed: " << listed.error().message;
        {
          std::lock_guard lock(stats_mu_);
          ++stats_.errors;
        }
        if (!co_await backoff.Sleep()) break;
        continue;
      }
      need_list = false;
      backoff.Reset();
    }
    auto watched = co_await WatchOnce(backoff);
    if (stopping_) break;
    if (co_await Cancelled()) break;
    if (watched) continue;  // the server ended the watch: resume from the last version at once
    if (IsGone(watched.error())) {
      VKUBE_LOG(kInfo) << "reflector " << options_.resource.resource << ": " << watched.error().message
                       << "; re-listing";
      std::lock_guard lock(stats_mu_);
      ++stats_.gone;
      need_list = true;
      continue;
    }
    // Warned, as client-go does: events wait for the next watch, up to the backoff's cap.
    VKUBE_LOG(kWarn) << "reflector " << options_.resource.resource << ": watch failed: " << watched.error().message;
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.errors;
    }
    if (!co_await backoff.Sleep()) break;
  }
}

asio::awaitable<Status> Reflector::ListAndReplace() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = options_.page_size;
  std::map<std::string, SharedObject> fresh;
  for (;;) {
    auto page = co_await client_.List(options_.resource, lo);
    if (!page) {
      if (IsGone(page.error()) && !lo.continue_token.empty()) {
        // The continue token expired between pages: start over in one piece.
        fresh.clear();
        lo.continue_token.clear();
        lo.limit = 0;
        continue;
      }
      co_return page.take_error();
    }
    for (auto& item : page->items) {
      std::string key = KeyOf(item);
      fresh[std::move(key)] = std::make_shared<const json>(std::move(item));
    }
    if (page->continue_token.empty()) {
      Replace(std::move(fresh), std::move(page->resource_version));
      co_return Status{};
    }
    lo.continue_token = std::move(page->continue_token);
  }
}

void Reflector::Replace(std::map<std::string, SharedObject> fresh, std::string resource_version) {
  {
    // Counted before the handlers run: whoever observes their effects also sees the list counted.
    std::lock_guard lock(stats_mu_);
    ++stats_.lists;
    stats_.objects = fresh.size();
  }
  for (auto& [key, obj] : fresh) {
    auto it = known_.find(key);
    if (it == known_.end()) {
      if (handlers_.on_add) handlers_.on_add(obj);
    } else if (Meta(*it->second, "resourceVersion") != Meta(*obj, "resourceVersion") ||
               Meta(*it->second, "uid") != Meta(*obj, "uid")) {
      if (handlers_.on_update) handlers_.on_update(it->second, obj);
    }
  }
  for (auto& [key, obj] : known_) {
    if (fresh.count(key) == 0 && handlers_.on_delete) handlers_.on_delete(obj);
  }
  known_ = std::move(fresh);
  SetResourceVersion(std::move(resource_version));
  synced_ = true;
  if (handlers_.on_synced) handlers_.on_synced();
}

asio::awaitable<Status> Reflector::WatchOnce(Backoff& backoff) {
  WatchOptions wo;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.resource_version = resource_version_;
  wo.allow_bookmarks = options_.allow_bookmarks;
  wo.timeout_seconds = RandomizedTimeout(options_.min_watch_timeout);
  auto watch = co_await client_.StartWatch(options_.resource, wo);
  if (!watch) co_return watch.take_error();
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.watches;
  }
  const auto started = std::chrono::steady_clock::now();
  bool any_event = false;
  for (;;) {
    auto ev = co_await (*watch)->Next();
    if (!ev) co_return ev.take_error();
    if (!*ev) {
      // A server that ends watches at once would otherwise be asked again in a tight loop.
      if (!any_event && std::chrono::steady_clock::now() - started < kMinWatchDuration) {
        co_return Error::Make(ErrorCode::kServiceUnavailable, "watch ended at once without any event");
      }
      co_return Status{};
    }
    any_event = true;
    backoff.Reset();
    Apply((*ev)->type, std::move((*ev)->object));
    if (stopping_) co_return Status{};
  }
}

void Reflector::Apply(WatchEventType type, json event_object) {
  std::string rv = Meta(event_object, "resourceVersion");
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.events;
    if (type == WatchEventType::kBookmark) ++stats_.bookmarks;
  }
  if (type == WatchEventType::kBookmark) {
    SetResourceVersion(std::move(rv));
    return;
  }
  std::string key = KeyOf(event_object);
  const SharedObject object = std::make_shared<const json>(std::move(event_object));
  auto it = known_.find(key);
  if (type == WatchEventType::kDeleted) {
    if (it != known_.end()) known_.erase(it);
    if (handlers_.on_delete) handlers_.on_delete(object);
  } else if (it == known_.end()) {
    if (handlers_.on_add) handlers_.on_add(object);
    known_.emplace(std::move(key), object);
  } else {
    if (handlers_.on_update) handlers_.on_update(it->second, object);
    it->second = object;
  }
  SetResourceVersion(std::move(rv));
  std::lock_guard lock(stats_mu_);
  stats_.objects = known_.size();
}

}  // namespace vkube::kube
