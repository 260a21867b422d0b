// apps/v1 workloads: deployments, replicasets, statefulsets, daemonsets.
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/kind_strategy.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using print::Int;
using print::Str;

using print::AgeCol;
using print::Col;
using print::NameCol;

void DefaultTemplate(json& o) {
  auto& spec = o["spec"];
  if (!spec.is_object()) return;
  if (spec.contains("template") && spec["template"].is_object()) {
    auto& tpl = spec["template"];
    if (!tpl.contains("metadata")) tpl["metadata"] = json::object();
    if (!tpl["metadata"].contains("creationTimestamp")) tpl["metadata"]["creationTimestamp"] = nullptr;
    DefaultPodSpec(tpl["spec"]);
  }
}

// spec.selector required and matching spec.template.metadata.labels (apps/v1 validation).
void ValidateSelector(const json& o, const std::string& kind, std::vector<FieldCause>& errs) {
  const json& sel = print::At(o, "spec.selector");
  if (!sel.is_object() || sel.empty()) {
    errs.push_back({"FieldValueRequired", "Required value", "spec.selector"});
    return;
  }
  const json& labels = print::At(o, "spec.template.metadata.labels");
  const json& ml = print::At(sel, "matchLabels");
  bool matches = true;
  if (ml.is_object()) {
    for (auto& [k, v] : ml.items()) {
      if (!labels.is_object() || !labels.contains(k) || labels[k] != v) matches = false;
    }
  }
  if (!matches) {
    errs.push_back({"FieldValueInvalid",
                    "Invalid value: " + labels.dump() + ": `selector` does not match template `labels`",
                    "spec.template.metadata.labels"});
  }
  ValidatePodSpec(print::At(o, "spec.template.spec"), "spec.template.spec", errs);
  if (Int(o, "spec.replicas", 0) < 0) {
    errs.push_back({"FieldValueInvalid", "Invalid value: " + std::to_string(Int(o, "spec.replicas")) +
                                             ": must be greater than or equal to 0",
                    "spec.replicas"});
  }
}

void SelectorImmutable(const json& o, const json& old, std::vector<FieldCause>& errs) {
  if (print::At(o, "spec.selector") != print::At(old, "spec.selector")) {
    errs.push_back({"FieldValueInvalid", "Invalid value: " + print::At(o, "spec.selector").dump() + ": field is immutable",
                    "spec.selector"});
  }
}

KindSpec Workload(const std::string& kind) {
  KindSpec s;
  s.traits = {true, true, false, kind};
  s.validate = [kind](const json& o, std::vector<FieldCause>& errs) { ValidateSelector(o, kind, errs); };
  s.validate_update = SelectorImmutable;
  return s;
}

std::string Ratio(std::int64_t a, std::int64_t b) { return std::to_string(a) + "/" + std::to_string(b); }

}  // namespace

std::shared_ptr<const Strategy> MakeDeploymentStrategy() {
  KindSpec s = Workload("Deployment");
  s.columns = {NameCol(),
               Col("Ready", "Ready replicas out of desired."),
               Col("Up-to-date", "Replicas at the latest template."),
               Col("Available", "Replicas available to users."),
               AgeCol(),
               Col("Containers", "Container names.", 1),
               Col("Images", "Container images.", 1),
               Col("Selector", "Pod label selector.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    const json& tpl = print::At(o, "spec.template.spec");
    return json::array({Str(o, "metadata.name"), Ratio(Int(o, "status.readyReplicas"), Int(o, "spec.replicas", 1)),
                        Int(o, "status.updatedReplicas"), Int(o, "status.availableReplicas"), print::Age(o, now),
                        print::ContainerNames(tpl), print::ContainerImages(tpl),
                        print::LabelSelectorText(print::At(o, "spec.selector"))});
  };
  s.defaults = [](json& o) {
    auto& spec = o["spec"];
    if (!spec.is_object()) return;
    if (!spec.contains("replicas")) spec["replicas"] = 1;
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("progressDeadlineSeconds")) spec["progressDeadlineSeconds"] = 600;
    if (!spec.contains("strategy") || !spec["strategy"].is_object()) spec["strategy"] = json::object();
    auto& st = spec["strategy"];
    if (!st.contains("type")) st["type"] = "RollingUpdate";
    if (st["type"] == "RollingUpdate") {
      if (!st.contains("rollingUpdate") || !st["rollingUpdate"].is_object()) st["rollingUpdate"] = json::object();
      if (!st["rollingUpdate"].contains("maxUnavailable")) st["rollingUpdate"]["maxUnavailable"] = "25%";
      if (!st["rollingUpdate"].contains("maxSurge")) st["rollingUpdate"]["maxSurge"] = "25%";
    }
    DefaultTemplate(o);
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeReplicaSetStrategy() {
  KindSpec s = Workload("ReplicaSet");
  s.columns = {NameCol(),
               Col("Desired", "Desired replicas.", 0, "integer"),
               Col("Current", "Created replicas.", 0, "integer"),
               Col("Ready", "Ready replicas.", 0, "integer"),
               AgeCol(),
               Col("Containers", "Container names.", 1),
               Col("Images", "Container images.", 1),
               Col("Selector", "Pod label selector.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    const json& tpl = print::At(o, "spec.template.spec");
    return json::array({Str(o, "metadata.name"), Int(o, "spec.replicas", 1), Int(o, "status.replicas"),
                        Int(o, "status.readyReplicas"), print::Age(o, now), print::ContainerNames(tpl),
                        print::ContainerImages(tpl), print::LabelSelectorText(print::At(o, "spec.selector"))});
  };
  s.defaults = [](json& o) {
    if (!o["spec"].is_object()) return;
    if (!o["spec"].contains("replicas")) o["spec"]["replicas"] = 1;
    DefaultTemplate(o);
  };
  s.extra_fields = {"status.replicas"};
  s.fields = [](const json& o, FieldList& f) { f.emplace_back("status.replicas", std::to_string(Int(o, "status.replicas"))); };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeStatefulSetStrategy() {
  KindSpec s = Workload("StatefulSet");
  s.columns = {NameCol(), Col("Ready", "Ready replicas out of desired."), AgeCol(),
               Col("Containers", "Container names.", 1), Col("Images", "Container images.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    const json& tpl = print::At(o, "spec.template.spec");
    return json::array({Str(o, "metadata.name"), Ratio(Int(o, "status.readyReplicas"), Int(o, "spec.replicas", 1)),
                        print::Age(o, now), print::ContainerNames(tpl), print::ContainerImages(tpl)});
  };
  s.defaults = [](json& o) {
    auto& spec = o["spec"];
    if (!spec.is_object()) return;
    if (!spec.contains("replicas")) spec["replicas"] = 1;
    if (!spec.contains("podManagementPolicy")) spec["podManagementPolicy"] = "OrderedReady";
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("updateStrategy")) {
      spec["updateStrategy"] = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"partition", 0}}}};
    }
    if (!spec.contains("persistentVolumeClaimRetentionPolicy")) {
      spec["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Retain"}, {"whenScaled", "Retain"}};
    }
    DefaultTemplate(o);
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

std::shared_ptr<const Strategy> MakeDaemonSetStrategy() {
  KindSpec s = Workload("DaemonSet");
  s.columns = {NameCol(),
               Col("Desired", "Nodes that should run the pod.", 0, "integer"),
               Col("Current", "Nodes running the pod.", 0, "integer"),
               Col("Ready", "Nodes with a ready pod.", 0, "integer"),
               Col("Up-to-date", "Nodes at the latest template.", 0, "integer"),
               Col("Available", "Nodes with an available pod.", 0, "integer"),
               Col("Node Selector", "Node selector of the template."),
               AgeCol(),
               Col("Containers", "Container names.", 1),
               Col("Images", "Container images.", 1),
               Col("Selector", "Pod label selector.", 1)};
  s.cells = [](const json& o, SystemTime now) {
    const json& tpl = print::At(o, "spec.template.spec");
    return json::array({Str(o, "metadata.name"), Int(o, "status.desiredNumberScheduled"),
                        Int(o, "status.currentNumberScheduled"), Int(o, "status.numberReady"),
                        Int(o, "status.updatedNumberScheduled"), Int(o, "status.numberAvailable"),
                        print::MapText(print::At(tpl, "nodeSelector")), print::Age(o, now), print::ContainerNames(tpl),
                        print::ContainerImages(tpl), print::LabelSelectorText(print::At(o, "spec.selector"))});
  };
  s.defaults = [](json& o) {
    auto& spec = o["spec"];
    if (!spec.is_object()) return;
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("updateStrategy")) {
      spec["updateStrategy"] = {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 1}, {"maxSurge", 0}}}};
    }
    DefaultTemplate(o);
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

}  // namespace vkube::resource
