#pragma once
// Per-kind behaviour, the role of k8s.io/apiserver's RESTCreateStrategy/RESTUpdateStrategy and the
// printers of kube-apiserver's internal/printers. The generic registry (apiserver-proxy) calls these;
// a Strategy knows nothing about HTTP or the store.
#include <string>
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

// What the generic behaviour needs to know about a kind.
struct StrategyTraits {
  bool has_status = false;          // serves /status; main-resource writes keep status
  bool tracks_generation = false;   // metadata.generation bumps on spec changes
  bool name_is_dns_label = false;   // namespaces, services: RFC 1123 label, else subdomain
  std::string kind;                 // "Pod" (for messages)
};

class Strategy {
 public:
  explicit Strategy(StrategyTraits traits) : traits_(std::move(traits)) {}
  virtual ~Strategy() = default;
  const StrategyTraits& traits() const { return traits_; }

  // Create: set defaults (e.g. pod restartPolicy), drop status for kinds with a status
  // subresource, set metadata.generation = 1 for kinds that track generation.
  virtual void PrepareForCreate(nlohmann::json& obj) const;
  // Update of the main resource: keep old status (if has_status), default, and bump
  // metadata.generation when anything outside metadata/status changed.
  virtual void PrepareForUpdate(nlohmann::json& obj, const nlohmann::json& old) const;
  // Update of /status: take only .status from obj, everything else from old.
  virtual void PrepareForStatusUpdate(nlohmann::json& obj, const nlohmann::json& old) const;

  // Field errors in kube-apiserver's words ("spec.containers: Required value"). Empty = valid.
  virtual std::vector<FieldCause> Validate(const nlohmann::json& obj) const;
  virtual std::vector<FieldCause> ValidateUpdate(const nlohmann::json& obj, const nlohmann::json& old) const;

  // Table printing: the columns kube-apiserver returns for this kind and one row's cells.
  virtual const std::vector<ColumnDefinition>& Columns() const;
  virtual nlohmann::json Cells(const nlohmann::json& obj, SystemTime now) const;

  // Labels and selectable fields (metadata.name, metadata.namespace, plus per-kind ones).
  virtual store::Attrs GetAttrs(const nlohmann::json& obj) const;
  // Per-kind selectable field names besides metadata.name / metadata.namespace.
  virtual std::vector<std::string> ExtraSelectableFields() const { return {}; }

 protected:
  // Per-kind hooks used by the generic implementations above.
  virtual void Default(nlohmann::json& obj) const {}
  virtual void ValidateSpec(const nlohmann::json& obj, std::vector<FieldCause>& errs) const {}
  virtual void AddFields(const nlohmann::json& obj, std::vector<std::pair<std::string, std::string>>& fields) const {}

 private:
  StrategyTraits traits_;
};

}  // namespace vkube::resource
