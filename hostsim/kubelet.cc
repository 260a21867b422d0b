#include "hostsim/kubelet.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "hostsim/ids.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using controllers::Outcome;
using nlohmann::json;

namespace {

constexpr const char* kKubelet = "kubelet";
constexpr std::chrono::seconds kIpRetry{10};

struct Container {
  std::string name;
  std::string image;
  std::string pull_policy;
  bool init = false;     // spec.initContainers
  bool sidecar = false;  // init container with restartPolicy Always
};

std::vector<Container> ContainersOf(const json& pod) {
  std::vector<Container> out;
  for (const char* list : {"initContainers", "containers"}) {
    const json& cs = jsonx::Child(jsonx::Child(pod, "spec"), list);
    if (!cs.is_array()) continue;
    for (const auto& c : cs) {
      const bool init = std::string_view(list) == "initContainers";
      out.push_back(Container{jsonx::Str(c, "name"), jsonx::Str(c, "image"), jsonx::Str(c, "imagePullPolicy"), init,
                              init && jsonx::Str(c, "restartPolicy") == "Always"});
    }
  }
  return out;
}

std::string ContainerId(const std::string& uid, const std::string& name, std::int64_t run) {
  return "containerd://" + Sha256Hex(uid + "/" + name + "/" + std::to_string(run));
}

std::string ImageId(const std::string& image) {
  const std::string ref = NormalizeImage(image);
  if (auto at = ref.find('@'); at != std::string::npos) return ref;
  const auto colon = ref.rfind(':');
  const auto slash = ref.rfind('/');
  const std::string repo = colon != std::string::npos && colon > slash ? ref.substr(0, colon) : ref;
  return repo + "@sha256:" + Sha256Hex("image:" + ref);
}

std::string FieldPath(const Container& c) {
  return std::string(c.init ? "spec.initContainers{" : "spec.containers{") + c.name + "}";
}

// Pod conditions in the kubelet's order, transition times kept where the status did not change.
json Conditions(const json& old_status, const std::vector<std::array<std::string, 4>>& want, const std::string& now) {
  const json& old = jsonx::Child(old_status, "conditions");
  auto previous = [&](const std::string& type) -> const json* {
    if (!old.is_array()) return nullptr;
    for (const auto& c : old) {
      if (jsonx::Str(c, "type") == type) return &c;
    }
    return nullptr;
  };
  json out = json::array();
  for (const auto& [type, status, reason, message] : want) {
    json c = {{"type", type}, {"status", status}, {"lastProbeTime", nullptr}, {"lastTransitionTime", now}};
    if (const json* p = previous(type);
        p && jsonx::Str(*p, "status") == status && jsonx::Has(*p, "lastTransitionTime")) {
      c["lastTransitionTime"] = (*p)["lastTransitionTime"];
    }
    if (!reason.empty()) c["reason"] = reason;
    if (!message.empty()) c["message"] = message;
    out.push_back(std::move(c));
  }
  // PodScheduled (the scheduler's) stays as it is, last like the kubelet lists it.
  if (const json* p = previous("PodScheduled")) {
    out.push_back(*p);
  } else {
    out.push_back(
        {{"type", "PodScheduled"}, {"status", "True"}, {"lastProbeTime", nullptr}, {"lastTransitionTime", now}});
  }
  return out;
}

json RunningState(const std::string& ts) { return json{{"running", {{"startedAt", ts}}}}; }

json ContainerStatus(const Container& c, const json& state, bool ready, std::int64_t restarts, const json& last_state,
                     const std::string& container_id) {
  json s = {{"name", c.name},
            {"state", state},
            {"lastState", last_state.is_object() ? last_state : json::object()},
            {"ready", ready},
            {"restartCount", restarts},
            {"image", NormalizeImage(c.image)},
            {"imageID", ImageId(c.image)},
            {"started", state.contains("running")}};
  if (!container_id.empty()) s["containerID"] = container_id;
  return s;
}

std::string NotReadyMessage(const std::vector<std::string>& names) {
  std::string m = "containers with unready status: [";
  for (std::size_t i = 0; i < names.size(); ++i) m += (i ? " " : "") + names[i];
  return m + "]";
}

std::chrono::seconds Backoff(const SimConfig& cfg, std::int64_t restarts) {
  std::chrono::seconds d = cfg.restart_backoff;
  for (std::int64_t i = 1; i < restarts && d < cfg.max_restart_backoff; ++i) d *= 2;
  return std::min(d, cfg.max_restart_backoff);
}

std::chrono::milliseconds Until(SystemTime at, SystemTime now) {
  return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(at - now));
}

}  // namespace

RunPlan PlanFor(const json& pod, const SimConfig& cfg) {
  RunPlan plan;
  const json& annotations = jsonx::At(pod, "metadata.annotations");
  const std::string policy = jsonx::Str(pod, "spec.restartPolicy", "Always");
  if (policy != "Always") plan.run_time = cfg.default_run_time;
  const json& run = jsonx::Child(annotations, kRunSecondsAnnotation);
  if (run.is_string()) {
    char* end = nullptr;
    const std::string text = run.get<std::string>();
    const double secs = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0' && std::isfinite(secs) && secs >= 0 && secs < 1e9) {
      plan.run_time = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(secs * 1000)));
    }
  }
  const json& code = jsonx::Child(annotations, kExitCodeAnnotation);
  if (code.is_string()) {
    char* end = nullptr;
    const std::string text = code.get<std::string>();
    const long v = std::strtol(text.c_str(), &end, 10);
    if (end != text.c_str() && *end == '\0' && v >= 0 && v <= 255) plan.exit_code = static_cast<int>(v);
  }
  return plan;
}

Kubelet::Kubelet(controllers::ControllerContext ctx, std::shared_ptr<const SimConfig> cfg,
                 std::shared_ptr<EventRecorder> events, std::shared_ptr<IpAllocator> ips)
    : QueueController(std::move(ctx), controllers::WorkQueueOptions{.max_workers = 4}),
      cfg_(std::move(cfg)),
      events_(std::move(events)),
      ips_(std::move(ips)) {}

bool Kubelet::OnSimulatedNode(const store::ObjectPtr& obj) const {
  // The stored field index already has spec.nodeName: no parse for the pods of other nodes.
  for (const auto& [k, v] : obj->attrs.fields) {
    if (k == "spec.nodeName") return cfg_->NodeIndex(v) >= 0;
  }
  return false;
}

void Kubelet::Register(controllers::SharedInformer& informer) {
  informer.AddHandler(
      {.resource = "pods",
       .on_add =
           [this](const store::ObjectPtr& p) {
             if (!OnSimulatedNode(p)) return;
             // Pods that were running before a restart keep their addresses.
             const json pod = controllers::Parse(p);
             const std::string phase = jsonx::Str(pod, "status.phase");
             const std::string ip = jsonx::Str(pod, "status.podIP");
             if (!ip.empty() && phase != "Succeeded" && phase != "Failed" && !jsonx::Bool(pod, "spec.hostNetwork")) {
               ips_->Reserve(cfg_->NodeIndex(jsonx::Str(pod, "spec.nodeName")), jsonx::Str(pod, "metadata.uid"), ip);
             }
             Enqueue(p);
           },
       .on_update =
           [this](const store::ObjectPtr&, const store::ObjectPtr& p) {
             if (OnSimulatedNode(p)) Enqueue(p);
           },
       .on_delete =
           [this](const store::ObjectPtr& p) {
             if (!OnSimulatedNode(p)) return;
             const std::string uid = jsonx::Str(controllers::Parse(p), "metadata.uid");
             ips_->Release(uid);
             std::lock_guard lock(mu_);
             started_.erase(uid);
           }});
}

Outcome Kubelet::Reconcile(const std::string& key) {
  const auto parts = controllers::SplitKey(key);
  auto obj = ctx_.informer->Get("pods", parts.first, parts.second);
  if (!obj) return Outcome::kDone;
  const json pod = controllers::Parse(obj);
  const int node = cfg_->NodeIndex(jsonx::Str(pod, "spec.nodeName"));
  if (node < 0) return Outcome::kDone;
  if (controllers::IsTerminating(pod)) return StopAndRemove(pod);
  const std::string phase = jsonx::Str(pod, "status.phase");
  if (phase == "Succeeded" || phase == "Failed") {
    ips_->Release(jsonx::Str(pod, "metadata.uid"));
    return Outcome::kDone;
  }
  if (jsonx::Size(pod, "status.containerStatuses") == 0) return StartPod(key, pod, node);
  return Advance(key, pod, node);
}

Outcome Kubelet::Write(const json& pod, const json& status) {
  const resource::Kind* pods = ctx_.objects->Find("", "pods");
  auto s = controllers::UpdateStatus(*ctx_.objects, *pods, pod, status);
  if (s) return Outcome::kDone;
  if (s.error().code != ErrorCode::kConflict) {
    VKUBE_LOG(kWarn) << "hostsim: status of pod " << jsonx::Str(pod, "metadata.namespace") << "/"
                     << jsonx::Str(pod, "metadata.name") << ": " << s.error().message;
  }
  return Outcome::kRetry;  // a conflict: our cache was behind, the newer state re-enqueues it anyway
}

Outcome Kubelet::StartPod(const std::string& key, const json& pod, int node) {
  const auto now = std::chrono::system_clock::now();
  const std::string ts = FormatRfc3339(now);
  const std::string uid = jsonx::Str(pod, "metadata.uid");
  const std::string host_ip = cfg_->NodeIp(node);
  std::string pod_ip = host_ip;
  if (!jsonx::Bool(pod, "spec.hostNetwork")) {
    auto ip = ips_->Allocate(node, uid);
    if (!ip) {
      if (events_) {
        events_->Emit(pod, "Warning", "FailedCreatePodSandBox",
                      "Failed to create pod sandbox: failed to allocate an IP address: no IP addresses available in "
                      "range set: 10.244." +
                          std::to_string(node) + ".2-10.244." + std::to_string(node) + ".254",
                      EventSource{kKubelet, cfg_->NodeName(node)});
      }
      EnqueueAfter(key, kIpRetry);
      return Outcome::kDone;
    }
    pod_ip = *ip;
  }
  json status = jsonx::At(pod, "status").is_object() ? pod["status"] : json::object();
  status["phase"] = "Running";
  status["hostIP"] = host_ip;
  status["hostIPs"] = json::array({{{"ip", host_ip}}});
  status["podIP"] = pod_ip;
  status["podIPs"] = json::array({{{"ip", pod_ip}}});
  status["startTime"] = ts;
  status["conditions"] = Conditions(status,
                                    {{"PodReadyToStartContainers", "True", "", ""},
                                     {"Initialized", "True", "", ""},
                                     {"Ready", "True", "", ""},
                                     {"ContainersReady", "True", "", ""}},
                                    ts);
  json init = json::array(), app = json::array();
  for (const auto& c : ContainersOf(pod)) {
    const std::string id = ContainerId(uid, c.name, 0);
    if (c.init && !c.sidecar) {
      // Regular init containers ran to completion before the app containers started.
      json done = {
          {"terminated",
           {{"exitCode", 0}, {"reason", "Completed"}, {"startedAt", ts}, {"finishedAt", ts}, {"containerID", id}}}};
      init.push_back(ContainerStatus(c, done, true, 0, json(), id));
    } else if (c.init) {
      init.push_back(ContainerStatus(c, RunningState(ts), true, 0, json(), id));
    } else {
      app.push_back(ContainerStatus(c, RunningState(ts), true, 0, json(), id));
    }
  }
  // The kubelet lists app container statuses by name, init containers in spec order.
  std::sort(app.begin(), app.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  if (!init.empty()) status["initContainerStatuses"] = std::move(init);
  status["containerStatuses"] = std::move(app);
  if (auto o = Write(pod, status); o != Outcome::kDone) return o;
  {
    std::lock_guard lock(mu_);
    started_[uid] = now;
  }
  EmitStartEvents(pod, node);
  if (auto plan = PlanFor(pod, *cfg_); plan.run_time) EnqueueAfter(key, *plan.run_time);
  return Outcome::kDone;
}

void Kubelet::EmitStartEvents(const json& pod, int node) {
  if (!events_ || !cfg_->events) return;
  const EventSource src{kKubelet, cfg_->NodeName(node)};
  for (const auto& c : ContainersOf(pod)) {
    const std::string path = FieldPath(c);
    if (c.pull_policy == "Always") {
      events_->Emit(pod, "Normal", "Pulling", "Pulling image \"" + c.image + "\"", src, path);
      events_->Emit(pod, "Normal", "Pulled",
                    "Successfully pulled image \"" + c.image + "\" in 0s (0s including waiting). Image size: 0 bytes.",
                    src, path);
    } else {
      events_->Emit(pod, "Normal", "Pulled", "Container image \"" + c.image + "\" already present on machine", src,
                    path);
    }
    events_->Emit(pod, "Normal", "Created", "Created container: " + c.name, src, path);
    events_->Emit(pod, "Normal", "Started", "Started container " + c.name, src, path);
  }
}

Outcome Kubelet::Advance(const std::string& key, const json& pod, int node) {
  const RunPlan plan = PlanFor(pod, *cfg_);
  if (!plan.run_time) return Outcome::kDone;  // runs until deleted
  const auto now = std::chrono::system_clock::now();
  const std::string ts = FormatRfc3339(now);
  const std::string uid = jsonx::Str(pod, "metadata.uid");
  const std::string name = jsonx::Str(pod, "metadata.name");
  json status = pod["status"];
  json& statuses = status["containerStatuses"];
  if (!statuses.is_array() || statuses.empty()) return Outcome::kDone;
  const json& first = statuses[0];
  const std::int64_t restarts = jsonx::Int(first, "restartCount");
  const std::string policy = jsonx::Str(pod, "spec.restartPolicy", "Always");

  if (jsonx::At(first, "state.running").is_object()) {
    SystemTime start = ParseRfc3339(jsonx::Str(first, "state.running.startedAt")).value_or(now);
    {
      std::lock_guard lock(mu_);
      if (auto it = started_.find(uid);
          it != started_.end() && it->second >= start && it->second - start < std::chrono::seconds(1)) {
        start = it->second;
      }
    }
    const SystemTime exit_at = start + *plan.run_time;
    if (now < exit_at) {
      EnqueueAfter(key, Until(exit_at, now));
      return Outcome::kDone;
    }
    // The containers exit.
    const bool restart = policy == "Always" || (policy == "OnFailure" && plan.exit_code != 0);
    const std::string reason = plan.exit_code == 0 ? "Completed" : "Error";
    std::vector<std::string> names;
    for (auto& cs : statuses) {
      json terminated = {{"exitCode", plan.exit_code},
                         {"reason", reason},
                         {"startedAt", jsonx::Str(cs, "state.running.startedAt", ts)},
                         {"finishedAt", ts},
                         {"containerID", jsonx::Str(cs, "containerID")}};
      names.push_back(jsonx::Str(cs, "name"));
      cs["ready"] = false;
      cs["started"] = false;
      if (restart) {
        const std::int64_t n = jsonx::Int(cs, "restartCount") + 1;
        cs["lastState"] = {{"terminated", std::move(terminated)}};
        cs["restartCount"] = n;
        cs["state"] = {{"waiting",
                        {{"reason", "CrashLoopBackOff"},
                         {"message", "back-off " + std::to_string(Backoff(*cfg_, n).count()) +
                                         "s restarting failed container=" + jsonx::Str(cs, "name") + " pod=" + name +
                                         "_" + jsonx::Str(pod, "metadata.namespace") + "(" + uid + ")"}}}};
      } else {
        cs["state"] = {{"terminated", std::move(terminated)}};
      }
    }
    if (restart) {
      const std::string why = NotReadyMessage(names);
      status["conditions"] = Conditions(status,
                                        {{"PodReadyToStartContainers", "True", "", ""},
                                         {"Initialized", "True", "", ""},
                                         {"Ready", "False", "ContainersNotReady", why},
                                         {"ContainersReady", "False", "ContainersNotReady", why}},
                                        ts);
    } else {
      const std::string why = plan.exit_code == 0 ? "PodCompleted" : "PodFailed";
      status["phase"] = plan.exit_code == 0 ? "Succeeded" : "Failed";
      status["conditions"] = Conditions(status,
                                        {{"PodReadyToStartContainers", "False", "", ""},
                                         {"Initialized", "True", why, ""},
                                         {"Ready", "False", why, ""},
                                         {"ContainersReady", "False", why, ""}},
                                        ts);
    }
    if (auto o = Write(pod, status); o != Outcome::kDone) return o;
    if (restart) {
      if (events_ && cfg_->events) {
        for (const auto& n : names) {
          events_->Emit(pod, "Warning", "BackOff",
                        "Back-off restarting failed container " + n + " in pod " + name + "_" +
                            jsonx::Str(pod, "metadata.namespace") + "(" + uid + ")",
                        EventSource{kKubelet, cfg_->NodeName(node)}, "spec.containers{" + n + "}");
        }
      }
      EnqueueAfter(key, Backoff(*cfg_, restarts + 1));
    } else {
      ips_->Release(uid);
      std::lock_guard lock(mu_);
      started_.erase(uid);
    }
    return Outcome::kDone;
  }

  if (jsonx::Str(first, "state.waiting.reason") == "CrashLoopBackOff") {
    auto finished = ParseRfc3339(jsonx::Str(first, "lastState.terminated.finishedAt"));
    const SystemTime restart_at = finished.value_or(now) + Backoff(*cfg_, restarts);
    if (now < restart_at) {
      EnqueueAfter(key, Until(restart_at, now));
      return Outcome::kDone;
    }
    for (auto& cs : statuses) {
      cs["state"] = RunningState(ts);
      cs["ready"] = true;
      cs["started"] = true;
      cs["containerID"] = ContainerId(uid, jsonx::Str(cs, "name"), jsonx::Int(cs, "restartCount"));
    }
    status["conditions"] = Conditions(status,
                                      {{"PodReadyToStartContainers", "True", "", ""},
                                       {"Initialized", "True", "", ""},
                                       {"Ready", "True", "", ""},
                                       {"ContainersReady", "True", "", ""}},
                                      ts);
    if (auto o = Write(pod, status); o != Outcome::kDone) return o;
    {
      std::lock_guard lock(mu_);
      started_[uid] = now;
    }
    if (events_ && cfg_->events) {
      const EventSource src{kKubelet, cfg_->NodeName(node)};
      for (const auto& c : ContainersOf(pod)) {
        if (c.init) continue;
        events_->Emit(pod, "Normal", "Pulled", "Container image \"" + c.image + "\" already present on machine", src,
                      FieldPath(c));
        events_->Emit(pod, "Normal", "Created", "Created container: " + c.name, src, FieldPath(c));
        events_->Emit(pod, "Normal", "Started", "Started container " + c.name, src, FieldPath(c));
      }
    }
    EnqueueAfter(key, *plan.run_time);
  }
  return Outcome::kDone;
}

Outcome Kubelet::StopAndRemove(const json& pod) {
  const std::string uid = jsonx::Str(pod, "metadata.uid");
  const std::string ns = jsonx::Str(pod, "metadata.namespace");
  const std::string name = jsonx::Str(pod, "metadata.name");
  // The containers stop at once (a simulated process exits on SIGTERM), then the final delete.
  // (Once: the final delete below leaves a pod with finalizers terminating with grace 0.)
  if (events_ && cfg_->events && jsonx::Str(pod, "status.phase") == "Running" &&
      jsonx::Int(pod, "metadata.deletionGracePeriodSeconds", 0) > 0) {
    const int node = cfg_->NodeIndex(jsonx::Str(pod, "spec.nodeName"));
    for (const auto& c : ContainersOf(pod)) {
      if (c.init && !c.sidecar) continue;
      events_->Emit(pod, "Normal", "Killing", "Stopping container " + c.name,
                    EventSource{kKubelet, cfg_->NodeName(node)}, FieldPath(c));
    }
  }
  const resource::Kind* pods = ctx_.objects->Find("", "pods");
  auto res = ctx_.objects->Delete(*pods, ns, name,
                                  registry::DeleteOptions{.uid_precondition = uid, .grace_period_seconds = 0});
  if (!res && res.error().code != ErrorCode::kNotFound && res.error().code != ErrorCode::kConflict) {
    VKUBE_LOG(kWarn) << "hostsim: deleting pod " << ns << "/" << name << ": " << res.error().message;
    return Outcome::kRetry;
  }
  if (res && !res->deleted) return Outcome::kDone;  // finalizers left: their owners finish it
  ips_->Release(uid);
  std::lock_guard lock(mu_);
  started_.erase(uid);
  return Outcome::kDone;
}

}  // namespace vkube::hostsim
