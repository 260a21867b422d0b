#include "libs/registry/generic_registry.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "libs/core/time.h"
#include "libs/resource/json_access.h"
#include "libs/resource/meta.h"
#include "libs/resource/server_side_apply.h"
#include "libs/resource/status.h"

namespace vkube::registry {

using resource::Kind;
using store::Key;
using store::ObjectPtr;
namespace jsonx = resource::jsonx;

namespace {

constexpr int kMaxGenerateNameAttempts = 8;
constexpr int kMaxUpdateAttempts = 16;

// A conflict right after a read usually means a write is between its precondition check and its
// fsync; reads only show committed state, so give the commit a moment instead of spinning.
void BackoffBeforeRetry(int attempt) {
  if (attempt == 0) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << std::min(attempt - 1, 6), 50)));
}
constexpr std::int64_t kDefaultPodGraceSeconds = 30;
constexpr const char* kOrphanFinalizer = "orphan";
constexpr const char* kForegroundFinalizer = "foregroundDeletion";

bool IsCoreKind(const Kind& kind, std::string_view resource) {
  return kind.info.group.empty() && kind.info.resource == resource;
}

std::vector<std::string> Finalizers(const Json& obj) {
  std::vector<std::string> out;
  const Json& f = jsonx::At(obj, "metadata.finalizers");
  if (!f.is_array()) return out;
  for (const auto& v : f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

void SetFinalizers(Json& obj, const std::vector<std::string>& finalizers) {
  if (finalizers.empty()) {
    obj["metadata"].erase("finalizers");
  } else {
    obj["metadata"]["finalizers"] = finalizers;
  }
}

// kube's ShouldDeleteDuringUpdate: deletion requested, no finalizer left, no grace period pending;
// namespaces also wait for their spec.finalizers (the namespace controller's "kubernetes").
bool ShouldDeleteAfterUpdate(const Kind& kind, const Json& obj) {
  if (!jsonx::Has(jsonx::At(obj, "metadata"), "deletionTimestamp")) return false;
  if (!Finalizers(obj).empty()) return false;
  if (jsonx::Int(obj, "metadata.deletionGracePeriodSeconds", 0) != 0) return false;
  if (IsCoreKind(kind, "namespaces") && jsonx::Size(obj, "spec.finalizers") > 0) return false;
  return true;
}

std::string Now() { return FormatRfc3339(std::chrono::system_clock::now()); }

// metadata.managedFields for a write that is not a server-side apply (kube's field manager,
// operation Update): the fields it changed become its manager's. Before admission, as kube does.
void TrackManagedFields(const std::string& default_manager, const Kind& kind, const Json& old, Json& obj,
                        const WriteOptions& opts) {
  if (opts.managed_fields_set || opts.subresource == "finalize") return;
  const std::string& manager = opts.field_manager.empty() ? default_manager : opts.field_manager;
  if (manager.empty()) return;
  const resource::FieldManagedKind managed = resource::ManagedKindOf(kind);
  resource::UpdateManagedFields(old, obj, manager, opts.subresource, managed, Now());
}

}  // namespace

ObjectPtr Unstored(const Key& key, const Json& obj) {
  auto o = std::make_shared<store::Object>();
  o->key = key;
  o->json = obj.dump();
  return o;
}

GenericRegistry::GenericRegistry(std::shared_ptr<store::Store> store, std::shared_ptr<const resource::Registry> kinds)
    : store_(std::move(store)), kinds_(std::move(kinds)) {}

void GenericRegistry::AddAdmission(std::shared_ptr<AdmissionPlugin> plugin) { admission_.push_back(std::move(plugin)); }

const Kind* GenericRegistry::Find(std::string_view group, std::string_view resource) const {
  for (const Kind* k : kinds()->kinds()) {
    if (k->info.group == group && k->info.resource == resource) return k;
  }
  return nullptr;
}

Key GenericRegistry::KeyFor(const Kind& kind, const std::string& ns, const std::string& name) const {
  return Key{kind.info.StorageResource(), kind.info.namespaced ? ns : "", name};
}

Error GenericRegistry::Translate(const Error& e, const Kind& kind, const std::string& name) const {
  switch (e.code) {
    case ErrorCode::kNotFound: return resource::NotFound(kind.info.group, kind.info.resource, name);
    case ErrorCode::kAlreadyExists: return resource::AlreadyExists(kind.info.group, kind.info.resource, name);
    case ErrorCode::kConflict:
      return resource::Conflict(kind.info.group, kind.info.resource, name, resource::kConflictModified);
    default: return e;
  }
}

Status GenericRegistry::RunAdmission(AdmissionRequest& request) const {
  for (const auto& p : admission_) {
    if (auto s = p->Admit(request); !s) return s;
  }
  return {};
}

Result<ObjectPtr> GenericRegistry::Get(const Kind& kind, const std::string& ns, const std::string& name) const {
  auto obj = store_->Get(KeyFor(kind, ns, name));
  if (!obj) return Translate(obj.error(), kind, name);
  return obj;
}

Result<Json> GenericRegistry::GetJson(const Kind& kind, const std::string& ns, const std::string& name) const {
  auto obj = Get(kind, ns, name);
  if (!obj) return obj.take_error();
  return Json::parse((*obj)->json);
}

Status GenericRegistry::CheckNamespaceForCreate(const Kind& kind, const std::string& ns, const std::string& name) const {
  if (!kind.info.namespaced) return {};
  auto obj = store_->Get(Key{"namespaces", "", ns});
  if (!obj) return resource::NotFound("", "namespaces", ns);
  auto parsed = Json::parse((*obj)->json, nullptr, false);
  if (jsonx::Str(parsed, "status.phase") == "Terminating") {
    return resource::Forbidden(kind.info.group, kind.info.resource, name,
                               "unable to create new content in namespace " + ns + " because it is being terminated");
  }
  return {};
}

Result<ObjectPtr> GenericRegistry::Create(const Kind& kind, const std::string& ns, Json obj, const WriteOptions& opts) {
  if (!obj.is_object()) return resource::BadRequest("the object must be a JSON object");
  // The stored object always says what it is, whoever wrote it (in-process callers too).
  obj["kind"] = kind.info.kind;
  obj["apiVersion"] = kind.info.GroupVersion();
  if (!obj["metadata"].is_object()) obj["metadata"] = Json::object();
  Json& meta = obj["metadata"];
  const std::string requested = meta.is_object() ? meta.value("name", "") : "";
  const std::string generate(jsonx::Str(obj, "metadata.generateName"));
  if (auto s = CheckNamespaceForCreate(kind, ns, requested); !s) return s.take_error();
  for (const char* k : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) meta.erase(k);
  meta["uid"] = resource::NewUid();
  meta["creationTimestamp"] = Now();
  kind.strategy->PrepareForCreate(obj);
  TrackManagedFields(default_field_manager_, kind, Json(), obj, opts);
  // generateName: a fresh suffix on collision, like the retry in kube's registry.
  for (int attempt = 0;; ++attempt) {
    if (requested.empty() && !generate.empty()) obj["metadata"]["name"] = resource::GenerateName(generate);
    const std::string name = obj["metadata"].value("name", "");
    AdmissionRequest adm{Operation::kCreate, &kind, ns, name, opts.subresource, &obj, nullptr, opts.dry_run};
    if (auto s = RunAdmission(adm); !s) return s.take_error();
    auto errs = kind.strategy->Validate(obj);
    if (!errs.empty()) return resource::Invalid(kind.info.group, kind.info.kind, name, std::move(errs));
    Key key = KeyFor(kind, ns, name);
    if (opts.dry_run) return Unstored(key, obj);
    auto attrs = kind.strategy->GetAttrs(obj);
    auto res = store_->Create(key, obj, std::move(attrs));
    if (res) return res;
    if (res.error().code == ErrorCode::kAlreadyExists && requested.empty() && !generate.empty() &&
        attempt < kMaxGenerateNameAttempts) {
      continue;
    }
    return Translate(res.error(), kind, name);
  }
}

Result<Json> GenericRegistry::PrepareUpdate(const Kind& kind, const std::string& ns, const std::string& name, Json obj,
                                            const Json& old, const WriteOptions& opts) const {
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = Json::object();
  obj["kind"] = kind.info.kind;
  obj["apiVersion"] = kind.info.GroupVersion();
  Json& meta = obj["metadata"];
  const Json& old_meta = old["metadata"];
  // What clients cannot change: identity, creation, deletion state, generation.
  for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
    if (old_meta.contains(k)) {
      meta[k] = old_meta[k];
    } else {
      meta.erase(k);
    }
  }
  if (opts.subresource == "status") {
    // (A status apply brings its own managedFields; the rest of metadata comes from `old`.)
    Json applied = opts.managed_fields_set ? jsonx::At(obj, "metadata.managedFields") : Json();
    kind.strategy->PrepareForStatusUpdate(obj, old);
    if (!applied.is_null()) obj["metadata"]["managedFields"] = std::move(applied);
  } else if (opts.subresource == "finalize") {
    // namespaces/finalize: only spec.finalizers changes.
    Json next = old;
    next["spec"]["finalizers"] = jsonx::At(obj, "spec.finalizers").is_array() ? jsonx::At(obj, "spec.finalizers")
                                                                                  : Json::array();
    next["metadata"]["resourceVersion"] = jsonx::At(obj, "metadata.resourceVersion");
    obj = std::move(next);
  } else {
    kind.strategy->PrepareForUpdate(obj, old);
  }
  TrackManagedFields(default_field_manager_, kind, old, obj, opts);
  AdmissionRequest adm{Operation::kUpdate, &kind, ns, name, opts.subresource, &obj, &old, opts.dry_run};
  if (auto s = RunAdmission(adm); !s) return s.take_error();
  auto errs = kind.strategy->ValidateUpdate(obj, old);
  if (!errs.empty()) return resource::Invalid(kind.info.group, kind.info.kind, name, std::move(errs));
  return obj;
}

namespace {
bool SameIgnoringRv(Json a, Json b) {
  a["metadata"].erase("resourceVersion");
  b["metadata"].erase("resourceVersion");
  return a == b;
}
}  // namespace

Result<ObjectPtr> GenericRegistry::StoreUpdate(const Kind& kind, const Key& key, store::Revision expected, Json obj,
                                               const Json& old, const WriteOptions& opts) {
  if (opts.dry_run) return Unstored(key, obj);
  if (SameIgnoringRv(obj, old)) return store_->Get(key);
  auto attrs = kind.strategy->GetAttrs(obj);
  const bool delete_now = ShouldDeleteAfterUpdate(kind, obj);
  auto res = store_->Update(key, expected, std::move(obj), std::move(attrs));
  if (!res || !delete_now) return res;
  // The last finalizer went away: the deletion that was requested completes now.
  auto del = store_->Delete(key, (*res)->revision);
  if (!del && del.error().code == ErrorCode::kNotFound) return res;
  return del;
}

Result<ObjectPtr> GenericRegistry::Update(const Kind& kind, const std::string& ns, const std::string& name, Json obj,
                                          const WriteOptions& opts) {
  store::Revision expected = 0;
  if (auto rv = jsonx::Str(obj, "metadata.resourceVersion"); !rv.empty()) {
    auto parsed = store::ParseRevision(rv);
    if (!parsed) {
      return resource::Invalid(kind.info.group, kind.info.kind, name,
                               {{"FieldValueInvalid", "Invalid value: must be a decimal string",
                                 "metadata.resourceVersion"}});
    }
    expected = *parsed;
  }
  Key key = KeyFor(kind, ns, name);
  auto cur = store_->Get(key);
  if (!cur) return Translate(cur.error(), kind, name);
  if (expected != 0 && expected != (*cur)->revision) {
    return resource::Conflict(kind.info.group, kind.info.resource, name, resource::kConflictModified);
  }
  Json old = Json::parse((*cur)->json);
  auto prepared = PrepareUpdate(kind, ns, name, std::move(obj), old, opts);
  if (!prepared) return prepared.take_error();
  auto res = StoreUpdate(kind, key, (*cur)->revision, std::move(*prepared), old, opts);
  if (!res) return Translate(res.error(), kind, name);
  return res;
}

Result<ObjectPtr> GenericRegistry::GuaranteedUpdate(const Kind& kind, const std::string& ns, const std::string& name,
                                                    const Mutator& mutate, const WriteOptions& opts) {
  Key key = KeyFor(kind, ns, name);
  for (int attempt = 0; attempt < kMaxUpdateAttempts; ++attempt) {
    BackoffBeforeRetry(attempt);
    auto cur = store_->Get(key);
    if (!cur) return Translate(cur.error(), kind, name);
    Json old = Json::parse((*cur)->json);
    auto mutated = mutate(old);
    if (!mutated) return mutated.take_error();
    Json& obj = *mutated;
    if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) {
      return resource::BadRequest("the update produced an object without metadata");
    }
    // A resourceVersion the caller kept (or set) that is not the current one is a precondition.
    if (auto rv = jsonx::Str(obj, "metadata.resourceVersion"); !rv.empty() && rv != std::to_string((*cur)->revision)) {
      return resource::Conflict(kind.info.group, kind.info.resource, name, resource::kConflictModified);
    }
    if (obj["metadata"].value("name", "") != name) {
      return resource::Invalid(kind.info.group, kind.info.kind, name,
                               {{"FieldValueInvalid", "Invalid value: field is immutable", "metadata.name"}});
    }
    obj["kind"] = kind.info.kind;
    obj["apiVersion"] = kind.info.GroupVersion();
    if (kind.info.namespaced) obj["metadata"]["namespace"] = ns;
    auto prepared = PrepareUpdate(kind, ns, name, std::move(obj), old, opts);
    if (!prepared) return prepared.take_error();
    auto res = StoreUpdate(kind, key, (*cur)->revision, std::move(*prepared), old, opts);
    if (res) return res;
    // Lost a race with another writer: re-read and re-apply.
    if (res.error().code != ErrorCode::kConflict) return Translate(res.error(), kind, name);
  }
  return resource::Conflict(kind.info.group, kind.info.resource, name, resource::kConflictModified);
}

Result<DeleteResult> GenericRegistry::Delete(const Kind& kind, const std::string& ns, const std::string& name,
                                             const DeleteOptions& opts) {
  Key key = KeyFor(kind, ns, name);
  for (int attempt = 0; attempt < kMaxUpdateAttempts; ++attempt) {
    BackoffBeforeRetry(attempt);
    auto cur = store_->Get(key);
    if (!cur) return Translate(cur.error(), kind, name);
    Json obj = Json::parse((*cur)->json);
    if (opts.uid_precondition && *opts.uid_precondition != jsonx::Str(obj, "metadata.uid")) {
      return resource::Conflict(kind.info.group, kind.info.resource, name,
                                "Precondition failed: UID in precondition: " + *opts.uid_precondition +
                                    ", UID in object meta: " + jsonx::Str(obj, "metadata.uid"));
    }
    if (opts.resource_version_precondition &&
        *opts.resource_version_precondition != std::to_string((*cur)->revision)) {
      return resource::Conflict(kind.info.group, kind.info.resource, name,
                                "Precondition failed: ResourceVersion in precondition: " +
                                    *opts.resource_version_precondition +
                                    ", ResourceVersion in object meta: " + std::to_string((*cur)->revision));
    }
    AdmissionRequest adm{Operation::kDelete, &kind, ns, name, "", nullptr, &obj, opts.dry_run};
    if (auto s = RunAdmission(adm); !s) return s.take_error();

    Json next = obj;
    Json& meta = next["metadata"];
    const bool terminating = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
    // Graceful deletion (pods on a node): the kubelet (the syncer's host) finishes it with grace 0.
    std::int64_t grace = 0;
    if (IsCoreKind(kind, "pods")) {
      const std::string phase = jsonx::Str(obj, "status.phase");
      const bool on_node = !jsonx::Str(obj, "spec.nodeName").empty();
      grace = opts.grace_period_seconds.value_or(
          jsonx::Int(obj, "spec.terminationGracePeriodSeconds", kDefaultPodGraceSeconds));
      if (!on_node || phase == "Succeeded" || phase == "Failed" || grace < 0) grace = 0;
      if (terminating) grace = std::min<std::int64_t>(grace, jsonx::Int(obj, "metadata.deletionGracePeriodSeconds", 0));
    }
    // Namespaces: Terminating until the namespace controller has emptied and finalized them.
    const bool is_namespace = IsCoreKind(kind, "namespaces");
    std::vector<std::string> finalizers = Finalizers(obj);
    auto drop = [&](const char* f) { finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), f), finalizers.end()); };
    auto add = [&](const char* f) {
      if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) finalizers.emplace_back(f);
    };
    Propagation policy = opts.propagation;
    if (policy == Propagation::kDefault && kind.strategy->traits().orphan_dependents_by_default && !terminating) {
      policy = Propagation::kOrphan;
    }
    if (!terminating && !kind.strategy->traits().deletion_finalizer.empty()) {
      add(kind.strategy->traits().deletion_finalizer.c_str());
    }
    switch (policy) {
      case Propagation::kOrphan: drop(kForegroundFinalizer); add(kOrphanFinalizer); break;
      case Propagation::kForeground: drop(kOrphanFinalizer); add(kForegroundFinalizer); break;
      case Propagation::kBackground: drop(kOrphanFinalizer); drop(kForegroundFinalizer); break;
      case Propagation::kDefault: break;
    }
    const bool ns_pending = is_namespace && jsonx::Size(obj, "spec.finalizers") > 0;
    if (grace > 0 || !finalizers.empty() || ns_pending) {
      if (!terminating) {
        meta["deletionTimestamp"] = FormatRfc3339(std::chrono::system_clock::now() + std::chrono::seconds(grace));
      }
      meta["deletionGracePeriodSeconds"] = grace;
      SetFinalizers(next, finalizers);
      if (is_namespace) next["status"]["phase"] = "Terminating";
      if (opts.dry_run) return DeleteResult{Unstored(key, next), false};
      if (next == obj) return DeleteResult{*cur, false};
      auto res = store_->Update(key, (*cur)->revision, next, kind.strategy->GetAttrs(next));
      if (!res && res.error().code == ErrorCode::kConflict) continue;
      if (!res) return Translate(res.error(), kind, name);
      return DeleteResult{*res, false};
    }
    if (opts.dry_run) return DeleteResult{*cur, true};
    auto res = store_->Delete(key, (*cur)->revision);
    if (!res && res.error().code == ErrorCode::kConflict) continue;
    if (!res) return Translate(res.error(), kind, name);
    return DeleteResult{*res, true};
  }
  return resource::Conflict(kind.info.group, kind.info.resource, name, resource::kConflictModified);
}

Result<std::vector<ObjectPtr>> GenericRegistry::DeleteCollection(const Kind& kind, const std::string& ns,
                                                                 const store::Predicate& predicate,
                                                                 const DeleteOptions& opts) {
  store::ListOptions list{.resource = kind.info.StorageResource(), .predicate = predicate};
  if (kind.info.namespaced && !ns.empty()) list.ns = ns;
  auto items = store_->List(list);
  if (!items) return items.take_error();
  std::vector<ObjectPtr> out;
  for (const auto& o : items->items) {
    auto res = Delete(kind, o->key.ns, o->key.name, opts);
    if (!res) {
      if (res.error().code == ErrorCode::kNotFound) continue;  // deleted concurrently
      return res.take_error();
    }
    out.push_back(res->object);
  }
  return out;
}

}  // namespace vkube::registry
