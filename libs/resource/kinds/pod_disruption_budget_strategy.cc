// policy/v1 PodDisruptionBudget: ValidatePodDisruptionBudgetSpec (minAvailable xor
// maxUnavailable, each a nonnegative int or a percent up to 100%), status and generation,
// printPodDisruptionBudget.
#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

// ValidatePositiveIntOrPercent + IsNotMoreThan100Percent.
void ValidateIntOrPercent(const json& val, const std::string& path, std::vector<FieldCause>& errs) {
  if (val.is_null()) return;
  if (val.is_string()) {
    const std::string& s = val.get_ref<const std::string&>();
    bool ok = s.size() >= 2 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      errs.push_back(v::Invalid(path, v::GoQuote(s),
                                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', "
                                " or '93%', regex used for validation is '[0-9]+%')"));
    } else if (std::atoll(s.c_str()) > 100) {
      errs.push_back(v::Invalid(path, v::GoIntOrString(val), "must not be greater than 100%"));
    }
  } else if (val.is_number_integer()) {
    if (val.get<std::int64_t>() < 0) errs.push_back(v::Invalid(path, val.dump(), "must be greater than or equal to 0"));
  } else {
    errs.push_back(v::Invalid(path, v::GoIntOrString(val), "must be an integer or percentage (e.g '5%')"));
  }
}

class PodDisruptionBudgetStrategy final : public Strategy {
 public:
  PodDisruptionBudgetStrategy()
      : Strategy({.has_status = true, .tracks_generation = true, .kind = "PodDisruptionBudget"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the budget, unique within its namespace."),
        print::Column("Min Available", "Pods that must stay available (number or percent)."),
        print::Column("Max Unavailable", "Pods that may be unavailable at once (number or percent)."),
        print::Column("Allowed Disruptions", "Pods that may be evicted right now.", 0, "integer"),
        print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& pdb, SystemTime now) const override {
    const json& spec = jsonx::Child(pdb, "spec");
    auto text = [&](const char* key) {
      return jsonx::Has(spec, key) ? print::IntOrStringText(jsonx::Child(spec, key)) : std::string("N/A");
    };
    return json::array({Str(pdb, "metadata.name"), text("minAvailable"), text("maxUnavailable"),
                        Int(pdb, "status.disruptionsAllowed"), print::Age(pdb, now)});
  }

 protected:
  void PrepareCreate(json& pdb) const override {
    // PodDisruptionBudgetStatus has no omitempty counters: a fresh one serializes them as 0.
    pdb["status"] = {{"disruptionsAllowed", 0}, {"currentHealthy", 0}, {"desiredHealthy", 0}, {"expectedPods", 0}};
  }

  void ValidateSpec(const json& pdb, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(pdb, "spec");
    if (jsonx::Has(spec, "minAvailable") && jsonx::Has(spec, "maxUnavailable")) {
      errs.push_back(v::Invalid("spec", spec.dump(), "minAvailable and maxUnavailable cannot be both set"));
    }
    ValidateIntOrPercent(jsonx::Child(spec, "minAvailable"), "spec.minAvailable", errs);
    ValidateIntOrPercent(jsonx::Child(spec, "maxUnavailable"), "spec.maxUnavailable", errs);
    v::ValidateLabelSelector(jsonx::Child(spec, "selector"), "spec.selector", errs);
    const json& policy = jsonx::Child(spec, "unhealthyPodEvictionPolicy");
    if (!policy.is_null() && policy != "AlwaysAllow" && policy != "IfHealthyBudget") {
      errs.push_back(
          v::NotSupported("spec.unhealthyPodEvictionPolicy", v::GoValue(policy), {"AlwaysAllow", "IfHealthyBudget"}));
    }
    const json& status = jsonx::Child(pdb, "status");
    for (const char* key : {"disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"}) {
      v::ValidateNonnegative(status, key, std::string("status.") + key, errs);
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakePodDisruptionBudgetStrategy() {
  return std::make_shared<PodDisruptionBudgetStrategy>();
}

}  // namespace vkube::resource
