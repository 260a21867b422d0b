// batch/v1 Job: SetDefaults_Job, the generated selector (controller-uid) and the labels kube adds
// to the pod template, ValidateJob / ValidateJobUpdate (immutable completions, selector and
// template), status and generation, orphaned dependents by default, printJob.
#include <chrono>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/job_spec.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/selector.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr const char* kControllerUid = "batch.kubernetes.io/controller-uid";
constexpr const char* kLegacyControllerUid = "controller-uid";
constexpr const char* kJobName = "batch.kubernetes.io/job-name";
constexpr const char* kLegacyJobName = "job-name";

bool HasCondition(const json& job, std::string_view type) {
  const json& conds = jsonx::At(job, "status.conditions");
  if (!conds.is_array()) return false;
  for (const auto& c : conds) {
    if (Str(c, "type") == type && Str(c, "status") == "True") return true;
  }
  return false;
}

// ValidateHasLabel: the template must carry key=want.
void RequireLabel(const json& job, const char* key, const std::string& want, std::vector<FieldCause>& errs) {
  const json& labels = jsonx::At(job, "spec.template.metadata.labels");
  const std::string path = std::string("spec.template.metadata.labels[") + key + "]";
  const json& have = jsonx::Child(labels, key);
  if (have.is_null()) {
    errs.push_back(v::Required(path, want));
  } else if (have != want) {
    errs.push_back(v::Invalid(path, v::GoStringMap(labels), "must be '" + want + "'"));
  }
}

class JobStrategy final : public Strategy {
 public:
  JobStrategy()
      : Strategy({.has_status = true, .tracks_generation = true, .kind = "Job", .orphan_dependents_by_default = true}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the job, unique within its namespace."),
        print::Column("Status", "Where the job stands: Running, Complete, Failed, Suspended, ..."),
        print::Column("Completions", "Succeeded pods out of the completions wanted."),
        print::Column("Duration", "How long the job ran (or has been running)."),
        print::AgeColumn(),
        print::Column("Containers", "Names of the template's containers.", 1),
        print::Column("Images", "Images of the template's containers.", 1),
        print::Column("Selector", "Label selector of the job's pods.", 1)};
    return kCols;
  }

  json Cells(const json& job, SystemTime now) const override {
    std::string status = "Running";
    if (HasCondition(job, "Complete")) {
      status = "Complete";
    } else if (HasCondition(job, "Failed")) {
      status = "Failed";
    } else if (jsonx::Has(jsonx::Child(job, "metadata"), "deletionTimestamp")) {
      status = "Terminating";
    } else if (HasCondition(job, "Suspended")) {
      status = "Suspended";
    } else if (HasCondition(job, "FailureTarget")) {
      status = "FailureTarget";
    } else if (HasCondition(job, "SuccessCriteriaMet")) {
      status = "SuccessCriteriaMet";
    }
    const std::string succeeded = std::to_string(Int(job, "status.succeeded"));
    std::string completions;
    if (jsonx::Has(jsonx::Child(job, "spec"), "completions")) {
      completions = succeeded + "/" + std::to_string(Int(job, "spec.completions"));
    } else if (Int(job, "spec.parallelism") > 1) {
      completions = succeeded + "/1 of " + std::to_string(Int(job, "spec.parallelism"));
    } else {
      completions = succeeded + "/1";
    }
    std::string duration;
    auto start = ParseRfc3339(Str(job, "status.startTime"));
    if (start) {
      auto end = ParseRfc3339(Str(job, "status.completionTime"));
      duration = HumanDuration(std::chrono::duration_cast<std::chrono::seconds>((end ? *end : now) - *start));
    }
    auto [names, images] = print::ContainerCells(jsonx::At(job, "spec.template.spec"));
    const json& sel = jsonx::At(job, "spec.selector");
    return json::array({Str(job, "metadata.name"), status, completions, duration, print::Age(job, now), names, images,
                        sel.is_null() ? std::string("<none>") : print::FormatLabelSelector(sel)});
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"status.successful"}; }

 protected:
  void Default(json& job) const override {
    json* spec = jsonx::Object(job, "spec");
    if (spec == nullptr) return;
    if (!jsonx::Has(*spec, "completions") && !jsonx::Has(*spec, "parallelism")) (*spec)["completions"] = 1;
    jsonx::Default(*spec, "parallelism", 1);
    jsonx::Default(*spec, "backoffLimit", jsonx::Has(*spec, "backoffLimitPerIndex") ? 2147483647 : 6);
    jsonx::Default(*spec, "completionMode", "NonIndexed");
    jsonx::Default(*spec, "suspend", false);
    if (json* rules = jsonx::Has(*spec, "podFailurePolicy") && (*spec)["podFailurePolicy"].is_object()
                          ? jsonx::Array((*spec)["podFailurePolicy"], "rules")
                          : nullptr) {
      for (auto& rule : *rules) {
        json* patterns = rule.is_object() ? jsonx::Array(rule, "onPodConditions") : nullptr;
        if (patterns == nullptr) continue;
        for (auto& p : *patterns) {
          if (p.is_object() && Str(p, "status").empty()) p["status"] = "True";
        }
      }
    }
    jsonx::Default(*spec, "podReplacementPolicy",
                   jsonx::Has(*spec, "podFailurePolicy") ? "Failed" : "TerminatingOrFailed");
    if (jsonx::Has(*spec, "template")) {
      if (json* tpl = jsonx::Object(*spec, "template")) DefaultPodTemplateSpec(*tpl);
    }
    CopyTemplateLabels(job);
  }

  void PrepareCreate(json& job) const override {
    job["status"] = json::object();
    if (!jsonx::Bool(job, "spec.manualSelector")) GenerateSelector(job);
    CopyTemplateLabels(job);
  }

  void ValidateSpec(const json& job, std::vector<FieldCause>& errs) const override { ValidateJob(job, errs); }

  void ValidateCreate(const json& job, std::vector<FieldCause>& errs) const override {
    // New jobs must carry the batch.kubernetes.io/ labels too (older ones only the legacy pair).
    if (GeneratedSelectorChecked(job)) {
      RequireLabel(job, kControllerUid, Str(job, "metadata.uid"), errs);
      RequireLabel(job, kJobName, Str(job, "metadata.name"), errs);
    }
  }

  void ValidateSpecUpdate(const json& job, const json& old, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(job, "spec");
    const json& old_spec = jsonx::Child(old, "spec");
    // Elastic indexed jobs may change completions together with parallelism.
    const bool elastic = Str(spec, "completionMode") == "Indexed" && jsonx::Has(spec, "completions") &&
                         Int(spec, "completions") == Int(spec, "parallelism", -1) && jsonx::Has(old_spec, "completions") &&
                         Int(old_spec, "completions") == Int(old_spec, "parallelism", -1);
    if (!elastic) Immutable(spec, old_spec, "completions", errs);
    if (jsonx::Child(spec, "selector") != jsonx::Child(old_spec, "selector")) {
      errs.push_back(v::Invalid("spec.selector", v::GoLabelSelector(jsonx::Child(spec, "selector")), "field is immutable"));
    }
    json tpl = jsonx::Child(spec, "template");
    json old_tpl = jsonx::Child(old_spec, "template");
    // Scheduling directives stay mutable while the job is suspended and has never started.
    if (jsonx::Bool(old_spec, "suspend") && !jsonx::Has(jsonx::Child(old, "status"), "startTime") && tpl.is_object() &&
        old_tpl.is_object()) {
      for (const char* key : {"labels", "annotations"}) {
        if (old_tpl.contains("metadata") && old_tpl["metadata"].is_object()) old_tpl["metadata"].erase(key);
        if (tpl.contains("metadata") && tpl["metadata"].is_object()) tpl["metadata"].erase(key);
      }
      for (const char* key : {"nodeSelector", "tolerations", "affinity", "schedulingGates"}) {
        if (old_tpl.contains("spec") && old_tpl["spec"].is_object()) old_tpl["spec"].erase(key);
        if (tpl.contains("spec") && tpl["spec"].is_object()) tpl["spec"].erase(key);
      }
    }
    if (tpl != old_tpl) {
      errs.push_back(v::Invalid("spec.template", "core.PodTemplateSpec{...}", "field is immutable"));
    }
    for (const char* key : {"completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"}) {
      Immutable(spec, old_spec, key, errs);
    }
  }

  void AddFields(const json& job, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("status.successful", std::to_string(Int(job, "status.succeeded")));
  }

 private:
  static void Immutable(const json& spec, const json& old_spec, const char* key, std::vector<FieldCause>& errs) {
    const json& now = jsonx::Child(spec, key);
    if (now != jsonx::Child(old_spec, key)) {
      std::string shown = now.is_object() || now.is_array() ? now.dump() : v::GoValue(now);
      errs.push_back(v::Invalid(std::string("spec.") + key, shown, "field is immutable"));
    }
  }

  // kube's Job defaulting copies the template's labels onto a job that has none (it runs again on
  // every read, so the labels the selector generation adds end up on the job too).
  static void CopyTemplateLabels(json& job) {
    const json& tpl_labels = jsonx::At(job, "spec.template.metadata.labels");
    if (!tpl_labels.is_object()) return;
    json* meta = jsonx::Object(job, "metadata");
    if (meta != nullptr && jsonx::Size(*meta, "labels") == 0) (*meta)["labels"] = tpl_labels;
  }

  static void GenerateSelector(json& job) {
    json* spec = jsonx::Object(job, "spec");
    json* tpl = spec != nullptr ? jsonx::Object(*spec, "template") : nullptr;
    json* meta = tpl != nullptr ? jsonx::Object(*tpl, "metadata") : nullptr;
    json* labels = meta != nullptr ? jsonx::Object(*meta, "labels") : nullptr;
    if (labels == nullptr) return;
    const std::string name = Str(job, "metadata.name"), uid = Str(job, "metadata.uid");
    // Labels the user set are kept (and checked by validation).
    for (const char* key : {kLegacyJobName, kJobName}) jsonx::Default(*labels, key, name);
    for (const char* key : {kLegacyControllerUid, kControllerUid}) jsonx::Default(*labels, key, uid);
    json* sel = jsonx::Object(*spec, "selector");
    json* match = sel != nullptr ? jsonx::Object(*sel, "matchLabels") : nullptr;
    if (match != nullptr) jsonx::Default(*match, kControllerUid, uid);
  }

  static bool GeneratedSelectorChecked(const json& job) {
    return !jsonx::Bool(job, "spec.manualSelector") && jsonx::At(job, "spec.template.metadata.labels").is_object() &&
           jsonx::Has(jsonx::Child(job, "spec"), "selector");
  }

  static void ValidateJob(const json& job, std::vector<FieldCause>& errs) {
    const std::string name = Str(job, "metadata.name"), uid = Str(job, "metadata.uid");
    // validateGeneratedSelector: the template carries this job's labels and the selector selects them.
    if (GeneratedSelectorChecked(job)) {
      if (uid.empty()) errs.push_back(v::Required("metadata.uid"));
      RequireLabel(job, kLegacyControllerUid, uid, errs);
      RequireLabel(job, kLegacyJobName, name, errs);
      auto selector = LabelSelector::FromJson(jsonx::At(job, "spec.selector"));
      bool ok = selector && (selector->MatchesJson(json{{kControllerUid, uid}}) ||
                             selector->MatchesJson(json{{kLegacyControllerUid, uid}}));
      if (selector && !ok) {
        errs.push_back(
            v::Invalid("spec.selector", v::GoLabelSelector(jsonx::At(job, "spec.selector")), "`selector` not auto-generated"));
      }
    }
    const json& spec = jsonx::Child(job, "spec");
    ValidateJobSpecCommon(spec, "spec", errs);
    const json& sel = jsonx::Child(spec, "selector");
    if (sel.is_null()) {
      errs.push_back(v::Required("spec.selector"));
    } else {
      v::ValidateLabelSelector(sel, "spec.selector", errs);
    }
    auto selector = LabelSelector::FromJson(sel);
    const json& tpl_labels = jsonx::At(spec, "template.metadata.labels");
    if (selector && !selector->MatchesJson(tpl_labels)) {
      errs.push_back(v::Invalid("spec.template.metadata.labels", v::GoStringMap(tpl_labels),
                                "`selector` does not match template `labels`"));
    }
    if (Str(spec, "completionMode") == "Indexed" && Int(spec, "completions") > 0) {
      // Pods of an indexed job are named <job>-<index> and need a valid hostname.
      std::string widest = name + "-" + std::to_string(Int(spec, "completions") - 1);
      if (!v::IsDns1123Label(widest).empty()) {
        errs.push_back(v::Invalid("metadata.name", v::GoQuote(name),
                                  "will not able to create pod with invalid DNS label: " + widest));
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeJobStrategy() { return std::make_shared<JobStrategy>(); }

}  // namespace vkube::resource
