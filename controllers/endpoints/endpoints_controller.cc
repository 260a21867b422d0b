#include "controllers/endpoints/endpoints_controller.h"

#include <map>

#include "controllers/framework/object_util.h"
#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";
constexpr const char* kManagedBy = "endpointslice.kubernetes.io/managed-by";
constexpr const char* kManager = "endpointslice-controller.k8s.io";

std::optional<resource::LabelSelector> ServiceSelector(const Json& svc) {
  const Json& sel = jsonx::At(svc, "spec.selector");
  if (!sel.is_object() || sel.empty()) return std::nullopt;
  auto s = resource::LabelSelector::FromJson(Json{{"matchLabels", sel}});
  if (!s) return std::nullopt;
  return *s;
}

// The container port a service port targets on this pod (named ports resolve per pod).
std::optional<std::int64_t> ResolveTargetPort(const Json& svc_port, const Json& pod) {
  const Json& target = jsonx::Child(svc_port, "targetPort");
  if (target.is_number_integer()) return target.get<std::int64_t>();
  if (!target.is_string()) return jsonx::Int(svc_port, "port");
  const std::string name = target.get<std::string>();
  for (const char* list : {"spec.containers", "spec.initContainers"}) {
    const Json& cs = jsonx::At(pod, list);
    if (!cs.is_array()) continue;
    for (const auto& c : cs) {
      const Json& ports = jsonx::Child(c, "ports");
      if (!ports.is_array()) continue;
      for (const auto& p : ports) {
        if (jsonx::Str(p, "name") == name) return jsonx::Int(p, "containerPort");
      }
    }
  }
  return std::nullopt;
}

Json TargetRef(const Json& pod) {
  return Json{{"kind", "Pod"},
              {"namespace", jsonx::Str(pod, "metadata.namespace")},
              {"name", jsonx::Str(pod, "metadata.name")},
              {"uid", jsonx::Str(pod, "metadata.uid")}};
}

}  // namespace

void EndpointsController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "services",
                       .on_add = [this](const store::ObjectPtr& o) { Enqueue(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { Enqueue(o); },
                       .on_delete = [this](const store::ObjectPtr& o) { Enqueue(o); }});
  informer.AddHandler({.resource = "pods",
                       .on_add = [this](const store::ObjectPtr& p) { EnqueueServicesSelecting(p); },
                       .on_update =
                           [this](const store::ObjectPtr& old, const store::ObjectPtr& p) {
                             EnqueueServicesSelecting(old);
                             EnqueueServicesSelecting(p);
                           },
                       .on_delete = [this](const store::ObjectPtr& p) { EnqueueServicesSelecting(p); }});
  // Endpoints or a slice deleted while their Service exists are made again (kube's onEndpointsDelete and
  // slice tracker). This also closes a race: when a Service is deleted and re-made at once, its reconcile
  // may still see the old Endpoints in the cache, find them current, and skip; their deletion then lands.
  informer.AddHandler({.resource = "endpoints", .on_delete = [this](const store::ObjectPtr& o) { Enqueue(o); }});
  // Slices added are checked too: one made twice (see SyncSlice) is removed.
  if (const resource::Kind* slices = ctx_.objects->Find("discovery.k8s.io", "endpointslices")) {
    auto service_of = [this](const store::ObjectPtr& o) {
      const store::JsonPtr view = View(o);
      const Json& svc = jsonx::Child(jsonx::At(*view, "metadata.labels"), kServiceNameLabel);
      if (svc.is_string()) Enqueue(o->key.ns + "/" + svc.get<std::string>());
    };
    informer.AddHandler({.resource = slices->info.StorageResource(), .on_add = service_of, .on_delete = service_of});
  }
}

void EndpointsController::EnqueueServicesSelecting(const store::ObjectPtr& pod_obj) {
  const store::JsonPtr pod_view = View(pod_obj);
  const Json& pod = *pod_view;
  const Json& labels = jsonx::At(pod, "metadata.labels");
  for (const auto& s : ctx_.informer->List("services", pod_obj->key.ns)) {
    auto sel = ServiceSelector(*View(s));
    if (sel && sel->MatchesJson(labels)) Enqueue(s);
  }
}

Outcome EndpointsController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  const resource::Kind* ep_kind = ctx_.objects->Find("", "endpoints");
  auto svc_obj = ctx_.informer->Get("services", ns, name);
  if (!svc_obj) {
    // The Service is gone: so are its Endpoints (slices go with their owner reference).
    if (ctx_.informer->Get("endpoints", ns, name)) {
      auto res = ctx_.objects->Delete(*ep_kind, ns, name);
      if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
    }
    return Outcome::kDone;
  }
  const Json svc = Parse(svc_obj);
  auto selector = ServiceSelector(svc);
  if (!selector || IsTerminating(svc)) return Outcome::kDone;
  const bool publish_not_ready = jsonx::Bool(svc, "spec.publishNotReadyAddresses");
  const Json& svc_ports = jsonx::At(svc, "spec.ports");

  // Pods grouped by their resolved port set: one subset per distinct set, as kube does.
  std::map<std::string, Json> subsets;  // ports dump → subset
  Json slice_endpoints = Json::array();
  Json slice_ports = Json::array();
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    Json pod = Parse(p);
    if (!selector->MatchesJson(jsonx::At(pod, "metadata.labels"))) continue;
    const std::string ip = jsonx::Str(pod, "status.podIP");
    if (ip.empty()) continue;
    const std::string phase = jsonx::Str(pod, "status.phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    const bool terminating = IsTerminating(pod);
    const bool ready = (IsPodReady(pod) && !terminating) || publish_not_ready;
    Json ports = Json::array();
    if (svc_ports.is_array()) {
      for (const auto& sp : svc_ports) {
        auto port = ResolveTargetPort(sp, pod);
        if (!port) continue;
        Json ep = {{"port", *port}, {"protocol", jsonx::Str(sp, "protocol", "TCP")}};
        if (jsonx::Has(sp, "name")) ep["name"] = sp["name"];
        ports.push_back(std::move(ep));
      }
    }
    Json address = {{"ip", ip}, {"targetRef", TargetRef(pod)}};
    if (jsonx::Has(jsonx::At(pod, "spec"), "nodeName")) address["nodeName"] = pod["spec"]["nodeName"];
    if (!terminating || ready) {
      Json& subset = subsets[ports.dump()];
      subset["ports"] = ports;
      subset[ready ? "addresses" : "notReadyAddresses"].push_back(address);
    }
    Json se = {{"addresses", {ip}},
               {"conditions", {{"ready", ready}, {"serving", IsPodReady(pod)}, {"terminating", terminating}}},
               {"targetRef", TargetRef(pod)}};
    if (address.contains("nodeName")) se["nodeName"] = address["nodeName"];
    slice_endpoints.push_back(std::move(se));
    if (slice_ports.empty()) slice_ports = ports;
  }
  Json subset_list = Json::array();
  for (auto& [_, s] : subsets) subset_list.push_back(std::move(s));

  Json labels = jsonx::At(svc, "metadata.labels").is_object() ? svc["metadata"]["labels"] : Json::object();
  auto cur = ctx_.informer->Get("endpoints", ns, name);
  if (!cur) {
    Json ep = {{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", {{"name", name}, {"namespace", ns}}}};
    if (!labels.empty()) ep["metadata"]["labels"] = labels;
    if (!subset_list.empty()) ep["subsets"] = subset_list;
    auto res = ctx_.objects->Create(*ep_kind, ns, std::move(ep));
    if (!res && res.error().code != ErrorCode::kAlreadyExists && res.error().code != ErrorCode::kForbidden) {
      return Outcome::kRetry;
    }
  } else {
    const Json existing = Parse(cur);
    const Json& old_subsets = jsonx::Child(existing, "subsets");
    const bool same =
        (subset_list.empty() ? (old_subsets.is_null() || old_subsets.empty()) : old_subsets == subset_list) &&
        (labels.empty() ? !jsonx::Has(existing["metadata"], "labels") : existing["metadata"]["labels"] == labels);
    if (!same) {
      auto res = ctx_.objects->GuaranteedUpdate(*ep_kind, ns, name, [&](const Json& c) -> Result<Json> {
        Json n = c;
        if (subset_list.empty()) {
          n.erase("subsets");
        } else {
          n["subsets"] = subset_list;
        }
        if (labels.empty()) {
          n["metadata"].erase("labels");
        } else {
          n["metadata"]["labels"] = labels;
        }
        return n;
      });
      if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
    }
  }
  if (auto s = SyncSlice(svc, slice_endpoints, slice_ports); !s) return Outcome::kRetry;
  return Outcome::kDone;
}

Status EndpointsController::SyncSlice(const Json& svc, const Json& endpoints_list, const Json& ports) {
  const resource::Kind* kind = ctx_.objects->Find("discovery.k8s.io", "endpointslices");
  if (kind == nullptr) return {};
  const std::string ns = jsonx::Str(svc, "metadata.namespace");
  const std::string svc_name = jsonx::Str(svc, "metadata.name");
  std::optional<Json> mine;
  for (const auto& s : ctx_.informer->List(kind->info.StorageResource(), ns)) {
    Json slice = Parse(s);
    const Json& l = jsonx::At(slice, "metadata.labels");
    if (jsonx::Child(l, kServiceNameLabel) != Json(svc_name) || jsonx::Child(l, kManagedBy) != Json(kManager)) continue;
    // (a slice owned by an earlier Service of the same name is the garbage collector's, not ours)
    if (const auto owner = ControllerRef(slice); !owner || owner->uid == jsonx::Str(svc, "metadata.uid")) {
      if (!mine) {
        mine = std::move(slice);
        continue;
      }
      // A second one: made while the cache had not yet shown our first (kube's slice tracker
      // prevents these; here they are removed when seen).
      auto res = ctx_.objects->Delete(*kind, ns, s->key.name);
      if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
    }
  }
  Json want_labels = jsonx::At(svc, "metadata.labels").is_object() ? svc["metadata"]["labels"] : Json::object();
  want_labels[kServiceNameLabel] = svc_name;
  want_labels[kManagedBy] = kManager;
  if (!mine) {
    Json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                  {"kind", "EndpointSlice"},
                  {"metadata",
                   {{"generateName", svc_name + "-"},
                    {"namespace", ns},
                    {"labels", want_labels},
                    {"ownerReferences", Json::array({NewControllerRef(svc)})}}},
                  {"addressType", "IPv4"},
                  {"endpoints", endpoints_list},
                  {"ports", ports}};
    auto res = ctx_.objects->Create(*kind, ns, std::move(slice));
    if (!res && res.error().code != ErrorCode::kForbidden) return res.take_error();
    return {};
  }
  if (jsonx::Child(*mine, "endpoints") == endpoints_list && jsonx::Child(*mine, "ports") == ports &&
      jsonx::At(*mine, "metadata.labels") == want_labels) {
    return {};
  }
  auto res =
      ctx_.objects->GuaranteedUpdate(*kind, ns, jsonx::Str(*mine, "metadata.name"), [&](const Json& c) -> Result<Json> {
        Json n = c;
        n["endpoints"] = endpoints_list;
        n["ports"] = ports;
        n["metadata"]["labels"] = want_labels;
        return n;
      });
  if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
  return {};
}

}  // namespace vkube::controllers
