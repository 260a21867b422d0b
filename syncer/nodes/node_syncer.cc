#include "syncer/nodes/node_syncer.h"

#include <set>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/time.h"
#include "libs/resource/json_access.h"
#include "libs/translate/name_translator.h"
#include "syncer/host_identity.h"

namespace vkube::syncer {

namespace asio = boost::asio;
using json = nlohmann::json;
using resource::jsonx::Str;

NodeSyncer::NodeSyncer(SyncContext& ctx, bool host_nodes_followed)
    : ctx_(ctx), host_nodes_followed_(host_nodes_followed) {}

void NodeSyncer::Register(controllers::SharedInformer& informer) {
  auto own = [this](const store::ObjectPtr& obj) { ctx_.enqueue(SyncKey(resource_, "", obj->key.name)); };
  informer.AddHandler(
      controllers::EventHandler{.resource = "nodes",
                                .on_add = own,
                                .on_update = [own](const store::ObjectPtr&, const store::ObjectPtr& obj) { own(obj); },
                                .on_delete = own});
}

void NodeSyncer::OnHostChange(const std::string& host_resource, const json* old_obj, const json* obj) {
  if (host_resource == "nodes") {
    const json* any = obj != nullptr ? obj : old_obj;
    if (any != nullptr) ctx_.enqueue(SyncKey(resource_, "", Str(*any, "metadata.name")));
    return;
  }
  if (host_resource != "pods") return;
  // Only what a virtual Node shows: the node gaining its first or losing its last pod, or its IP.
  std::set<std::string> changed;
  if (old_obj != nullptr && Account(*old_obj, -1)) changed.insert(Str(*old_obj, "spec.nodeName"));
  if (obj != nullptr && Account(*obj, +1)) changed.insert(Str(*obj, "spec.nodeName"));
  for (const auto& node : changed) ctx_.enqueue(SyncKey(resource_, "", node));
}

bool NodeSyncer::Account(const json& pod, int delta) {
  const std::string node = Str(pod, "spec.nodeName");
  if (node.empty()) return false;
  std::lock_guard lock(mu_);
  NodeUse& use = use_[node];
  const std::size_t before = use.pods;
  if (delta > 0) {
    ++use.pods;
  } else if (use.pods > 0) {
    --use.pods;
  }
  bool changed = (before == 0) != (use.pods == 0);
  const std::string ip = Str(pod, "status.hostIP");
  if (delta > 0 && !ip.empty() && ip != use.host_ip) {
    use.host_ip = ip;
    changed = true;
  }
  if (use.pods == 0) use_.erase(node);
  return changed;
}

std::vector<std::string> NodeSyncer::AllKeys() {
  std::vector<std::string> keys;
  for (const auto& n : ctx_.virt.informer->List("nodes")) keys.push_back(SyncKey(resource_, "", n->key.name));
  for (const auto& p : ctx_.cache->List("pods")) {
    const std::string node = Str(*p, "spec.nodeName");
    if (!node.empty()) keys.push_back(SyncKey(resource_, "", node));
  }
  return keys;
}

json NodeSyncer::VirtualNode(const std::string& name, const json* host_node, const std::string& host_ip) {
  json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}};
  json labels = json::object();
  if (host_node != nullptr && resource::jsonx::At(*host_node, "metadata.labels").is_object()) {
    labels = resource::jsonx::At(*host_node, "metadata.labels");
  } else {
    labels["kubernetes.io/hostname"] = name;
    labels["kubernetes.io/os"] = "linux";
  }
  labels[std::string(translate::kManagedByLabel)] = std::string(translate::kManagedByValue);
  node["metadata"]["labels"] = std::move(labels);
  if (host_node != nullptr) {
    json spec = resource::jsonx::Child(*host_node, "spec");
    if (spec.is_object()) {
      spec.erase("providerID");
      spec.erase("podCIDR");
      spec.erase("podCIDRs");
      node["spec"] = std::move(spec);
    }
    node["status"] = resource::jsonx::Child(*host_node, "status");
    return node;
  }
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  json ready = {{"type", "Ready"},        {"status", "True"},         {"reason", "KubeletReady"},
                {"message", "host node"}, {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
  json capacity = {{"cpu", "16"}, {"memory", "64Gi"}, {"pods", "110"}, {"ephemeral-storage", "100Gi"}};
  node["status"] = {
      {"capacity", capacity},
      {"allocatable", capacity},
      {"conditions", json::array({ready})},
      {"nodeInfo", {{"kubeletVersion", "v1.32.0"}, {"operatingSystem", "linux"}, {"architecture", "amd64"}}}};
  if (!host_ip.empty()) node["status"]["addresses"] = json::array({{{"type", "InternalIP"}, {"address", host_ip}}});
  return node;
}

asio::awaitable<SyncOutcome> NodeSyncer::Reconcile(std::string, std::string name) {
  std::string host_ip;
  bool used = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = use_.find(name); it != use_.end()) {
      used = it->second.pods > 0;
      host_ip = it->second.host_ip;
    }
  }
  const resource::Kind* nodes = ctx_.virt.objects->Find("", "nodes");
  if (nodes == nullptr) co_return SyncOutcome::kDone;
  store::ObjectPtr current = ctx_.virt.informer->Get("nodes", "", name);
  if (!used) {
    if (current == nullptr) co_return SyncOutcome::kDone;
    const json cur = controllers::Parse(current);
    if (resource::jsonx::Child(resource::jsonx::At(cur, "metadata.labels"), translate::kManagedByLabel) !=
        std::string(translate::kManagedByValue)) {
      co_return SyncOutcome::kDone;  // not ours (made by the tenant): leave it
    }
    registry::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    auto res = ctx_.virt.objects->Delete(*nodes, "", name, opts);
    co_return (res || res.error().code == ErrorCode::kNotFound) ? SyncOutcome::kDone : SyncOutcome::kRetry;
  }
  kube::SharedObject host_node;
  if (host_nodes_followed_) host_node = ctx_.cache->Get("nodes", name);
  json desired = VirtualNode(name, host_node.get(), host_ip);
  if (current == nullptr) {
    auto res = ctx_.virt.objects->Create(*nodes, "", desired);
    co_return (res || res.error().code == ErrorCode::kAlreadyExists) ? SyncOutcome::kDone : SyncOutcome::kRetry;
  }
  const json cur = controllers::Parse(current);
  const bool labels_differ = resource::jsonx::At(cur, "metadata.labels") != desired["metadata"]["labels"];
  const bool spec_differs = desired.contains("spec") && resource::jsonx::Child(cur, "spec") != desired["spec"];
  if (labels_differ || spec_differs) {
    auto res = ctx_.virt.objects->GuaranteedUpdate(*nodes, "", name, [&](const json& c) -> Result<json> {
      json n = c;
      n["metadata"]["labels"] = desired["metadata"]["labels"];
      if (desired.contains("spec")) n["spec"] = desired["spec"];
      return n;
    });
    co_return res ? SyncOutcome::kDone : SyncOutcome::kRetry;  // the update event brings us back for status
  }
  // A synthesized node's heartbeat times are not news: compare without them.
  if (!host_node && resource::jsonx::At(cur, "status.capacity") == desired["status"]["capacity"] &&
      resource::jsonx::At(cur, "status.addresses") == resource::jsonx::At(desired, "status.addresses")) {
    co_return SyncOutcome::kDone;
  }
  if (resource::jsonx::Child(cur, "status") == desired["status"]) co_return SyncOutcome::kDone;
  Status s = controllers::UpdateStatus(*ctx_.virt.objects, *nodes, cur, desired["status"]);
  co_return s ? SyncOutcome::kDone : SyncOutcome::kRetry;
}

}  // namespace vkube::syncer
