// core/v1 Pod: defaulting (incl. the admission plugins that shape every pod: ServiceAccount,
// Priority, DefaultTolerationSeconds), validation, printing and selectable fields as kube-apiserver 1.32.
#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::At;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::int64_t kDefaultTolerationSeconds = 300;
constexpr std::int64_t kSystemClusterCritical = 2000000000;
constexpr std::int64_t kSystemNodeCritical = 2000001000;

// Fields a pod update may change (ValidatePodUpdate's list, without the diff kube appends).
constexpr std::string_view kPodUpdateForbidden =
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

bool HasCondition(const json& status, std::string_view type) {
  const json& conds = jsonx::Child(status, "conditions");
  if (!conds.is_array()) return false;
  return std::any_of(conds.begin(), conds.end(),
                     [&](const json& c) { return Str(c, "type") == type && Str(c, "status") == "True"; });
}

// DefaultTolerationSeconds admission: tolerate not-ready/unreachable nodes for 5 minutes unless
// the pod already tolerates those taints.
void AddDefaultTolerations(json& spec) {
  json& tols = spec["tolerations"];
  if (tols.is_null()) tols = json::array();
  if (!tols.is_array()) return;
  auto tolerates = [&](std::string_view key) {
    return std::any_of(tols.begin(), tols.end(), [&](const json& t) {
      std::string k = Str(t, "key"), e = Str(t, "effect");
      return (k == key || k.empty()) && (e == "NoExecute" || e.empty());
    });
  };
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    if (tolerates(key)) continue;
    tols.push_back({{"key", key},
                    {"operator", "Exists"},
                    {"effect", "NoExecute"},
                    {"tolerationSeconds", kDefaultTolerationSeconds}});
  }
}

std::vector<json> Tolerations(const json& spec) {
  const json& t = jsonx::Child(spec, "tolerations");
  return t.is_array() ? std::vector<json>(t.begin(), t.end()) : std::vector<json>();
}

class PodStrategy final : public Strategy {
 public:
  PodStrategy() : Strategy({.has_status = true, .kind = "Pod"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the pod, unique within its namespace."),
        print::Column("Ready", "Ready containers out of all containers (and restartable init containers)."),
        print::Column("Status", "Aggregate state of the pod, derived from its phase and container states."),
        print::Column("Restarts", "Container restarts, with the time since the last one."),
        print::AgeColumn(),
        print::Column("IP", "First IP address of the pod.", 1),
        print::Column("Node", "Node the pod is bound to.", 1),
        print::Column("Nominated Node", "Node nominated by preemption, before binding.", 1),
        print::Column("Readiness Gates", "Readiness gates whose condition is true, out of all gates.", 1)};
    return kCols;
  }

  json Cells(const json& pod, SystemTime now) const override;

  std::vector<std::string> ExtraSelectableFields() const override {
    return {"spec.nodeName",   "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase",       "status.podIP",       "status.podIPs",
            "status.nominatedNodeName"};
  }

 protected:
  void Default(json& pod) const override {
    json* spec = jsonx::Object(pod, "spec");
    if (!spec) return;
    DefaultPodSpec(*spec, /*is_pod=*/true);
    // v1 keeps the deprecated serviceAccount alias in step with serviceAccountName.
    if (Str(*spec, "serviceAccountName").empty() && !Str(*spec, "serviceAccount").empty()) {
      (*spec)["serviceAccountName"] = (*spec)["serviceAccount"];
    }
    if (!Str(*spec, "serviceAccountName").empty()) (*spec)["serviceAccount"] = (*spec)["serviceAccountName"];
  }

  void PrepareCreate(json& pod) const override {
    json* spec = jsonx::Object(pod, "spec");
    if (!spec) return;
    // ServiceAccount admission (token volume projection is the syncer's concern, not stored here).
    if (Str(*spec, "serviceAccountName").empty()) {
      (*spec)["serviceAccountName"] = "default";
      (*spec)["serviceAccount"] = "default";
    }
    // Priority admission: the two built-in classes, else the global default 0.
    std::string pc = Str(*spec, "priorityClassName");
    jsonx::Default(*spec, "priority",
                   pc == "system-node-critical"      ? kSystemNodeCritical
                   : pc == "system-cluster-critical" ? kSystemClusterCritical
                                                     : 0);
    jsonx::Default(*spec, "preemptionPolicy", "PreemptLowerPriority");
    AddDefaultTolerations(*spec);

    json status = {{"phase", "Pending"}, {"qosClass", PodQosClass(*spec)}};
    if (jsonx::Size(*spec, "schedulingGates") > 0) {
      status["conditions"] = json::array({{{"type", "PodScheduled"},
                                           {"status", "False"},
                                           {"lastProbeTime", nullptr},
                                           {"lastTransitionTime", nullptr},
                                           {"reason", "SchedulingGated"},
                                           {"message", "Scheduling is blocked due to non-empty scheduling gates"}}});
    }
    pod["status"] = std::move(status);
  }

  void ValidateSpec(const json& pod, std::vector<FieldCause>& errs) const override {
    ValidatePodSpec(jsonx::Child(pod, "spec"), "spec", errs);
  }

  void ValidateCreate(const json& pod, std::vector<FieldCause>& errs) const override {
    if (jsonx::Size(pod, "spec.ephemeralContainers") > 0) {
      errs.push_back(v::Forbidden("spec.ephemeralContainers", "cannot be set on create"));
    }
    if (!Str(pod, "spec.nodeName").empty() && jsonx::Size(pod, "spec.schedulingGates") > 0) {
      errs.push_back(v::Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
    }
  }

  void ValidateSpecUpdate(const json& pod, const json& old, std::vector<FieldCause>& errs) const override;

  void AddFields(const json& pod, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("spec.nodeName", Str(pod, "spec.nodeName"));
    f.emplace_back("spec.restartPolicy", Str(pod, "spec.restartPolicy"));
    f.emplace_back("spec.schedulerName", Str(pod, "spec.schedulerName"));
    f.emplace_back("spec.serviceAccountName", Str(pod, "spec.serviceAccountName"));
    f.emplace_back("spec.hostNetwork", jsonx::Bool(pod, "spec.hostNetwork") ? "true" : "false");
    f.emplace_back("status.phase", Str(pod, "status.phase"));
    f.emplace_back("status.podIP", PodIp(pod));
    f.emplace_back("status.nominatedNodeName", Str(pod, "status.nominatedNodeName"));
  }

 private:
  static std::string PodIp(const json& pod) {
    const json& ips = At(pod, "status.podIPs");
    if (ips.is_array() && !ips.empty()) return Str(ips[0], "ip");
    return Str(pod, "status.podIP");
  }
};

// printPod of kube-apiserver's printers.go, step by step.
json PodStrategy::Cells(const json& pod, SystemTime now) const {
  const json& spec = jsonx::Child(pod, "spec");
  const json& status = jsonx::Child(pod, "status");
  std::int64_t restarts = 0, sidecar_restarts = 0, ready = 0;
  std::int64_t total = static_cast<std::int64_t>(jsonx::Size(spec, "containers"));
  std::optional<SystemTime> last_restart, last_sidecar_restart;
  auto later = [](std::optional<SystemTime>& acc, const json& cs) {
    if (auto t = ParseRfc3339(Str(cs, "lastState.terminated.finishedAt")); t && (!acc || *t > *acc)) acc = t;
  };

  std::string phase = Str(status, "phase");
  std::string reason = Str(status, "reason").empty() ? phase : Str(status, "reason");
  const json& conds = jsonx::Child(status, "conditions");
  if (conds.is_array()) {
    for (const auto& c : conds) {
      if (Str(c, "type") == "PodScheduled" && Str(c, "reason") == "SchedulingGated") reason = "SchedulingGated";
    }
  }

  // Restartable init containers (sidecars) count as containers.
  std::vector<std::string> sidecars;
  std::size_t n_init = jsonx::Size(spec, "initContainers");
  if (n_init > 0) {
    for (const auto& c : spec["initContainers"]) {
      if (Str(c, "restartPolicy") == "Always") {
        sidecars.push_back(Str(c, "name"));
        ++total;
      }
    }
  }
  auto is_sidecar = [&](const json& cs) {
    return std::find(sidecars.begin(), sidecars.end(), Str(cs, "name")) != sidecars.end();
  };

  bool initializing = false;
  const json& init_statuses = jsonx::Child(status, "initContainerStatuses");
  if (init_statuses.is_array()) {
    for (std::size_t i = 0; i < init_statuses.size(); ++i) {
      const json& cs = init_statuses[i];
      restarts += Int(cs, "restartCount");
      later(last_restart, cs);
      if (is_sidecar(cs)) {
        sidecar_restarts += Int(cs, "restartCount");
        later(last_sidecar_restart, cs);
      }
      const json& terminated = At(cs, "state.terminated");
      if (terminated.is_object() && Int(terminated, "exitCode") == 0) continue;
      if (is_sidecar(cs) && jsonx::Bool(cs, "started")) {
        if (jsonx::Bool(cs, "ready")) ++ready;
        continue;
      }
      if (terminated.is_object()) {
        if (Str(terminated, "reason").empty()) {
          reason = Int(terminated, "signal") != 0 ? "Init:Signal:" + std::to_string(Int(terminated, "signal"))
                                                  : "Init:ExitCode:" + std::to_string(Int(terminated, "exitCode"));
        } else {
          reason = "Init:" + Str(terminated, "reason");
        }
      } else if (std::string w = Str(cs, "state.waiting.reason"); !w.empty() && w != "PodInitializing") {
        reason = "Init:" + w;
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(n_init);
      }
      initializing = true;
      break;
    }
  }

  if (!initializing || HasCondition(status, "Initialized")) {
    restarts = sidecar_restarts;
    last_restart = last_sidecar_restart;
    bool has_running = false;
    const json& statuses = jsonx::Child(status, "containerStatuses");
    if (statuses.is_array()) {
      for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
        const json& cs = *it;
        restarts += Int(cs, "restartCount");
        later(last_restart, cs);
        const json& terminated = At(cs, "state.terminated");
        if (!Str(cs, "state.waiting.reason").empty()) {
          reason = Str(cs, "state.waiting.reason");
        } else if (terminated.is_object() && !Str(terminated, "reason").empty()) {
          reason = Str(terminated, "reason");
        } else if (terminated.is_object()) {
          reason = Int(terminated, "signal") != 0 ? "Signal:" + std::to_string(Int(terminated, "signal"))
                                                  : "ExitCode:" + std::to_string(Int(terminated, "exitCode"));
        } else if (jsonx::Bool(cs, "ready") && At(cs, "state.running").is_object()) {
          has_running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && has_running) reason = HasCondition(status, "Ready") ? "Running" : "NotReady";
  }

  if (jsonx::Has(jsonx::Child(pod, "metadata"), "deletionTimestamp")) {
    if (Str(status, "reason") == "NodeLost") {
      reason = "Unknown";
    } else if (phase != "Failed" && phase != "Succeeded") {
      reason = "Terminating";
    }
  }

  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_text += " (" + HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *last_restart)) +
                     " ago)";
  }

  std::string gates = "<none>";
  const json& rg = jsonx::Child(spec, "readinessGates");
  if (rg.is_array() && !rg.empty()) {
    std::size_t true_count = 0;
    for (const auto& g : rg) {
      if (!conds.is_array()) break;
      for (const auto& c : conds) {
        if (Str(c, "type") == Str(g, "conditionType")) {
          if (Str(c, "status") == "True") ++true_count;
          break;
        }
      }
    }
    gates = std::to_string(true_count) + "/" + std::to_string(rg.size());
  }
  return json::array({Str(pod, "metadata.name"), std::to_string(ready) + "/" + std::to_string(total), reason,
                      restarts_text, print::Age(pod, now), print::OrNone(PodIp(pod)),
                      print::OrNone(Str(spec, "nodeName")), print::OrNone(Str(status, "nominatedNodeName")), gates});
}

void PodStrategy::ValidateSpecUpdate(const json& pod, const json& old, std::vector<FieldCause>& errs) const {
  const json& spec = jsonx::Child(pod, "spec");
  const json& old_spec = jsonx::Child(old, "spec");

  // activeDeadlineSeconds may be set or lowered, never raised or removed.
  if (jsonx::Has(spec, "activeDeadlineSeconds")) {
    std::int64_t now_ads = Int(spec, "activeDeadlineSeconds");
    if (jsonx::Has(old_spec, "activeDeadlineSeconds") && Int(old_spec, "activeDeadlineSeconds") < now_ads) {
      errs.push_back(v::Invalid("spec.activeDeadlineSeconds", std::to_string(now_ads),
                                "must be less than or equal to previous value"));
      return;
    }
  } else if (jsonx::Has(old_spec, "activeDeadlineSeconds")) {
    errs.push_back(
        v::Invalid("spec.activeDeadlineSeconds", "null", "must not update from a positive integer to nil value"));
  }

  // Tolerations: existing ones stay (tolerationSeconds may change), new ones may be added.
  auto now_tols = Tolerations(spec);
  for (json t : Tolerations(old_spec)) {
    if (t.is_object()) t.erase("tolerationSeconds");
    bool kept = std::any_of(now_tols.begin(), now_tols.end(), [&](json n) {
      if (n.is_object()) n.erase("tolerationSeconds");
      return n == t;
    });
    if (!kept) {
      errs.push_back(v::Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
      break;
    }
  }

  // Scheduling gates may only be removed.
  const json& gates = jsonx::Child(spec, "schedulingGates");
  const json& old_gates = jsonx::Child(old_spec, "schedulingGates");
  if (gates.is_array()) {
    for (const auto& g : gates) {
      bool existed = old_gates.is_array() && std::find(old_gates.begin(), old_gates.end(), g) != old_gates.end();
      if (!existed) {
        errs.push_back(v::Forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate '" +
                                                                Str(g, "name") + "'"));
      }
    }
  }

  // Everything else is immutable: compare with the mutable parts masked out.
  auto munge = [](json s) {
    if (!s.is_object()) return s;
    for (const char* k : {"activeDeadlineSeconds", "tolerations", "schedulingGates"}) s.erase(k);
    for (const char* list : {"containers", "initContainers"}) {
      if (json* cs = jsonx::Array(s, list)) {
        for (auto& c : *cs) {
          if (c.is_object()) c.erase("image");
        }
      }
    }
    return s;
  };
  json a = munge(spec), b = munge(old_spec);
  // terminationGracePeriodSeconds may go from a negative value to 1.
  if (Int(old_spec, "terminationGracePeriodSeconds") < 0 && Int(spec, "terminationGracePeriodSeconds") == 1 &&
      a.is_object() && b.is_object()) {
    a.erase("terminationGracePeriodSeconds");
    b.erase("terminationGracePeriodSeconds");
  }
  if (a != b) errs.push_back(v::Forbidden("spec", kPodUpdateForbidden));
}

}  // namespace

std::shared_ptr<const Strategy> MakePodStrategy() { return std::make_shared<PodStrategy>(); }

}  // namespace vkube::resource
