#pragma once
// The generic registry (the role of k8s.io/apiserver's registry/generic/registry.Store): every
// write of every kind goes through here, whoever makes it — the HTTP handlers of a tenant's API
// server, the in-process controllers, the syncer. It owns the object lifecycle rules that are the
// same for all kinds (uid, timestamps, generateName, preconditions, dry run, graceful deletion,
// finalizers, propagation policy, namespace lifecycle) and calls the kind's Strategy and the
// admission chain for the rest. Synchronous: writes wait for the store's fsync, so callers on an
// event loop run these on a blocking pool.
//
// Errors are typed (resource::NotFound, Conflict, Invalid, ...) and become metav1.Status only at
// the HTTP handler.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::registry {

using Json = nlohmann::json;

enum class Operation : std::uint8_t { kCreate, kUpdate, kDelete };

// What an admission plugin sees. `object` may be mutated by mutating plugins (kCreate/kUpdate).
struct AdmissionRequest {
  Operation operation = Operation::kCreate;
  const resource::Kind* kind = nullptr;
  std::string ns;
  std::string name;
  std::string subresource;
  Json* object = nullptr;          // new state (null for kDelete)
  const Json* old_object = nullptr;  // current state (null for kCreate)
  bool dry_run = false;
};

// An admission step (kube's mutating + validating admission plugins), run after defaulting and
// before validation/storage. Must be thread-safe. Returning an error refuses the request.
class AdmissionPlugin {
 public:
  virtual ~AdmissionPlugin() = default;
  virtual Status Admit(AdmissionRequest& request) = 0;
};

struct WriteOptions {
  bool dry_run = false;
  std::string subresource;  // "", "status", "finalize", "scale"
  // metadata.managedFields (kube's field manager, operation Update): the manager this write is
  // recorded under; "" = the registry's default manager (in-process writers: controllers, syncer),
  // none unless SetDefaultFieldManager named one.
  std::string field_manager;
  // The caller computed metadata.managedFields itself (server-side apply): stored as given.
  bool managed_fields_set = false;
};

enum class Propagation : std::uint8_t { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  bool dry_run = false;
  std::optional<std::string> uid_precondition;
  std::optional<std::string> resource_version_precondition;
  std::optional<std::int64_t> grace_period_seconds;
  Propagation propagation = Propagation::kDefault;
};

struct DeleteResult {
  store::ObjectPtr object;  // the removed object, or its new state while deletion is pending
  bool deleted = false;     // false: graceful deletion or finalizers pending
};

// Read-modify-write step for GuaranteedUpdate: returns the desired new object from the current
// one (which includes metadata.resourceVersion). Called again after a conflicting concurrent write.
using Mutator = std::function<Result<Json>(const Json& current)>;

class GenericRegistry {
 public:
  GenericRegistry(std::shared_ptr<store::Store> store, std::shared_ptr<const resource::Registry> kinds);

  // Admission plugins run in registration order. Register all before serving.
  void AddAdmission(std::shared_ptr<AdmissionPlugin> plugin);
  // The manager of writes whose WriteOptions name none, e.g. "kube-controller-manager" as kube
  // records its controllers. Off by default: it costs a controller burst ~15% of its pods/s (a
  // field set per pod create and status write, ~1.5 KB more per stored pod), so in-process
  // writes keep managedFields as they are; HTTP writes always name theirs. Set before serving.
  void SetDefaultFieldManager(std::string manager) { default_field_manager_ = std::move(manager); }

  store::Store& store() const { return *store_; }
  const std::shared_ptr<store::Store>& shared_store() const { return store_; }
  // The kinds served now: a snapshot, swapped whole when the tenant's CustomResourceDefinitions
  // change. Hold it while using a custom kind's pointer.
  std::shared_ptr<const resource::Registry> kinds() const { return kinds_.load(std::memory_order_acquire); }
  void SetKinds(std::shared_ptr<const resource::Registry> kinds) { kinds_.store(std::move(kinds), std::memory_order_release); }
  // A kind of the current snapshot by group and plural, any version. Meant for built-in kinds,
  // whose pointers are stable; a custom kind's pointer is only valid while a snapshot holds it.
  const resource::Kind* Find(std::string_view group, std::string_view resource) const;

  Result<store::ObjectPtr> Get(const resource::Kind& kind, const std::string& ns, const std::string& name) const;
  // Parses the stored JSON of a Get.
  Result<Json> GetJson(const resource::Kind& kind, const std::string& ns, const std::string& name) const;

  // `obj` must carry kind/apiVersion and metadata.namespace (namespaced kinds) already checked by
  // the caller's decoding. Name from metadata.name or metadata.generateName.
  Result<store::ObjectPtr> Create(const resource::Kind& kind, const std::string& ns, Json obj,
                                  const WriteOptions& opts = {});
  // PUT: metadata.resourceVersion in `obj`, when set, is a precondition.
  Result<store::ObjectPtr> Update(const resource::Kind& kind, const std::string& ns, const std::string& name, Json obj,
                                  const WriteOptions& opts = {});
  // PATCH and controllers: retries `mutate` on conflicts with concurrent writers (kube's
  // GuaranteedUpdate). A resourceVersion left in the mutated object that differs from the current
  // one is a precondition failure (409), as for kube's patches.
  Result<store::ObjectPtr> GuaranteedUpdate(const resource::Kind& kind, const std::string& ns,
                                            const std::string& name, const Mutator& mutate,
                                            const WriteOptions& opts = {});
  Result<DeleteResult> Delete(const resource::Kind& kind, const std::string& ns, const std::string& name,
                              const DeleteOptions& opts = {});
  // Deletes each object matching `predicate` (in `ns`, or everywhere when ns is empty for a
  // cluster-scoped kind); returns the objects as Delete returned them.
  Result<std::vector<store::ObjectPtr>> DeleteCollection(const resource::Kind& kind, const std::string& ns,
                                                         const store::Predicate& predicate,
                                                         const DeleteOptions& opts = {});

  store::Key KeyFor(const resource::Kind& kind, const std::string& ns, const std::string& name) const;

 private:
  Status RunAdmission(AdmissionRequest& request) const;
  Result<store::ObjectPtr> StoreUpdate(const resource::Kind& kind, const store::Key& key, store::Revision expected,
                                       Json obj, const Json& old, const WriteOptions& opts);
  Result<Json> PrepareUpdate(const resource::Kind& kind, const std::string& ns, const std::string& name, Json obj,
                             const Json& old, const WriteOptions& opts) const;
  Status CheckNamespaceForCreate(const resource::Kind& kind, const std::string& ns, const std::string& name) const;
  Error Translate(const Error& e, const resource::Kind& kind, const std::string& name) const;

  std::shared_ptr<store::Store> store_;
  std::atomic<std::shared_ptr<const resource::Registry>> kinds_;
  std::vector<std::shared_ptr<AdmissionPlugin>> admission_;
  std::string default_field_manager_;
};

// The object as a store::Object that was never stored (dry run responses).
store::ObjectPtr Unstored(const store::Key& key, const Json& obj);

}  // namespace vkube::registry
