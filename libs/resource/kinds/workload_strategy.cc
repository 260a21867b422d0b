#include "libs/resource/kinds/workload_strategy.h"

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/selector.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

}  // namespace

WorkloadStrategy::WorkloadStrategy(Options opts)
    : Strategy({.has_status = true, .tracks_generation = true, .kind = opts.kind}), opts_(std::move(opts)) {}

void WorkloadStrategy::Default(json& obj) const {
  json* spec = jsonx::Object(obj, "spec");
  if (!spec) return;
  DefaultSpec(*spec);
  json* tpl = jsonx::Object(*spec, "template");
  if (!tpl) return;
  if (json* meta = jsonx::Object(*tpl, "metadata")) {
    if (!meta->contains("creationTimestamp")) (*meta)["creationTimestamp"] = nullptr;  // as v1 serializes it
  }
  if (json* pod_spec = jsonx::Object(*tpl, "spec")) DefaultPodSpec(*pod_spec, /*is_pod=*/false);
}

void WorkloadStrategy::PrepareCreate(json& obj) const { obj["status"] = opts_.initial_status; }

void WorkloadStrategy::ValidateSpec(const json& obj, std::vector<FieldCause>& errs) const {
  const json& spec = jsonx::Child(obj, "spec");
  v::ValidateNonnegative(spec, "replicas", "spec.replicas", errs);
  const json& sel = jsonx::Child(spec, "selector");
  if (sel.is_null()) {
    if (opts_.selector_required) errs.push_back(v::Required("spec.selector"));
  } else {
    v::ValidateLabelSelector(sel, "spec.selector", errs);
    if (jsonx::Size(sel, "matchLabels") + jsonx::Size(sel, "matchExpressions") == 0) {
      errs.push_back(
          v::Invalid("spec.selector", v::GoLabelSelector(sel), "empty selector is invalid for " + opts_.empty_selector_noun));
    }
  }
  // The template must carry the labels the selector selects (a null selector selects nothing).
  auto selector = LabelSelector::FromJson(sel);
  const json& tpl_labels = jsonx::At(spec, "template.metadata.labels");
  if (!selector) {
    errs.push_back(v::Invalid("spec.selector", v::GoLabelSelector(sel), "invalid label selector"));
  } else if (!selector->empty() && !selector->MatchesJson(tpl_labels)) {
    errs.push_back(v::Invalid("spec.template.metadata.labels", v::GoStringMap(tpl_labels),
                              "`selector` does not match template `labels`"));
  }
  // ValidatePodTemplateSpec: labels and annotations of the template, then its pod spec.
  const json& tpl_meta = jsonx::At(spec, "template.metadata");
  v::ValidateLabels(jsonx::Child(tpl_meta, "labels"), "spec.template.labels", errs);
  v::ValidateAnnotations(jsonx::Child(tpl_meta, "annotations"), "spec.template.annotations", errs);
  const json& pod_spec = jsonx::At(spec, "template.spec");
  // StatefulSets: mounts may name a volumeClaimTemplate instead of a template volume (the
  // controller adds the claim volume per pod), so those count as volumes here.
  const json& claims = jsonx::Child(spec, "volumeClaimTemplates");
  if (claims.is_array() && !claims.empty() && pod_spec.is_object()) {
    json with_claims = pod_spec;
    if (!with_claims["volumes"].is_array()) with_claims["volumes"] = json::array();
    for (const auto& c : claims) {
      std::string name = jsonx::Str(c, "metadata.name");
      bool present = false;
      for (const auto& v : with_claims["volumes"]) present = present || jsonx::Str(v, "name") == name;
      if (!name.empty() && !present) {
        with_claims["volumes"].push_back({{"name", name}, {"persistentVolumeClaim", {{"claimName", name}}}});
      }
    }
    ValidatePodSpec(with_claims, "spec.template.spec", errs);
  } else {
    ValidatePodSpec(pod_spec, "spec.template.spec", errs);
  }
  if (jsonx::Size(pod_spec, "ephemeralContainers") > 0) {
    errs.push_back(v::Forbidden("spec.template.spec.ephemeralContainers", "ephemeral containers not allowed in pod template"));
  }
  ValidateWorkloadSpec(spec, errs);
}

void WorkloadStrategy::ValidateSpecUpdate(const json& obj, const json& old, std::vector<FieldCause>& errs) const {
  if (!opts_.selector_immutable_check) return;
  const json& sel = jsonx::At(obj, "spec.selector");
  if (sel != jsonx::At(old, "spec.selector")) {
    errs.push_back(v::Invalid("spec.selector", v::GoLabelSelector(sel), "field is immutable"));
  }
}

json WorkloadStrategy::ContainerAndSelectorCells(const json& obj, bool with_selector) {
  auto [names, images] = print::ContainerCells(jsonx::At(obj, "spec.template.spec"));
  json cells = json::array({names, images});
  if (with_selector) cells.push_back(print::SelectorText(jsonx::At(obj, "spec.selector")));
  return cells;
}

void WorkloadStrategy::ValidateTemplateRestart(const json& spec, std::string_view deadline_message,
                                               bool deadline_forbidden, std::vector<FieldCause>& errs) {
  const json& rp = jsonx::At(spec, "template.spec.restartPolicy");
  if (!rp.is_null() && rp != "Always") {
    errs.push_back(v::NotSupported("spec.template.spec.restartPolicy", v::GoValue(rp), {"Always"}));
  }
  const json& ads = jsonx::At(spec, "template.spec.activeDeadlineSeconds");
  if (!ads.is_null()) {
    if (deadline_forbidden) {
      errs.push_back(v::Forbidden("spec.template.spec.activeDeadlineSeconds", deadline_message));
    } else {
      errs.push_back(v::Invalid("spec.template.spec.activeDeadlineSeconds", ads.dump(), deadline_message));
    }
  }
}

void WorkloadStrategy::ValidateIntOrPercent(const json& val, const std::string& path, std::vector<FieldCause>& errs) {
  if (val.is_null()) return;
  if (val.is_string()) {
    const std::string& s = val.get_ref<const std::string&>();
    bool ok = s.size() >= 2 && s.back() == '%' &&
              std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      errs.push_back(v::Invalid(path, v::GoIntOrString(val),
                                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', "
                                " or '93%', regex used for validation is '[0-9]+%')"));
    }
  } else if (val.is_number_integer()) {
    if (val.get<std::int64_t>() < 0) {
      errs.push_back(v::Invalid(path, val.dump(), "must be greater than or equal to 0"));
    }
  } else {
    errs.push_back(v::Invalid(path, v::GoIntOrString(val), "must be an integer or percentage (e.g '5%')"));
  }
}

}  // namespace vkube::resource
