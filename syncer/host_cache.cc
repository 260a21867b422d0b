#include "syncer/host_cache.h"

namespace vkube::syncer {

using json = nlohmann::json;

namespace {
std::string NameOf(const json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return {};
  return obj["metadata"].value("name", "");
}
}  // namespace

HostCache::HostCache(kube::KubeClient& host, boost::asio::any_io_executor executor, OnChange on_change)
    : host_(host), executor_(std::move(executor)), on_change_(std::move(on_change)) {}

HostCache::~HostCache() { Stop(); }

void HostCache::Follow(const std::string& resource, kube::ResourceRef ref, std::string label_selector, bool required) {
  kube::ReflectorOptions opts;
  opts.resource = std::move(ref);
  opts.label_selector = std::move(label_selector);
  Add(resource, std::move(opts), required, /*kept=*/true);
}

void HostCache::Observe(const std::string& resource, kube::ResourceRef ref) {
  kube::ReflectorOptions opts;
  opts.resource = std::move(ref);
  Add(resource, std::move(opts), /*required=*/false, /*kept=*/false);
}

void HostCache::Add(const std::string& resource, kube::ReflectorOptions opts, bool required, bool kept) {
  kube::ReflectorHandlers h;
  h.on_add = [this, resource, kept](const kube::SharedObject& obj) {
    if (kept) Put(resource, obj);
    if (on_change_) on_change_(resource, nullptr, obj.get());
  };
  h.on_update = [this, resource, kept](const kube::SharedObject& old_obj, const kube::SharedObject& obj) {
    if (kept) Put(resource, obj);
    if (on_change_) on_change_(resource, old_obj.get(), obj.get());
  };
  h.on_delete = [this, resource, kept](const kube::SharedObject& last) {
    if (kept) Erase(resource, *last);
    if (on_change_) on_change_(resource, last.get(), nullptr);
  };
  auto reflector = std::make_unique<kube::Reflector>(host_, executor_, std::move(opts), std::move(h));
  std::lock_guard lock(mu_);
  collections_[resource].reflector = std::move(reflector);
  collections_[resource].required = required;
  collections_[resource].kept = kept;
}

void HostCache::Start() {
  std::lock_guard lock(mu_);
  for (auto& entry : collections_) entry.second.reflector->Start();
}

void HostCache::Stop() {
  std::vector<kube::Reflector*> reflectors;
  {
    std::lock_guard lock(mu_);
    for (auto& entry : collections_) reflectors.push_back(entry.second.reflector.get());
  }
  for (auto* r : reflectors) r->Stop();  // outside mu_: a handler in flight takes it
}

bool HostCache::Synced() const {
  std::lock_guard lock(mu_);
  for (const auto& entry : collections_) {
    if (entry.second.required && !entry.second.reflector->synced()) return false;
  }
  return true;
}

kube::SharedObject HostCache::Get(const std::string& resource, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto c = collections_.find(resource);
  if (c == collections_.end()) return nullptr;
  auto it = c->second.objects.find(name);
  if (it == c->second.objects.end()) return nullptr;
  return it->second;
}

std::vector<kube::SharedObject> HostCache::List(const std::string& resource) const {
  std::vector<kube::SharedObject> out;
  std::lock_guard lock(mu_);
  auto c = collections_.find(resource);
  if (c == collections_.end()) return out;
  out.reserve(c->second.objects.size());
  for (const auto& entry : c->second.objects) out.push_back(entry.second);
  return out;
}

std::size_t HostCache::Size(const std::string& resource) const {
  std::lock_guard lock(mu_);
  auto c = collections_.find(resource);
  return c == collections_.end() ? 0 : c->second.objects.size();
}

void HostCache::Put(const std::string& resource, const kube::SharedObject& obj) {
  std::lock_guard lock(mu_);
  collections_[resource].objects[NameOf(*obj)] = obj;
}

void HostCache::Erase(const std::string& resource, const json& obj) {
  std::lock_guard lock(mu_);
  collections_[resource].objects.erase(NameOf(obj));
}

}  // namespace vkube::syncer
