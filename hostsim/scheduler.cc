#include "hostsim/scheduler.h"

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/log.h"
#include "libs/registry/binding.h"
#include "libs/resource/json_access.h"
#include "libs/resource/status.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using controllers::Outcome;
using nlohmann::json;

namespace {

constexpr const char* kSchedulerName = "default-scheduler";

bool Terminal(const json& pod) {
  const std::string phase = jsonx::Str(pod, "status.phase");
  return phase == "Succeeded" || phase == "Failed";
}

bool NeedsScheduling(const json& pod) {
  if (!jsonx::Str(pod, "spec.nodeName").empty() || controllers::IsTerminating(pod) || Terminal(pod)) return false;
  const std::string scheduler = jsonx::Str(pod, "spec.schedulerName");
  if (!scheduler.empty() && scheduler != kSchedulerName) return false;
  return jsonx::Size(pod, "spec.schedulingGates") == 0;
}

void Add(ResourceList& into, const ResourceList& r, int sign) {
  for (const auto& [k, v] : r) into[k] += sign * v;
}

// status with PodScheduled=False/Unschedulable, or nullopt when it already says so.
std::optional<json> UnschedulableStatus(const json& pod, const std::string& message) {
  json status = jsonx::At(pod, "status").is_object() ? pod["status"] : json::object();
  json& conds = status["conditions"];
  if (!conds.is_array()) conds = json::array();
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  json cond = {{"type", "PodScheduled"},    {"status", "False"},         {"lastProbeTime", nullptr},
               {"lastTransitionTime", now}, {"reason", "Unschedulable"}, {"message", message}};
  for (auto& c : conds) {
    if (jsonx::Str(c, "type") != "PodScheduled") continue;
    if (jsonx::Str(c, "status") == "False") {
      if (jsonx::Str(c, "reason") == "Unschedulable" && jsonx::Str(c, "message") == message) return std::nullopt;
      if (jsonx::Has(c, "lastTransitionTime")) cond["lastTransitionTime"] = c["lastTransitionTime"];
    }
    c = std::move(cond);
    return status;
  }
  conds.push_back(std::move(cond));
  return status;
}

}  // namespace

Scheduler::Scheduler(controllers::ControllerContext ctx, std::shared_ptr<EventRecorder> events)
    // Several workers: decisions are serialized by mu_, the binding writes (fsync) overlap.
    : QueueController(std::move(ctx), controllers::WorkQueueOptions{.max_workers = 4}), events_(std::move(events)) {}

void Scheduler::Register(controllers::SharedInformer& informer) {
  informer.AddHandler({.resource = "pods",
                       .on_add = [this](const store::ObjectPtr& p) { OnPod(p, false); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& p) { OnPod(p, false); },
                       .on_delete = [this](const store::ObjectPtr& p) { OnPod(p, true); }});
  // A node that appears, changes (labels, taints, readiness, capacity) or goes: retry the waiting.
  informer.AddHandler({.resource = "nodes",
                       .on_add = [this](const store::ObjectPtr&) { RequeueUnschedulable(); },
                       .on_update =
                           [this](const store::ObjectPtr& old_obj, const store::ObjectPtr& obj) {
                             // Heartbeats only move timestamps; anything else may make room.
                             json a = controllers::Parse(old_obj), b = controllers::Parse(obj);
                             if (NodeStateFrom(a).ready != NodeStateFrom(b).ready || a["spec"] != b["spec"] ||
                                 a["metadata"]["labels"] != b["metadata"]["labels"] ||
                                 jsonx::At(a, "status.allocatable") != jsonx::At(b, "status.allocatable")) {
                               RequeueUnschedulable();
                             }
                           },
                       .on_delete = [this](const store::ObjectPtr&) { RequeueUnschedulable(); }});
}

void Scheduler::OnPod(const store::ObjectPtr& obj, bool deleted) {
  const json pod = controllers::Parse(obj);
  const std::string uid = jsonx::Str(pod, "metadata.uid");
  const std::string node = jsonx::Str(pod, "spec.nodeName");
  const std::string key = obj->key.ns + "/" + obj->key.name;
  bool freed = false;
  bool schedule = false;
  {
    std::lock_guard lock(mu_);
    if (!deleted && !node.empty() && !Terminal(pod)) {
      assumed_.erase(uid);
      auto it = uses_.find(uid);
      if (it == uses_.end() || it->second.node != node) {
        RemoveUse(uid);
        ResourceList req = PodRequests(pod);
        AddUse(uid, PodUse{node, req, NonZeroRequests(req)});
      }
      unschedulable_.erase(key);
    } else if (deleted || !node.empty()) {
      freed = RemoveUse(uid);
      assumed_.erase(uid);
      unschedulable_.erase(key);
    } else if (!assumed_.count(uid)) {
      // Unbound: an older event of a pod we just bound keeps its assumption.
      schedule = NeedsScheduling(pod);
      if (!schedule) unschedulable_.erase(key);
    }
  }
  if (schedule) Enqueue(key);
  if (freed) RequeueUnschedulable();
}

void Scheduler::RequeueUnschedulable() {
  std::set<std::string> keys;
  {
    std::lock_guard lock(mu_);
    keys.swap(unschedulable_);
  }
  for (const auto& k : keys) Enqueue(k);
}

void Scheduler::AddUse(const std::string& uid, PodUse use) {
  NodeUse& n = node_use_[use.node];
  Add(n.requested, use.requests, 1);
  Add(n.nonzero, use.nonzero, 1);
  ++n.pods;
  uses_[uid] = std::move(use);
}

bool Scheduler::RemoveUse(const std::string& uid) {
  auto it = uses_.find(uid);
  if (it == uses_.end()) return false;
  NodeUse& n = node_use_[it->second.node];
  Add(n.requested, it->second.requests, -1);
  Add(n.nonzero, it->second.nonzero, -1);
  if (--n.pods <= 0) node_use_.erase(it->second.node);
  uses_.erase(it);
  return true;
}

std::vector<NodeState> Scheduler::Nodes() {
  std::vector<NodeState> out;
  std::unordered_set<std::string> seen;
  for (const auto& obj : ctx_.informer->List("nodes")) {
    CachedNode& c = node_cache_[obj->key.name];
    if (c.revision != obj->revision) c = CachedNode{obj->revision, NodeStateFrom(controllers::Parse(obj))};
    seen.insert(obj->key.name);
    NodeState s = c.state;
    if (auto u = node_use_.find(s.name); u != node_use_.end()) {
      s.requested = u->second.requested;
      s.nonzero_requested = u->second.nonzero;
      s.pods = u->second.pods;
    }
    out.push_back(std::move(s));
  }
  std::erase_if(node_cache_, [&](const auto& kv) { return !seen.count(kv.first); });
  return out;
}

Outcome Scheduler::Reconcile(const std::string& key) {
  const auto parts = controllers::SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;
  auto obj = ctx_.informer->Get("pods", ns, name);
  if (!obj) return Outcome::kDone;
  const json pod = controllers::Parse(obj);
  if (!NeedsScheduling(pod)) return Outcome::kDone;
  const std::string uid = jsonx::Str(pod, "metadata.uid");
  const ResourceList requests = PodRequests(pod);
  const ResourceList nonzero = NonZeroRequests(requests);

  std::string chosen, message;
  {
    std::lock_guard lock(mu_);
    if (assumed_.count(uid)) return Outcome::kDone;  // bound a moment ago
    std::vector<NodeState> nodes = Nodes();
    std::vector<std::vector<std::string>> reasons;
    std::int64_t best = -1;
    std::int64_t best_pods = 0;
    for (const auto& n : nodes) {
      auto why = FilterReasons(pod, requests, n);
      if (!why.empty()) {
        reasons.push_back(std::move(why));
        continue;
      }
      // Highest score; ties go to the emptier node, then the first by name: spreads evenly.
      const std::int64_t score = Score(nonzero, n);
      if (score > best || (score == best && n.pods < best_pods)) {
        best = score;
        best_pods = n.pods;
        chosen = n.name;
      }
    }
    if (chosen.empty()) {
      message = FitErrorMessage(nodes.size(), reasons);
      unschedulable_.insert(key);
    } else {
      AddUse(uid, PodUse{chosen, requests, nonzero});
      assumed_.insert(uid);
      unschedulable_.erase(key);
    }
  }

  if (!chosen.empty()) {
    auto bound = registry::BindPod(*ctx_.objects, ns, name, registry::MakeBinding(ns, name, uid, chosen));
    if (!bound) {
      {
        std::lock_guard lock(mu_);
        if (assumed_.erase(uid)) RemoveUse(uid);
      }
      const Error& e = bound.error();
      // Gone, bound elsewhere, being deleted or replaced (uid): nothing left to do for this pod.
      if (e.code == ErrorCode::kNotFound) return Outcome::kDone;
      if (e.code == ErrorCode::kConflict && e.message.find(resource::kConflictModified) == std::string::npos) {
        return Outcome::kDone;
      }
      VKUBE_LOG(kWarn) << "hostsim: binding " << key << " to " << chosen << " failed: " << bound.error().message;
      return Outcome::kRetry;
    }
    if (events_) {
      events_->Emit(pod, "Normal", "Scheduled", "Successfully assigned " + ns + "/" + name + " to " + chosen,
                    EventSource{kSchedulerName, ""});
    }
    return Outcome::kDone;
  }

  auto status = UnschedulableStatus(pod, message);
  if (!status) return Outcome::kDone;  // already says so: no new event either
  const resource::Kind* pods = ctx_.objects->Find("", "pods");
  if (auto s = controllers::UpdateStatus(*ctx_.objects, *pods, pod, *status); !s) {
    if (s.error().code == ErrorCode::kConflict) return Outcome::kRetry;  // our cache was stale
    VKUBE_LOG(kWarn) << "hostsim: status of unschedulable pod " << key << ": " << s.error().message;
    return Outcome::kRetry;
  }
  if (events_) events_->Emit(pod, "Warning", "FailedScheduling", message, EventSource{kSchedulerName, ""});
  return Outcome::kDone;
}

}  // namespace vkube::hostsim
