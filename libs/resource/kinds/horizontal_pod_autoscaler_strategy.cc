// autoscaling/v2 HorizontalPodAutoscaler: SetDefaults_HorizontalPodAutoscaler (minReplicas 1, CPU
// at 80% when no metric is given, scaling behavior rules filled in when a behavior is given),
// validateHorizontalPodAutoscalerSpec, status subresource, printHorizontalPodAutoscaler.
#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/quantity.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::int64_t kDefaultCpuUtilization = 80;
constexpr std::size_t kMaxPrintedMetrics = 2;
constexpr std::int64_t kMaxStabilizationWindowSeconds = 3600;
constexpr std::int64_t kMaxPeriodSeconds = 1800;

std::string QuantityText(const json& q) {
  auto parsed = Quantity::FromJson(q);
  return parsed ? parsed->String() : std::string("0");
}

// formatHPAMetrics: "current/target" per metric, two of them then "+ N more...".
std::string MetricsText(const json& specs, const json& statuses) {
  if (!specs.is_array() || specs.empty()) return "<none>";
  std::vector<std::string> list;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const json& spec = specs[i];
    const json& status = statuses.is_array() && i < statuses.size() ? statuses[i] : json();
    const std::string type = Str(spec, "type");
    auto source_key = [](const std::string& t) {
      if (t == "External") return "external";
      if (t == "Pods") return "pods";
      if (t == "Object") return "object";
      if (t == "Resource") return "resource";
      if (t == "ContainerResource") return "containerResource";
      return "";
    };
    const char* key = source_key(type);
    if (*key == '\0') {
      list.emplace_back("<unknown type>");
      continue;
    }
    const json& source = jsonx::Child(spec, key);
    const json& target = jsonx::Child(source, "target");
    const json& current = jsonx::At(jsonx::Child(status, key), "current");
    const bool have_status = jsonx::Has(status, key);
    if (type == "Pods") {
      std::string cur = have_status ? QuantityText(jsonx::Child(current, "averageValue")) : "<unknown>";
      list.push_back(cur + "/" + QuantityText(jsonx::Child(target, "averageValue")));
    } else if (type == "External" || type == "Object") {
      if (jsonx::Has(target, "averageValue")) {
        std::string cur = have_status && jsonx::Has(current, "averageValue")
                              ? QuantityText(jsonx::Child(current, "averageValue"))
                              : "<unknown>";
        list.push_back(cur + "/" + QuantityText(jsonx::Child(target, "averageValue")) + " (avg)");
      } else {
        std::string cur = have_status ? QuantityText(jsonx::Child(current, "value")) : "<unknown>";
        list.push_back(cur + "/" + QuantityText(jsonx::Child(target, "value")));
      }
    } else {  // Resource, ContainerResource
      if (jsonx::Has(target, "averageValue")) {
        std::string cur = have_status ? QuantityText(jsonx::Child(current, "averageValue")) : "<unknown>";
        list.push_back(cur + "/" + QuantityText(jsonx::Child(target, "averageValue")));
      } else {
        std::string cur = have_status && jsonx::Has(current, "averageUtilization")
                              ? std::to_string(Int(current, "averageUtilization")) + "%"
                              : "<unknown>";
        std::string want = jsonx::Has(target, "averageUtilization")
                               ? std::to_string(Int(target, "averageUtilization")) + "%"
                               : "<auto>";
        list.push_back(Str(source, "name") + ": " + cur + "/" + want);
      }
    }
  }
  const std::size_t count = list.size();
  if (count > kMaxPrintedMetrics) {
    list.resize(kMaxPrintedMetrics);
    return print::Join(list, ", ") + " + " + std::to_string(count - kMaxPrintedMetrics) + " more...";
  }
  return print::Join(list, ", ");
}

// GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: unset parts of a rule take kube's defaults.
void DefaultRules(json& behavior, const char* key, bool up) {
  json* rules = jsonx::Object(behavior, key);
  if (rules == nullptr) return;
  if (up) jsonx::Default(*rules, "stabilizationWindowSeconds", 0);
  jsonx::Default(*rules, "selectPolicy", "Max");
  if (!jsonx::Has(*rules, "policies")) {
    (*rules)["policies"] = up ? json::array({{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}},
                                             {{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}})
                              : json::array({{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}});
  }
}

void ValidateRules(const json& rules, const std::string& path, std::vector<FieldCause>& errs) {
  if (!rules.is_object()) return;
  const json& window = jsonx::Child(rules, "stabilizationWindowSeconds");
  if (window.is_number_integer()) {
    std::int64_t w = window.get<std::int64_t>();
    if (w < 0) errs.push_back(v::Invalid(path + ".stabilizationWindowSeconds", std::to_string(w), "must be greater than or equal to zero"));
    if (w > kMaxStabilizationWindowSeconds) {
      errs.push_back(v::Invalid(path + ".stabilizationWindowSeconds", std::to_string(w),
                                "must be less than or equal to 3600"));
    }
  }
  const json& select = jsonx::Child(rules, "selectPolicy");
  if (!select.is_null() && select != "Max" && select != "Min" && select != "Disabled") {
    errs.push_back(v::NotSupported(path + ".selectPolicy", v::GoValue(select), {"Disabled", "Max", "Min"}));
  }
  const json& policies = jsonx::Child(rules, "policies");
  if (!policies.is_array() || policies.empty()) {
    errs.push_back(v::Required(path + ".policies", "must specify at least one Policy"));
    return;
  }
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const std::string p = path + ".policies[" + std::to_string(i) + "]";
    const json& type = jsonx::Child(policies[i], "type");
    if (type != "Pods" && type != "Percent") {
      errs.push_back(v::NotSupported(p + ".type", v::GoValue(type), {"Percent", "Pods"}));
    }
    if (Int(policies[i], "value") <= 0) {
      errs.push_back(v::Invalid(p + ".value", std::to_string(Int(policies[i], "value")), "must be greater than zero"));
    }
    std::int64_t period = Int(policies[i], "periodSeconds");
    if (period <= 0) {
      errs.push_back(v::Invalid(p + ".periodSeconds", std::to_string(period), "must be greater than zero"));
    } else if (period > kMaxPeriodSeconds) {
      errs.push_back(v::Invalid(p + ".periodSeconds", std::to_string(period), "must be less than or equal to 1800"));
    }
  }
}

class HorizontalPodAutoscalerStrategy final : public Strategy {
 public:
  HorizontalPodAutoscalerStrategy() : Strategy({.has_status = true, .kind = "HorizontalPodAutoscaler"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the autoscaler, unique within its namespace."),
        print::Column("Reference", "The scaled workload, as kind/name."),
        print::Column("Targets", "Current value against target of each metric."),
        print::Column("MinPods", "Lowest replica count the autoscaler sets."),
        print::Column("MaxPods", "Highest replica count the autoscaler sets."),
        print::Column("Replicas", "Replicas the workload had at the last check."),
        print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& hpa, SystemTime now) const override {
    const json& spec = jsonx::Child(hpa, "spec");
    std::string min = jsonx::Has(spec, "minReplicas") ? std::to_string(Int(spec, "minReplicas")) : "<unset>";
    return json::array({Str(hpa, "metadata.name"),
                        Str(spec, "scaleTargetRef.kind") + "/" + Str(spec, "scaleTargetRef.name"),
                        MetricsText(jsonx::Child(spec, "metrics"), jsonx::At(hpa, "status.currentMetrics")), min,
                        Int(spec, "maxReplicas"), Int(hpa, "status.currentReplicas"), print::Age(hpa, now)});
  }

 protected:
  void Default(json& hpa) const override {
    json* spec = jsonx::Object(hpa, "spec");
    if (spec == nullptr) return;
    jsonx::Default(*spec, "minReplicas", 1);
    if (jsonx::Size(*spec, "metrics") == 0 && !(jsonx::Has(*spec, "metrics") && !(*spec)["metrics"].is_array())) {
      (*spec)["metrics"] = json::array(
          {{{"type", "Resource"},
            {"resource",
             {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", kDefaultCpuUtilization}}}}}}});
    }
    if (jsonx::Has(*spec, "behavior")) {
      if (json* behavior = jsonx::Object(*spec, "behavior")) {
        DefaultRules(*behavior, "scaleUp", true);
        DefaultRules(*behavior, "scaleDown", false);
      }
    }
  }

  void PrepareCreate(json& hpa) const override { hpa["status"] = {{"desiredReplicas", 0}}; }

  void ValidateSpec(const json& hpa, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(hpa, "spec");
    const bool has_min = jsonx::Has(spec, "minReplicas");
    const std::int64_t min = Int(spec, "minReplicas"), max = Int(spec, "maxReplicas");
    if (has_min && min < 1) {
      errs.push_back(v::Invalid("spec.minReplicas", std::to_string(min), "must be greater than or equal to 1"));
    }
    if (max < 1) errs.push_back(v::Invalid("spec.maxReplicas", std::to_string(max), "must be greater than 0"));
    if (has_min && max < min) {
      errs.push_back(v::Invalid("spec.maxReplicas", std::to_string(max), "must be greater than or equal to `minReplicas`"));
    }
    // ValidateCrossVersionObjectReference; metrics and behavior are only checked when it is valid.
    std::size_t before = errs.size();
    for (const char* key : {"kind", "name"}) {
      std::string val = Str(spec, std::string("scaleTargetRef.") + key);
      std::string path = std::string("spec.scaleTargetRef.") + key;
      if (val.empty()) {
        errs.push_back(v::Required(path));
      } else {
        for (auto& m : v::IsValidPathSegmentName(val)) errs.push_back(v::Invalid(path, v::GoQuote(val), m));
      }
    }
    if (errs.size() != before) return;
    const json& metrics = jsonx::Child(spec, "metrics");
    const std::vector<std::string> types = {"ContainerResource", "External", "Object", "Pods", "Resource"};
    if (metrics.is_array()) {
      for (std::size_t i = 0; i < metrics.size(); ++i) {
        const std::string p = "spec.metrics[" + std::to_string(i) + "]";
        const json& type = jsonx::Child(metrics[i], "type");
        if (!type.is_string() || std::find(types.begin(), types.end(), type.get<std::string>()) == types.end()) {
          errs.push_back(v::NotSupported(p + ".type", v::GoValue(type), types));
          continue;
        }
        std::string t = type.get<std::string>();
        std::string key = t == "ContainerResource" ? "containerResource" : std::string(1, static_cast<char>(std::tolower(t[0]))) + t.substr(1);
        if (!jsonx::Has(metrics[i], key)) {
          errs.push_back(v::Required(p + "." + key, "must populate information for the given metric source"));
        }
        const json& target = jsonx::At(metrics[i], key + ".target");
        const json& ttype = jsonx::Child(target, "type");
        if (jsonx::Has(metrics[i], key) && ttype != "Utilization" && ttype != "Value" && ttype != "AverageValue") {
          if (ttype.is_null()) {
            errs.push_back(v::Required(p + "." + key + ".target.type", "must specify a metric target type"));
          } else {
            errs.push_back(v::NotSupported(p + "." + key + ".target.type", v::GoValue(ttype),
                                           {"AverageValue", "Utilization", "Value"}));
          }
        }
        if (jsonx::Has(target, "averageUtilization") && Int(target, "averageUtilization") < 1) {
          errs.push_back(v::Invalid(p + "." + key + ".target.averageUtilization",
                                    std::to_string(Int(target, "averageUtilization")), "must be greater than 0"));
        }
      }
    }
    const json& behavior = jsonx::Child(spec, "behavior");
    ValidateRules(jsonx::Child(behavior, "scaleUp"), "spec.behavior.scaleUp", errs);
    ValidateRules(jsonx::Child(behavior, "scaleDown"), "spec.behavior.scaleDown", errs);
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeHorizontalPodAutoscalerStrategy() {
  return std::make_shared<HorizontalPodAutoscalerStrategy>();
}

}  // namespace vkube::resource
