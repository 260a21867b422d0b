#pragma once
// Per-kind behaviour, the role of k8s.io/apiserver's RESTCreateStrategy/RESTUpdateStrategy and the
// printers of kube-apiserver's internal/printers. The generic registry (apiserver-proxy) calls these;
// a Strategy knows nothing about HTTP or the store.
//
// Every entry point accepts any JSON (the fuzz target feeds arbitrary documents): wrong types are
// left alone by defaulting, reported by validation, and printed as kube prints zero values.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"
#include "libs/core/time.h"
#include "libs/store/store.h"

namespace vkube::resource {

struct ColumnDefinition {
  std::string name;         // "NAME"
  std::string type;         // "string" | "integer" | "number" | "boolean" | "date"
  std::string format;       // "name" for the name column, "" otherwise
  std::string description;  // our own words
  int priority = 0;         // 0 = default columns, 1 = only with -o wide
};

// Which rule metadata.name follows (kube's ValidateXxxName).
enum class NameRule : std::uint8_t {
  kDns1123Subdomain,  // most kinds
  kDns1123Label,      // namespaces
  kDns1035Label,      // services (must start with a letter)
  kPathSegment,       // RBAC objects: anything but '.', '..' or names containing '/' or '%'
};

// What the generic behaviour needs to know about a kind.
struct StrategyTraits {
  bool has_status = false;         // serves /status; main-resource writes keep status
  bool tracks_generation = false;  // metadata.generation = 1 on create, bumped on spec changes
  NameRule name_rule = NameRule::kDns1123Subdomain;
  std::string kind;                    // "Pod" (for messages)
  bool namespaced = true;              // metadata.namespace required (forbidden when false)
  bool reset_status_on_create = true;  // false for nodes: the kubelet registers with its status
  // kube's DefaultGarbageCollectionPolicy: OrphanDependents for batch/v1 jobs, dependents are
  // deleted in the background for everything else.
  bool orphan_dependents_by_default = false;
  // Added on the first delete request, so the object stays (terminating) until its controller has
  // cleaned up and removed it: kube's CRD registry does this with customresourcecleanup.
  std::string deletion_finalizer;
};

// The finalizer the CRD controller removes once every instance of a deleted CRD is gone.
inline constexpr const char* kCustomResourceCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

class Strategy {
 public:
  explicit Strategy(StrategyTraits traits) : traits_(std::move(traits)) {}
  virtual ~Strategy() = default;
  const StrategyTraits& traits() const { return traits_; }

  // Create: drop status for kinds with a status subresource, set defaults (e.g. pod restartPolicy)
  // and the initial status, set metadata.generation = 1 for kinds that track generation.
  virtual void PrepareForCreate(nlohmann::json& obj) const;
  // Update of the main resource: keep old status (if has_status), default, and bump
  // metadata.generation when the tracked part (spec) changed.
  virtual void PrepareForUpdate(nlohmann::json& obj, const nlohmann::json& old) const;
  // Update of /status: take only .status from obj (and its resourceVersion), everything else from old.
  virtual void PrepareForStatusUpdate(nlohmann::json& obj, const nlohmann::json& old) const;

  // Field errors in kube-apiserver's words ("spec.containers: Required value"). Empty = valid.
  virtual std::vector<FieldCause> Validate(const nlohmann::json& obj) const;
  // Metadata immutability (name, namespace), full validation of obj, then the kind's immutable fields.
  virtual std::vector<FieldCause> ValidateUpdate(const nlohmann::json& obj, const nlohmann::json& old) const;

  // Table printing: the columns kube-apiserver returns for this kind and one row's cells (always
  // the wide set, as the server does; kubectl hides priority-1 columns itself).
  virtual const std::vector<ColumnDefinition>& Columns() const;
  virtual nlohmann::json Cells(const nlohmann::json& obj, SystemTime now) const;

  // Labels and selectable fields (metadata.name, metadata.namespace, plus per-kind ones), sorted.
  virtual store::Attrs GetAttrs(const nlohmann::json& obj) const;
  // Per-kind selectable field names besides metadata.name / metadata.namespace.
  virtual std::vector<std::string> ExtraSelectableFields() const { return {}; }

 protected:
  // Defaulting (kube's SetDefaults_*): runs on every write, main resource and /status alike.
  virtual void Default(nlohmann::json& obj) const {}
  // After status was dropped and defaults applied on create (initial status, e.g. pod phase).
  virtual void PrepareCreate(nlohmann::json& obj) const {}
  // After the old status was restored and defaults applied on update.
  virtual void PrepareUpdate(nlohmann::json& obj, const nlohmann::json& old) const {}
  // Whether an update bumps metadata.generation (default: .spec differs).
  virtual bool GenerationChanged(const nlohmann::json& obj, const nlohmann::json& old) const;
  // The kind's checks of a whole object (create and update alike).
  virtual void ValidateSpec(const nlohmann::json& obj, std::vector<FieldCause>& errs) const {}
  // Checks only made on create (e.g. pods may not be created with ephemeral containers).
  virtual void ValidateCreate(const nlohmann::json& obj, std::vector<FieldCause>& errs) const {}
  // Immutable fields and allowed transitions.
  virtual void ValidateSpecUpdate(const nlohmann::json& obj, const nlohmann::json& old,
                                  std::vector<FieldCause>& errs) const {}
  virtual void AddFields(const nlohmann::json& obj, std::vector<std::pair<std::string, std::string>>& fields) const {}

 private:
  std::vector<FieldCause> ValidateCommon(const nlohmann::json& obj) const;

  StrategyTraits traits_;
};

}  // namespace vkube::resource
