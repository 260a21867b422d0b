#include "controllers/garbagecollector/garbage_collector.h"

#include <algorithm>
#include <functional>

#include "controllers/framework/object_util.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
constexpr std::chrono::milliseconds kForegroundRecheck{500};

bool HasFinalizer(const Json& obj, std::string_view f) {
  const Json& fin = jsonx::At(obj, "metadata.finalizers");
  return fin.is_array() && std::find(fin.begin(), fin.end(), Json(std::string(f))) != fin.end();
}

Result<Json> WithoutFinalizer(const Json& cur, const std::string& f) {
  Json next = cur;
  Json& fin = next["metadata"]["finalizers"];
  if (fin.is_array()) fin.erase(std::remove(fin.begin(), fin.end(), Json(f)), fin.end());
  return next;
}

// The object minus the ownerReferences whose uid `drop` selects (the field goes when empty).
Result<Json> WithoutOwnerRefs(const Json& cur, const std::function<bool(const std::string&)>& drop) {
  Json next = cur;
  Json& refs = next["metadata"]["ownerReferences"];
  if (!refs.is_array()) return next;
  Json kept = Json::array();
  for (const auto& r : refs) {
    if (!drop(jsonx::Str(r, "uid"))) kept.push_back(r);
  }
  if (kept.empty()) {
    next["metadata"].erase("ownerReferences");
  } else {
    refs = std::move(kept);
  }
  return next;
}

std::pair<std::string, std::string> SplitApiVersion(const std::string& av) {
  auto slash = av.find('/');
  if (slash == std::string::npos) return {"", av};
  return {av.substr(0, slash), av.substr(slash + 1)};
}
}  // namespace

std::string GarbageCollector::KeyOf(char verb, const store::Key& k) {
  return std::string(1, verb) + "|" + k.resource + "|" + k.ns + "|" + k.name;
}

void GarbageCollector::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "",
                       .on_add = [this](const store::ObjectPtr& o) { Observe(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { Observe(o); },
                       .on_delete = [this](const store::ObjectPtr& o) { Forget(o); }});
}

void GarbageCollector::Observe(const store::ObjectPtr& obj) {
  const store::JsonPtr view = View(obj);
  const Json& o = *view;
  const std::string uid = jsonx::Str(o, "metadata.uid");
  if (uid.empty()) return;
  Node node{obj->key, {}, IsTerminating(o), false};
  node.foreground = node.deleting && HasFinalizer(o, "foregroundDeletion");
  const Json& refs = jsonx::At(o, "metadata.ownerReferences");
  if (refs.is_array()) {
    for (const auto& r : refs) {
      std::string owner = jsonx::Str(r, "uid");
      if (!owner.empty()) node.owner_uids.push_back(std::move(owner));
    }
  }
  bool maybe_dangling = false;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(uid);
    if (it != nodes_.end()) {
      for (const auto& owner : it->second.owner_uids) dependents_[owner].erase(uid);
    }
    for (const auto& owner : node.owner_uids) {
      dependents_[owner].insert(uid);
      if (!nodes_.count(owner)) maybe_dangling = true;
    }
    nodes_[uid] = node;
  }
  if (maybe_dangling) Enqueue(KeyOf('d', obj->key));
  if (node.deleting && (HasFinalizer(o, "orphan") || node.foreground)) Enqueue(KeyOf('o', obj->key));
}

void GarbageCollector::Forget(const store::ObjectPtr& obj) {
  const store::JsonPtr view = View(obj);
  const Json& o = *view;
  const std::string uid = jsonx::Str(o, "metadata.uid");
  if (uid.empty()) return;
  std::vector<store::Key> to_check;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(uid);
    if (it != nodes_.end()) {
      for (const auto& owner : it->second.owner_uids) {
        auto d = dependents_.find(owner);
        if (d != dependents_.end()) d->second.erase(uid);
        // A foreground owner waiting for this dependent may now finish.
        auto on = nodes_.find(owner);
        if (on != nodes_.end() && on->second.foreground) to_check.push_back(on->second.key);
      }
      nodes_.erase(it);
    }
    auto deps = dependents_.find(uid);
    if (deps != dependents_.end()) {
      for (const auto& dep : deps->second) {
        auto dn = nodes_.find(dep);
        if (dn != nodes_.end()) Enqueue(KeyOf('d', dn->second.key));
      }
      dependents_.erase(deps);
    }
  }
  for (const auto& k : to_check) Enqueue(KeyOf('o', k));
}

const resource::Kind* GarbageCollector::KindOfResource(const resource::Registry& kinds,
                                                       const std::string& storage_resource) {
  for (const resource::Kind* k : kinds.kinds()) {
    if (k->info.StorageResource() == storage_resource) return k;
  }
  return nullptr;
}

GarbageCollector::OwnerState GarbageCollector::StateOf(const Json& ref, const std::string& dependent_ns) {
  const std::string uid = jsonx::Str(ref, "uid");
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(uid);
    if (it != nodes_.end()) return it->second.foreground ? OwnerState::kWaiting : OwnerState::kSolid;
  }
  // Not in the graph (yet): ask the store, as kube's GC does with a live lookup.
  auto [group, version] = SplitApiVersion(jsonx::Str(ref, "apiVersion"));
  auto kinds = ctx_.objects->kinds();
  const resource::Kind* kind = kinds->FindByKind(group, version, jsonx::Str(ref, "kind"));
  if (kind == nullptr) return OwnerState::kSolid;  // unknown kind: never delete on a guess
  auto owner = ctx_.objects->GetJson(*kind, kind->info.namespaced ? dependent_ns : "", jsonx::Str(ref, "name"));
  if (!owner || jsonx::Str(*owner, "metadata.uid") != uid) return OwnerState::kDangling;
  if (IsTerminating(*owner) && HasFinalizer(*owner, "foregroundDeletion")) return OwnerState::kWaiting;
  return OwnerState::kSolid;
}

Outcome GarbageCollector::Reconcile(const std::string& key) {
  // key = "<verb>|resource|ns|name"
  auto p1 = key.find('|', 2);
  auto p2 = key.find('|', p1 + 1);
  if (key.size() < 2 || p1 == std::string::npos || p2 == std::string::npos) return Outcome::kDone;
  store::Key k{key.substr(2, p1 - 2), key.substr(p1 + 1, p2 - p1 - 1), key.substr(p2 + 1)};
  return key[0] == 'd' ? AttemptToDelete(k) : ProcessDeletingOwner(k);
}

Outcome GarbageCollector::AttemptToDelete(const store::Key& key) {
  auto cur = ctx_.informer->Get(key.resource, key.ns, key.name);
  if (!cur) return Outcome::kDone;
  auto kinds = ctx_.objects->kinds();  // keeps custom kinds alive while in use
  const resource::Kind* kind = KindOfResource(*kinds, key.resource);
  if (kind == nullptr) return Outcome::kDone;
  Json obj = Parse(cur);
  const Json& refs = jsonx::At(obj, "metadata.ownerReferences");
  if (!refs.is_array() || refs.empty()) return Outcome::kDone;
  std::vector<std::string> dangling, waiting;
  std::size_t solid = 0;
  for (const auto& r : refs) {
    switch (StateOf(r, key.ns)) {
      case OwnerState::kSolid: ++solid; break;
      case OwnerState::kDangling: dangling.push_back(jsonx::Str(r, "uid")); break;
      case OwnerState::kWaiting: waiting.push_back(jsonx::Str(r, "uid")); break;
    }
  }
  if (dangling.empty() && waiting.empty()) return Outcome::kDone;
  if (solid > 0) {
    // Still owned by someone alive: only drop the references to the gone owners.
    auto res = ctx_.objects->GuaranteedUpdate(*kind, key.ns, key.name, [&](const Json& c) -> Result<Json> {
      return WithoutOwnerRefs(c, [&](const std::string& u) {
        return std::find(dangling.begin(), dangling.end(), u) != dangling.end();
      });
    });
    if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
    return Outcome::kDone;
  }
  if (IsTerminating(obj) && waiting.empty()) return Outcome::kDone;
  registry::DeleteOptions opts{.uid_precondition = jsonx::Str(obj, "metadata.uid"),
                               .propagation = waiting.empty() ? registry::Propagation::kBackground
                                                              : registry::Propagation::kForeground};
  auto res = ctx_.objects->Delete(*kind, key.ns, key.name, opts);
  if (!res && res.error().code != ErrorCode::kNotFound && res.error().code != ErrorCode::kConflict) {
    VKUBE_LOG(kWarn) << "gc: deleting " << key.resource << " " << key.ns << "/" << key.name << ": " << res.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

Outcome GarbageCollector::ProcessDeletingOwner(const store::Key& key) {
  auto cur = ctx_.informer->Get(key.resource, key.ns, key.name);
  if (!cur) return Outcome::kDone;
  auto kinds = ctx_.objects->kinds();  // keeps custom kinds alive while in use
  const resource::Kind* kind = KindOfResource(*kinds, key.resource);
  if (kind == nullptr) return Outcome::kDone;
  Json obj = Parse(cur);
  if (!IsTerminating(obj)) return Outcome::kDone;
  const std::string uid = jsonx::Str(obj, "metadata.uid");
  std::vector<store::Key> deps;
  {
    std::lock_guard lock(mu_);
    auto it = dependents_.find(uid);
    if (it != dependents_.end()) {
      for (const auto& d : it->second) {
        auto n = nodes_.find(d);
        if (n != nodes_.end()) deps.push_back(n->second.key);
      }
    }
  }
  if (HasFinalizer(obj, "orphan")) {
    for (const auto& d : deps) {
      const resource::Kind* dk = KindOfResource(*kinds, d.resource);
      if (dk == nullptr) continue;
      auto res = ctx_.objects->GuaranteedUpdate(*dk, d.ns, d.name, [&](const Json& c) -> Result<Json> {
        return WithoutOwnerRefs(c, [&](const std::string& u) { return u == uid; });
      });
      if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
    }
    auto res = ctx_.objects->GuaranteedUpdate(*kind, key.ns, key.name,
                                              [](const Json& c) { return WithoutFinalizer(c, "orphan"); });
    if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
    return Outcome::kDone;
  }
  if (HasFinalizer(obj, "foregroundDeletion")) {
    if (deps.empty()) {
      auto res = ctx_.objects->GuaranteedUpdate(*kind, key.ns, key.name,
                                                [](const Json& c) { return WithoutFinalizer(c, "foregroundDeletion"); });
      if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
      return Outcome::kDone;
    }
    for (const auto& d : deps) Enqueue(KeyOf('d', d));
    EnqueueAfter(KeyOf('o', key), kForegroundRecheck);
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
