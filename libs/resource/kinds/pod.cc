// core/v1 Pod: defaulting, validation, printing and selectable fields as kube-apiserver 1.32.
#include <set>

#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/kind_strategy.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using print::Int;
using print::Str;

void DefaultContainer(json& c) {
  if (!c.is_object()) return;
  if (!c.contains("imagePullPolicy")) {
    std::string image = c.value("image", "");
    // Tag after the last '/' segment; digests pin the image too.
    auto slash = image.rfind('/');
    std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
    bool has_digest = image.find('@') != std::string::npos;
    auto colon = last.find(':');
    std::string tag = colon == std::string::npos ? "" : last.substr(colon + 1);
    c["imagePullPolicy"] = (!has_digest && (tag.empty() || tag == "latest")) ? "Always" : "IfNotPresent";
  }
  if (!c.contains("terminationMessagePath")) c["terminationMessagePath"] = "/dev/termination-log";
  if (!c.contains("terminationMessagePolicy")) c["terminationMessagePolicy"] = "File";
  if (!c.contains("resources")) c["resources"] = json::object();
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& p : c["ports"]) {
      if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
    }
  }
}

std::string QosClass(const json& spec) {
  bool any = false, all_guaranteed = true;
  const json& cs = print::At(spec, "containers");
  if (!cs.is_array()) return "BestEffort";
  for (const auto& c : cs) {
    const json& req = print::At(c, "resources.requests");
    const json& lim = print::At(c, "resources.limits");
    bool has_req = req.is_object() && !req.empty();
    bool has_lim = lim.is_object() && !lim.empty();
    if (has_req || has_lim) any = true;
    bool g = has_lim && lim.contains("cpu") && lim.contains("memory") &&
             (!has_req || ((!req.contains("cpu") || req["cpu"] == lim["cpu"]) &&
                           (!req.contains("memory") || req["memory"] == lim["memory"])));
    if (!g) all_guaranteed = false;
  }
  if (!any) return "BestEffort";
  return all_guaranteed ? "Guaranteed" : "Burstable";
}

json PodCells(const json& pod, SystemTime now) {
  const json& spec = print::At(pod, "spec");
  const json& status = print::At(pod, "status");
  std::int64_t total = print::At(spec, "containers").is_array() ? static_cast<std::int64_t>(spec["containers"].size()) : 0;
  std::int64_t ready = 0, restarts = 0;
  std::string reason = Str(status, "phase", "Pending");
  if (!Str(status, "reason").empty()) reason = Str(status, "reason");
  std::string last_restart;

  // Init containers first, like kube's printPod.
  bool initializing = false;
  const json& init_statuses = print::At(status, "initContainerStatuses");
  if (init_statuses.is_array()) {
    std::int64_t n_init = static_cast<std::int64_t>(init_statuses.size());
    for (std::int64_t i = 0; i < n_init; ++i) {
      const json& cs = init_statuses[static_cast<std::size_t>(i)];
      restarts += Int(cs, "restartCount");
      std::string term_reason = Str(cs, "state.terminated.reason");
      if (print::At(cs, "state.terminated").is_object() && Int(cs, "state.terminated.exitCode") == 0) continue;
      if (print::At(cs, "state.terminated").is_object()) {
        reason = "Init:" + (term_reason.empty() ? "ExitCode:" + std::to_string(Int(cs, "state.terminated.exitCode"))
                                                : term_reason);
      } else if (!Str(cs, "state.waiting.reason").empty() && Str(cs, "state.waiting.reason") != "PodInitializing") {
        reason = "Init:" + Str(cs, "state.waiting.reason");
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(n_init);
      }
      initializing = true;
      break;
    }
  }
  if (!initializing) {
    restarts = 0;
    bool has_running = false;
    const json& statuses = print::At(status, "containerStatuses");
    if (statuses.is_array()) {
      for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
        const json& cs = *it;
        restarts += Int(cs, "restartCount");
        std::string finished = Str(cs, "lastState.terminated.finishedAt");
        if (!finished.empty() && finished > last_restart) last_restart = finished;
        if (!Str(cs, "state.waiting.reason").empty()) {
          reason = Str(cs, "state.waiting.reason");
        } else if (!Str(cs, "state.terminated.reason").empty()) {
          reason = Str(cs, "state.terminated.reason");
        } else if (print::At(cs, "state.terminated").is_object()) {
          std::int64_t sig = Int(cs, "state.terminated.signal");
          reason = sig != 0 ? "Signal:" + std::to_string(sig)
                            : "ExitCode:" + std::to_string(Int(cs, "state.terminated.exitCode"));
        } else if (print::At(cs, "ready").is_boolean() && cs["ready"].get<bool>() &&
                   print::At(cs, "state.running").is_object()) {
          has_running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && has_running) reason = "Running";
  }
  if (!Str(pod, "metadata.deletionTimestamp").empty()) {
    reason = Str(status, "reason") == "NodeLost" ? "Unknown" : "Terminating";
  }
  std::string restarts_text = std::to_string(restarts);
  if (restarts > 0 && !last_restart.empty()) restarts_text += " (" + print::AgeOf(last_restart, now) + " ago)";
  std::string gates = "<none>";
  const json& rg = print::At(spec, "readinessGates");
  if (rg.is_array() && !rg.empty()) {
    std::int64_t true_count = 0;
    const json& conds = print::At(status, "conditions");
    for (const auto& g : rg) {
      std::string type = Str(g, "conditionType");
      if (conds.is_array()) {
        for (const auto& c : conds) {
          if (Str(c, "type") == type && Str(c, "status") == "True") ++true_count;
        }
      }
    }
    gates = std::to_string(true_count) + "/" + std::to_string(rg.size());
  }
  return json::array({Str(pod, "metadata.name"), std::to_string(ready) + "/" + std::to_string(total), reason,
                      restarts_text, print::Age(pod, now), print::OrNone(Str(status, "podIP")),
                      print::OrNone(Str(spec, "nodeName")), print::OrNone(Str(status, "nominatedNodeName")), gates});
}

}  // namespace

void DefaultPodSpec(json& spec) {
  if (!spec.is_object()) return;
  if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
  if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
  if (!spec.contains("securityContext")) spec["securityContext"] = json::object();
  if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
  for (const char* list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (auto& c : spec[list]) DefaultContainer(c);
    }
  }
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    for (auto& v : spec["volumes"]) {
      if (!v.is_object()) continue;
      for (const char* src : {"configMap", "secret"}) {
        if (v.contains(src) && v[src].is_object() && !v[src].contains("defaultMode")) v[src]["defaultMode"] = 420;
      }
    }
  }
}

void ValidatePodSpec(const json& spec, const std::string& path, std::vector<FieldCause>& errs) {
  const json& cs = print::At(spec, "containers");
  if (!cs.is_array() || cs.empty()) {
    errs.push_back({"FieldValueRequired", "Required value", path + ".containers"});
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    std::string p = path + ".containers[" + std::to_string(i) + "]";
    std::string name = Str(cs[i], "name");
    if (name.empty()) {
      errs.push_back({"FieldValueRequired", "Required value", p + ".name"});
    } else if (!names.insert(name).second) {
      errs.push_back({"FieldValueDuplicate", "Duplicate value: \"" + name + "\"", p + ".name"});
    }
    if (Str(cs[i], "image").empty()) errs.push_back({"FieldValueRequired", "Required value", p + ".image"});
  }
  std::string rp = Str(spec, "restartPolicy");
  if (!rp.empty() && rp != "Always" && rp != "OnFailure" && rp != "Never") {
    errs.push_back({"FieldValueNotSupported",
                    "Unsupported value: \"" + rp + "\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                    path + ".restartPolicy"});
  }
}

std::shared_ptr<const Strategy> MakePodStrategy() {
  KindSpec s;
  s.traits = {true, false, false, "Pod"};
  s.columns = {{"Name", "string", "name", "Name of the pod.", 0},
               {"Ready", "string", "", "Ready containers out of all containers.", 0},
               {"Status", "string", "", "Aggregate state of the pod as kubectl reports it.", 0},
               {"Restarts", "string", "", "Container restarts, with the time of the last one.", 0},
               {"Age", "string", "", "Time since creation.", 0},
               {"IP", "string", "", "Pod IP address.", 1},
               {"Node", "string", "", "Node the pod is bound to.", 1},
               {"Nominated Node", "string", "", "Node nominated by preemption.", 1},
               {"Readiness Gates", "string", "", "Satisfied readiness gates.", 1}};
  s.cells = PodCells;
  s.defaults = [](json& pod) {
    DefaultPodSpec(pod["spec"]);
    auto& spec = pod["spec"];
    if (!spec.contains("enableServiceLinks")) spec["enableServiceLinks"] = true;
    if (!spec.contains("priority")) spec["priority"] = 0;
    if (!spec.contains("preemptionPolicy")) spec["preemptionPolicy"] = "PreemptLowerPriority";
    if (!spec.contains("serviceAccountName")) spec["serviceAccountName"] = "default";
    if (!spec.contains("serviceAccount")) spec["serviceAccount"] = spec["serviceAccountName"];
    if (!spec.contains("tolerations")) {
      // DefaultTolerationSeconds admission.
      spec["tolerations"] = json::array();
      for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
        spec["tolerations"].push_back(
            {{"key", key}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 300}});
      }
    }
    if (!pod.contains("status") || !pod["status"].is_object()) pod["status"] = json::object();
    if (!pod["status"].contains("phase")) pod["status"]["phase"] = "Pending";
    if (!pod["status"].contains("qosClass")) pod["status"]["qosClass"] = QosClass(spec);
  };
  s.validate = [](const json& pod, std::vector<FieldCause>& errs) { ValidatePodSpec(print::At(pod, "spec"), "spec", errs); };
  s.validate_update = [](const json& pod, const json& old, std::vector<FieldCause>& errs) {
    // Pod spec is immutable except images, activeDeadlineSeconds, tolerations (additions).
    json a = print::At(pod, "spec"), b = print::At(old, "spec");
    for (json* x : {&a, &b}) {
      if (!x->is_object()) continue;
      x->erase("activeDeadlineSeconds");
      x->erase("tolerations");
      for (const char* list : {"containers", "initContainers"}) {
        if (x->contains(list) && (*x)[list].is_array()) {
          for (auto& c : (*x)[list]) {
            if (c.is_object()) c.erase("image");
          }
        }
      }
    }
    if (a != b) {
      errs.push_back({"FieldValueForbidden",
                      "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                      "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                      "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
                      "to 1 if it was previously negative)",
                      "spec"});
    }
  };
  s.extra_fields = {"spec.nodeName",   "spec.restartPolicy", "spec.schedulerName",     "spec.serviceAccountName",
                    "spec.hostNetwork", "status.phase",       "status.podIP",           "status.nominatedNodeName"};
  s.fields = [](const json& pod, FieldList& f) {
    f.emplace_back("spec.nodeName", Str(pod, "spec.nodeName"));
    f.emplace_back("spec.restartPolicy", Str(pod, "spec.restartPolicy"));
    f.emplace_back("spec.schedulerName", Str(pod, "spec.schedulerName"));
    f.emplace_back("spec.serviceAccountName", Str(pod, "spec.serviceAccountName"));
    f.emplace_back("spec.hostNetwork", print::At(pod, "spec.hostNetwork").is_boolean() && pod["spec"]["hostNetwork"].get<bool>()
                                           ? "true" : "false");
    f.emplace_back("status.phase", Str(pod, "status.phase"));
    f.emplace_back("status.podIP", Str(pod, "status.podIP"));
    f.emplace_back("status.nominatedNodeName", Str(pod, "status.nominatedNodeName"));
  };
  return std::make_shared<KindStrategy>(std::move(s));
}

}  // namespace vkube::resource
