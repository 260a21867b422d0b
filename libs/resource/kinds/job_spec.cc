#include "libs/resource/kinds/job_spec.h"

#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr std::int64_t kMaxIndexedParallelism = 100000;
constexpr std::int64_t kMaxIndexedCompletions = 100000;
constexpr std::size_t kMaxPodFailurePolicyRules = 20;

bool In(const std::string& s, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

void ValidatePodFailurePolicy(const json& spec, const std::string& path, std::vector<FieldCause>& errs) {
  const json& rules = jsonx::At(spec, "podFailurePolicy.rules");
  if (!rules.is_array()) return;
  if (rules.size() > kMaxPodFailurePolicyRules) {
    errs.push_back(v::TooMany(path + ".rules", static_cast<std::int64_t>(rules.size()),
                              static_cast<std::int64_t>(kMaxPodFailurePolicyRules)));
  }
  const std::vector<std::string> actions = {"Count", "FailIndex", "FailJob", "Ignore"};
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string p = path + ".rules[" + std::to_string(i) + "]";
    const json& action = jsonx::Child(rules[i], "action");
    if (!action.is_string() || !In(action.get<std::string>(), actions)) {
      errs.push_back(v::NotSupported(p + ".action", v::GoValue(action), actions));
    } else if (action == "FailIndex" && !jsonx::Has(spec, "backoffLimitPerIndex")) {
      errs.push_back(v::Invalid(p + ".action", v::GoValue(action),
                                "The action FailIndex is only allowed when backoffLimitPerIndex is specified"));
    }
    const bool codes = jsonx::Has(rules[i], "onExitCodes");
    const bool conditions = jsonx::Has(rules[i], "onPodConditions");
    if (codes && conditions) {
      errs.push_back(v::Invalid(p, "", "specifying both OnExitCodes and OnPodConditions is not supported"));
    } else if (!codes && !conditions) {
      errs.push_back(v::Invalid(p, "", "specifying one of OnExitCodes and OnPodConditions is required"));
    }
    if (codes) {
      const json& op = jsonx::At(rules[i], "onExitCodes.operator");
      if (!op.is_string() || (op != "In" && op != "NotIn")) {
        errs.push_back(v::NotSupported(p + ".onExitCodes.operator", v::GoValue(op), {"In", "NotIn"}));
      }
      if (jsonx::Size(jsonx::Child(rules[i], "onExitCodes"), "values") == 0) {
        errs.push_back(v::Required(p + ".onExitCodes.values", "at least one value is required"));
      }
    }
  }
}

}  // namespace

void ValidateJobSpecCommon(const json& spec, const std::string& path, std::vector<FieldCause>& errs) {
  for (const char* key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                          "ttlSecondsAfterFinished"}) {
    v::ValidateNonnegative(spec, key, path + "." + key, errs);
  }
  const bool indexed = Str(spec, "completionMode") == "Indexed";
  if (jsonx::Has(spec, "backoffLimitPerIndex")) {
    v::ValidateNonnegative(spec, "backoffLimitPerIndex", path + ".backoffLimitPerIndex", errs);
    if (!indexed) {
      errs.push_back(v::Invalid(path + ".backoffLimitPerIndex", jsonx::Child(spec, "backoffLimitPerIndex").dump(),
                                "requires indexed completion mode"));
    }
  }
  if (jsonx::Has(spec, "maxFailedIndexes")) {
    v::ValidateNonnegative(spec, "maxFailedIndexes", path + ".maxFailedIndexes", errs);
    if (!jsonx::Has(spec, "backoffLimitPerIndex")) {
      errs.push_back(v::Required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified"));
    }
  }
  const json& mode = jsonx::Child(spec, "completionMode");
  if (!mode.is_null()) {
    if (mode != "NonIndexed" && mode != "Indexed") {
      errs.push_back(v::NotSupported(path + ".completionMode", v::GoValue(mode), {"NonIndexed", "Indexed"}));
    }
    if (indexed) {
      if (!jsonx::Has(spec, "completions")) {
        errs.push_back(v::Required(path + ".completions", "when completion mode is Indexed"));
      }
      if (jsonx::Int(spec, "parallelism") > kMaxIndexedParallelism) {
        errs.push_back(v::Invalid(path + ".parallelism", std::to_string(jsonx::Int(spec, "parallelism")),
                                  "must be less than or equal to 100000 when completion mode is Indexed"));
      }
      if (jsonx::Has(spec, "completions") && jsonx::Has(spec, "maxFailedIndexes") &&
          jsonx::Int(spec, "maxFailedIndexes") > jsonx::Int(spec, "completions")) {
        errs.push_back(v::Invalid(path + ".maxFailedIndexes", std::to_string(jsonx::Int(spec, "maxFailedIndexes")),
                                  "must be less than or equal to completions"));
      }
      if (jsonx::Int(spec, "completions") > kMaxIndexedCompletions) {
        errs.push_back(v::Invalid(path + ".completions", std::to_string(jsonx::Int(spec, "completions")),
                                  "must be less than or equal to 100000 when completion mode is Indexed"));
      }
    }
  }
  const bool failure_policy = jsonx::Has(spec, "podFailurePolicy");
  if (failure_policy) ValidatePodFailurePolicy(spec, path + ".podFailurePolicy", errs);
  const json& replacement = jsonx::Child(spec, "podReplacementPolicy");
  if (!replacement.is_null()) {
    if (failure_policy && replacement != "Failed") {
      errs.push_back(v::NotSupported(path + ".podReplacementPolicy", v::GoValue(replacement), {"Failed"}));
    } else if (!failure_policy && replacement != "Failed" && replacement != "TerminatingOrFailed") {
      errs.push_back(
          v::NotSupported(path + ".podReplacementPolicy", v::GoValue(replacement), {"Failed", "TerminatingOrFailed"}));
    }
  }
  if (jsonx::Has(spec, "successPolicy") && !indexed) {
    errs.push_back(v::Invalid(path + ".successPolicy", jsonx::Child(spec, "successPolicy").dump(),
                              "requires indexed completion mode"));
  }
  ValidatePodTemplateSpec(jsonx::Child(spec, "template"), path + ".template", errs);
  const json& rp = jsonx::At(spec, "template.spec.restartPolicy");
  const std::string rp_path = path + ".template.spec.restartPolicy";
  if (rp.is_null() || rp == "" || rp == "Always") {
    errs.push_back(v::Required(rp_path, "valid values: \"OnFailure\", \"Never\""));
  } else if (rp != "OnFailure" && rp != "Never") {
    errs.push_back(v::NotSupported(rp_path, v::GoValue(rp), {"OnFailure", "Never"}));
  } else if (failure_policy && rp != "Never") {
    errs.push_back(v::Invalid(rp_path, v::GoValue(rp), "only \"Never\" is supported when podFailurePolicy is specified"));
  }
}

}  // namespace vkube::resource
