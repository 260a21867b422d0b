// scheduling.k8s.io/v1 PriorityClass: preemptionPolicy defaulted, the reserved "system-" names and
// the highest user value, immutable value and preemptionPolicy, printPriorityClass.
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

constexpr std::int64_t kHighestUserDefinablePriority = 1000000000;
constexpr std::int64_t kSystemClusterCritical = 2000000000;
constexpr std::int64_t kSystemNodeCritical = 2000001000;

class PriorityClassStrategy final : public Strategy {
 public:
  PriorityClassStrategy() : Strategy({.kind = "PriorityClass", .namespaced = false}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the priority class."),
        print::Column("Value", "Priority given to pods of this class.", 0, "integer"),
        print::Column("Global-Default", "Whether pods without a class get this one.", 0, "boolean"),
        print::AgeColumn(), print::Column("PreemptionPolicy", "Whether pods of this class preempt lower ones.")};
    return kCols;
  }

  json Cells(const json& pc, SystemTime now) const override {
    const json& policy = jsonx::Child(pc, "preemptionPolicy");
    return json::array({Str(pc, "metadata.name"), Int(pc, "value"), jsonx::Bool(pc, "globalDefault"), print::Age(pc, now),
                        policy.is_string() ? policy.get<std::string>() : std::string("<unset>")});
  }

 protected:
  void Default(json& pc) const override {
    if (!pc.is_object()) return;
    jsonx::Default(pc, "value", 0);  // a required int32: protobuf clients omit a zero
    jsonx::Default(pc, "preemptionPolicy", "PreemptLowerPriority");
  }

  void ValidateSpec(const json& pc, std::vector<FieldCause>& errs) const override {
    const std::string name = Str(pc, "metadata.name");
    const std::int64_t value = Int(pc, "value");
    const bool global = jsonx::Bool(pc, "globalDefault");
    if (name.rfind("system-", 0) == 0) {
      std::string problem;
      if (name == "system-cluster-critical" || name == "system-node-critical") {
        std::int64_t want = name == "system-node-critical" ? kSystemNodeCritical : kSystemClusterCritical;
        if (value != want) {
          problem = "value of " + name + " PriorityClass must be " + std::to_string(want);
        } else if (global) {
          problem = "globalDefault of " + name + " PriorityClass must be false";
        }
      } else {
        problem = name + " is not a known system priority class";
      }
      if (!problem.empty()) {
        errs.push_back(v::Forbidden("metadata.name",
                                    "priority class names with 'system-' prefix are reserved for system use only. "
                                    "error: " + problem));
      }
    } else if (value > kHighestUserDefinablePriority) {
      errs.push_back(v::Forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
    }
    const json& policy = jsonx::Child(pc, "preemptionPolicy");
    if (!policy.is_null() && policy != "Never" && policy != "PreemptLowerPriority") {
      errs.push_back(v::NotSupported("preemptionPolicy", v::GoValue(policy), {"Never", "PreemptLowerPriority"}));
    }
  }

  void ValidateSpecUpdate(const json& pc, const json& old, std::vector<FieldCause>& errs) const override {
    if (Int(pc, "value") != Int(old, "value")) errs.push_back(v::Forbidden("value", "may not be changed in an update."));
    if (jsonx::Child(pc, "preemptionPolicy") != jsonx::Child(old, "preemptionPolicy")) {
      errs.push_back(v::Invalid("preemptionPolicy", v::GoValue(jsonx::Child(pc, "preemptionPolicy")), "field is immutable"));
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakePriorityClassStrategy() { return std::make_shared<PriorityClassStrategy>(); }

}  // namespace vkube::resource
