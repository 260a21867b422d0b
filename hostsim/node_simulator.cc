#include "hostsim/node_simulator.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "controllers/framework/object_util.h"
#include "hostsim/ids.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using controllers::Outcome;
using nlohmann::json;

namespace {

constexpr const char* kLeaseNamespace = "kube-node-lease";
constexpr std::chrono::milliseconds kMinRequeue{1000};

// metav1.MicroTime as kube serializes it: "2006-01-02T15:04:05.000000Z".
std::string MicroTime(SystemTime t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  std::string s = FormatRfc3339(secs);  // ...Z
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(micros));
  s.insert(s.size() - 1, frac);
  return s;
}

struct CondSpec {
  const char* type;
  const char* status;
  const char* reason;
  const char* message;
};
constexpr CondSpec kConditions[] = {
    {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
    {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
    {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
    {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
};

// The status the kubelet of node `i` posts; transition times kept from `old` where unchanged.
json NodeStatus(const SimConfig& cfg, int i, SystemTime now, const json& old) {
  const std::string ts = FormatRfc3339(now);
  json resources = json::object();
  for (const auto& [k, val] : cfg.capacity) resources[k] = val;
  json conds = json::array();
  for (const auto& c : kConditions) {
    std::string since = ts;
    const json& old_conds = jsonx::Child(old, "conditions");
    if (old_conds.is_array()) {
      for (const auto& oc : old_conds) {
        if (jsonx::Str(oc, "type") == c.type && jsonx::Str(oc, "status") == c.status &&
            !jsonx::Str(oc, "lastTransitionTime").empty()) {
          since = jsonx::Str(oc, "lastTransitionTime");
        }
      }
    }
    conds.push_back({{"type", c.type},
                     {"status", c.status},
                     {"lastHeartbeatTime", ts},
                     {"lastTransitionTime", since},
                     {"reason", c.reason},
                     {"message", c.message}});
  }
  const std::string name = cfg.NodeName(i);
  return json{{"capacity", resources},
              {"allocatable", resources},
              {"conditions", std::move(conds)},
              {"addresses", json::array({{{"type", "InternalIP"}, {"address", cfg.NodeIp(i)}},
                                         {{"type", "Hostname"}, {"address", name}}})},
              {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
              {"nodeInfo",
               {{"machineID", Sha256Hex("machine:" + name).substr(0, 32)},
                {"systemUUID", UuidFrom("system:" + name)},
                {"bootID", UuidFrom("boot:" + name)},
                {"kernelVersion", "6.1.0-hostsim"},
                {"osImage", "vkube hostsim (simulated node)"},
                {"containerRuntimeVersion", "containerd://1.7.24-hostsim"},
                {"kubeletVersion", cfg.kubelet_version},
                {"kubeProxyVersion", cfg.kubelet_version},
                {"operatingSystem", "linux"},
                {"architecture", cfg.architecture}}}};
}

bool NeedsStatus(const SimConfig& cfg, const json& node, SystemTime now) {
  const json& conds = jsonx::At(node, "status.conditions");
  if (!conds.is_array()) return true;
  for (const auto& c : conds) {
    if (jsonx::Str(c, "type") != "Ready") continue;
    if (jsonx::Str(c, "status") != "True") return true;
    auto beat = ParseRfc3339(jsonx::Str(c, "lastHeartbeatTime"));
    return !beat || now - *beat >= cfg.status_report;
  }
  return true;
}

std::chrono::milliseconds Until(SystemTime at, SystemTime now) {
  return std::max(kMinRequeue, std::chrono::duration_cast<std::chrono::milliseconds>(at - now));
}

}  // namespace

NodeSimulator::NodeSimulator(controllers::ControllerContext ctx, std::shared_ptr<const SimConfig> cfg)
    : QueueController(std::move(ctx), controllers::WorkQueueOptions{.max_workers = 1}), cfg_(std::move(cfg)) {}

json NodeSimulator::NodeObject(const SimConfig& cfg, int i, SystemTime now) {
  const std::string name = cfg.NodeName(i);
  json labels = {{"beta.kubernetes.io/arch", cfg.architecture},
                 {"beta.kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", cfg.architecture},
                 {"kubernetes.io/hostname", name},
                 {"kubernetes.io/os", "linux"},
                 {"type", "hostsim"}};
  json annotations = {{"node.alpha.kubernetes.io/ttl", "0"},
                      {"volumes.kubernetes.io/controller-managed-attach-detach", "true"}};
  return json{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", name}, {"labels", std::move(labels)}, {"annotations", std::move(annotations)}}},
      {"spec",
       {{"podCIDR", cfg.PodCidr(i)}, {"podCIDRs", json::array({cfg.PodCidr(i)})}, {"providerID", "hostsim://" + name}}},
      {"status", NodeStatus(cfg, i, now, json())}};
}

Result<std::chrono::milliseconds> NodeSimulator::Heartbeat(registry::GenericRegistry& objects, const SimConfig& cfg,
                                                           int i) {
  const auto now = std::chrono::system_clock::now();
  const std::string name = cfg.NodeName(i);
  const resource::Kind* nodes = objects.Find("", "nodes");
  if (nodes == nullptr) return Error::Make(ErrorCode::kInternal, "the registry serves no nodes");
  std::string node_uid;
  SystemTime next_status = now + cfg.status_report;
  auto node = objects.GetJson(*nodes, "", name);
  if (!node && node.error().code != ErrorCode::kNotFound) return node.take_error();
  if (!node) {
    auto made = objects.Create(*nodes, "", NodeObject(cfg, i, now));
    if (!made && made.error().code != ErrorCode::kAlreadyExists) return made.take_error();
    if (made) node_uid = jsonx::Str(json::parse((*made)->json), "metadata.uid");
  } else {
    node_uid = jsonx::Str(*node, "metadata.uid");
    if (NeedsStatus(cfg, *node, now)) {
      auto res = objects.GuaranteedUpdate(
          *nodes, "", name,
          [&](const json& cur) -> Result<json> {
            json n = cur;
            n["status"] = NodeStatus(cfg, i, now, jsonx::Child(cur, "status"));
            return n;
          },
          registry::WriteOptions{.subresource = "status"});
      if (!res) return res.take_error();
    } else {
      for (const auto& c : (*node)["status"]["conditions"]) {
        if (jsonx::Str(c, "type") != "Ready") continue;
        if (auto beat = ParseRfc3339(jsonx::Str(c, "lastHeartbeatTime"))) next_status = *beat + cfg.status_report;
      }
    }
  }

  SystemTime next_lease = now + cfg.lease_renew;
  const resource::Kind* leases = objects.Find("coordination.k8s.io", "leases");
  if (leases != nullptr) {
    auto lease = objects.GetJson(*leases, kLeaseNamespace, name);
    if (!lease && lease.error().code != ErrorCode::kNotFound) return lease.take_error();
    if (!lease) {
      json meta = {{"name", name}, {"namespace", kLeaseNamespace}};
      if (!node_uid.empty()) {
        meta["ownerReferences"] =
            json::array({{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", name}, {"uid", node_uid}}});
      }
      json obj = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata", std::move(meta)},
                  {"spec",
                   {{"holderIdentity", name},
                    {"leaseDurationSeconds", cfg.lease_duration.count()},
                    {"renewTime", MicroTime(now)}}}};
      auto made = objects.Create(*leases, kLeaseNamespace, obj);
      if (!made && made.error().code == ErrorCode::kNotFound) {  // the namespace: kube-apiserver makes it
        const resource::Kind* namespaces = objects.Find("", "namespaces");
        auto ns = objects.Create(*namespaces, "", json{{"metadata", {{"name", kLeaseNamespace}}}});
        if (!ns && ns.error().code != ErrorCode::kAlreadyExists) return ns.take_error();
        made = objects.Create(*leases, kLeaseNamespace, obj);
      }
      if (!made && made.error().code != ErrorCode::kAlreadyExists) return made.take_error();
    } else {
      auto renewed = ParseRfc3339(jsonx::Str(*lease, "spec.renewTime"));
      // Renew a little early so that one timer round trip never lets the lease lapse.
      if (!renewed || now - *renewed >= cfg.lease_renew - std::chrono::seconds(1)) {
        auto res = objects.GuaranteedUpdate(*leases, kLeaseNamespace, name, [&](const json& cur) -> Result<json> {
          json n = cur;
          n["spec"]["holderIdentity"] = name;
          n["spec"]["leaseDurationSeconds"] = cfg.lease_duration.count();
          n["spec"]["renewTime"] = MicroTime(now);
          return n;
        });
        if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
      } else {
        next_lease = *renewed + cfg.lease_renew;
      }
    }
  }
  return Until(std::min(next_status, next_lease), now);
}

namespace {

// Nodes this simulator registered in an earlier run that are not among today's `cfg.nodes`.
Status RemoveStaleNodes(registry::GenericRegistry& objects, const SimConfig& cfg) {
  const resource::Kind* nodes = objects.Find("", "nodes");
  const resource::Kind* pods = objects.Find("", "pods");
  const resource::Kind* leases = objects.Find("coordination.k8s.io", "leases");
  if (nodes == nullptr || pods == nullptr) return {};
  auto listed = objects.store().List(store::ListOptions{.resource = nodes->info.StorageResource()});
  if (!listed) return listed.take_error();
  std::vector<std::string> stale;
  for (const auto& o : listed->items) {
    if (cfg.NodeIndex(o->key.name) >= 0) continue;
    if (jsonx::Str(json::parse(o->json, nullptr, false), "spec.providerID").rfind("hostsim://", 0) != 0) continue;
    stale.push_back(o->key.name);
  }
  if (stale.empty()) return {};
  auto all_pods = objects.store().List(store::ListOptions{.resource = pods->info.StorageResource()});
  if (!all_pods) return all_pods.take_error();
  for (const auto& p : all_pods->items) {
    for (const auto& [k, v] : p->attrs.fields) {
      if (k != "spec.nodeName" || std::find(stale.begin(), stale.end(), v) == stale.end()) continue;
      auto res = objects.Delete(*pods, p->key.ns, p->key.name, registry::DeleteOptions{.grace_period_seconds = 0});
      if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
    }
  }
  for (const auto& name : stale) {
    VKUBE_LOG(kInfo) << "hostsim: removing node " << name << " (not among the " << cfg.nodes << " nodes any more)";
    auto res = objects.Delete(*nodes, "", name);
    if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
    if (leases != nullptr) {
      auto l = objects.Delete(*leases, kLeaseNamespace, name);
      if (!l && l.error().code != ErrorCode::kNotFound) return l.take_error();
    }
  }
  return {};
}

}  // namespace

Status NodeSimulator::RegisterAll(registry::GenericRegistry& objects, const SimConfig& cfg) {
  if (auto s = RemoveStaleNodes(objects, cfg); !s) return s;
  for (int i = 0; i < cfg.nodes; ++i) {
    auto res = Heartbeat(objects, cfg, i);
    if (!res) return res.take_error();
  }
  return {};
}

void NodeSimulator::Register(controllers::SharedInformer& informer) {
  // Someone deleted a node or lease, or marked a node not Ready: the kubelet posts again.
  auto mine = [this](const store::ObjectPtr& o) { return cfg_->NodeIndex(o->key.name) >= 0; };
  informer.AddHandler({.resource = "nodes",
                       .on_update =
                           [this, mine](const store::ObjectPtr&, const store::ObjectPtr& o) {
                             if (mine(o) &&
                                 NeedsStatus(*cfg_, controllers::Parse(o), std::chrono::system_clock::now())) {
                               Enqueue(o->key.name);
                             }
                           },
                       .on_delete =
                           [this, mine](const store::ObjectPtr& o) {
                             if (mine(o)) Enqueue(o->key.name);
                           }});
  const resource::Kind* leases = ctx_.objects->Find("coordination.k8s.io", "leases");
  if (leases == nullptr) return;
  informer.AddHandler(
      {.resource = leases->info.StorageResource(), .on_delete = [this, mine](const store::ObjectPtr& o) {
         if (o->key.ns == kLeaseNamespace && mine(o)) Enqueue(o->key.name);
       }});
}

void NodeSimulator::Start() {
  for (int i = 0; i < cfg_->nodes; ++i) Enqueue(cfg_->NodeName(i));
}

Outcome NodeSimulator::Reconcile(const std::string& key) {
  const int i = cfg_->NodeIndex(key);
  if (i < 0) return Outcome::kDone;
  auto next = Heartbeat(*ctx_.objects, *cfg_, i);
  if (!next) {
    VKUBE_LOG(kWarn) << "hostsim: heartbeat of node " << key << " failed: " << next.error().message;
    return Outcome::kRetry;
  }
  ScheduleHeartbeat(key, *next);
  return Outcome::kDone;
}

void NodeSimulator::ScheduleHeartbeat(const std::string& key, std::chrono::milliseconds delay) {
  const auto now = std::chrono::steady_clock::now();
  const auto at = now + delay;
  {
    std::lock_guard lock(timers_mu_);
    auto it = due_.find(key);
    if (it != due_.end() && it->second > now && it->second <= at) return;
    due_[key] = at;
  }
  EnqueueAfter(key, delay);
}

}  // namespace vkube::hostsim
