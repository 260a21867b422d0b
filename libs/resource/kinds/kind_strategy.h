#pragma once
// A Strategy assembled from per-kind pieces (columns, cells, defaults, validation, fields): the
// built-in kinds differ only in those, so each kind's file fills a KindSpec.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "libs/resource/strategy.h"

namespace vkube::resource {

using FieldList = std::vector<std::pair<std::string, std::string>>;

struct KindSpec {
  StrategyTraits traits;
  std::vector<ColumnDefinition> columns;  // empty = Name, Age
  std::function<nlohmann::json(const nlohmann::json&, SystemTime)> cells;
  std::function<void(nlohmann::json&)> defaults;
  std::function<void(const nlohmann::json&, std::vector<FieldCause>&)> validate;
  std::function<void(const nlohmann::json&, const nlohmann::json&, std::vector<FieldCause>&)> validate_update;
  std::vector<std::string> extra_fields;
  std::function<void(const nlohmann::json&, FieldList&)> fields;
};

class KindStrategy final : public Strategy {
 public:
  explicit KindStrategy(KindSpec spec) : Strategy(spec.traits), spec_(std::move(spec)) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    return spec_.columns.empty() ? Strategy::Columns() : spec_.columns;
  }
  nlohmann::json Cells(const nlohmann::json& obj, SystemTime now) const override {
    return spec_.cells ? spec_.cells(obj, now) : Strategy::Cells(obj, now);
  }
  std::vector<std::string> ExtraSelectableFields() const override { return spec_.extra_fields; }
  std::vector<FieldCause> ValidateUpdate(const nlohmann::json& obj, const nlohmann::json& old) const override {
    auto errs = Validate(obj);
    if (spec_.validate_update) spec_.validate_update(obj, old, errs);
    return errs;
  }

 protected:
  void Default(nlohmann::json& obj) const override {
    if (spec_.defaults) spec_.defaults(obj);
  }
  void ValidateSpec(const nlohmann::json& obj, std::vector<FieldCause>& errs) const override {
    if (spec_.validate) spec_.validate(obj, errs);
  }
  void AddFields(const nlohmann::json& obj, FieldList& fields) const override {
    if (spec_.fields) spec_.fields(obj, fields);
  }

 private:
  KindSpec spec_;
};

}  // namespace vkube::resource
