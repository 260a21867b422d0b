#include "libs/registry/admission/resource_quota.h"

#include <set>

#include "libs/resource/json_access.h"

namespace vkube::registry {
namespace {

using resource::Quantity;

const Quantity& One() {
  static const Quantity one = *Quantity::Parse("1");
  return one;
}

// The object-count name kube uses: core kinds by plural ("pods"), others "count/RES.GROUP".
std::string CountName(const resource::ResourceInfo& info) {
  return info.group.empty() ? "count/" + info.resource : "count/" + info.resource + "." + info.group;
}

void Add(QuotaUsage& u, const std::string& key, const Quantity& q) {
  auto [it, inserted] = u.emplace(key, q);
  if (!inserted) it->second += q;
}

// A pod's amount of one resource: the sum over its containers, or the largest init container's
// when that is larger (kube's effective request; pod overhead ignored).
std::optional<Quantity> PodAmount(const Json& spec, const char* field, const char* res) {
  const std::string path = std::string("resources.") + field + "." + res;
  std::optional<Quantity> sum, init_max;
  const Json& containers = resource::jsonx::At(spec, "containers");
  for (std::size_t i = 0; containers.is_array() && i < containers.size(); ++i) {
    if (auto q = Quantity::FromJson(resource::jsonx::At(containers[i], path))) {
      if (sum) {
        *sum += *q;
      } else {
        sum = *q;
      }
    }
  }
  const Json& inits = resource::jsonx::At(spec, "initContainers");
  for (std::size_t i = 0; inits.is_array() && i < inits.size(); ++i) {
    auto q = Quantity::FromJson(resource::jsonx::At(inits[i], path));
    if (q && (!init_max || *q > *init_max)) init_max = *q;
  }
  if (init_max && (!sum || *init_max > *sum)) return init_max;
  return sum;
}

}  // namespace

QuotaUsage QuotaCharge(const resource::Kind& kind, const Json& obj) {
  QuotaUsage u;
  const auto& info = kind.info;
  const std::string phase = resource::jsonx::Str(obj, "status.phase");
  if (info.group.empty() && info.resource == "pods" && (phase == "Succeeded" || phase == "Failed")) return u;
  Add(u, CountName(info), One());
  if (!info.group.empty()) return u;
  static const std::set<std::string, std::less<>> kLegacyCounts = {
      "pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"};
  if (kLegacyCounts.contains(info.resource)) Add(u, info.resource, One());
  if (info.resource == "pods") {
    const Json& spec = resource::jsonx::At(obj, "spec");
    for (const char* res : {"cpu", "memory", "ephemeral-storage"}) {
      if (auto q = PodAmount(spec, "requests", res)) {
        Add(u, std::string("requests.") + res, *q);
        Add(u, res, *q);
      }
      if (auto q = PodAmount(spec, "limits", res)) Add(u, std::string("limits.") + res, *q);
    }
  } else if (info.resource == "services") {
    const std::string type = resource::jsonx::Str(obj, "spec.type");
    if (type == "LoadBalancer") Add(u, "services.loadbalancers", One());
    if (type == "NodePort" || type == "LoadBalancer") {
      const Json& ports = resource::jsonx::At(obj, "spec.ports");
      for (std::size_t i = 0; ports.is_array() && i < ports.size(); ++i) Add(u, "services.nodeports", One());
    }
  } else if (info.resource == "persistentvolumeclaims") {
    if (auto q = Quantity::FromJson(resource::jsonx::At(obj, "spec.resources.requests.storage"))) {
      Add(u, "requests.storage", *q);
    }
  }
  return u;
}

std::vector<std::string> ChargedResources(const resource::Registry& registry, const Json& hard) {
  std::set<std::string> out;
  if (!hard.is_object()) return {};
  for (const resource::Kind* kp : registry.kinds()) {
    const resource::Kind& k = *kp;
    if (!k.info.namespaced) continue;
    const std::string storage = k.info.StorageResource();
    const bool core = k.info.group.empty();
    for (const auto& [key, _] : hard.items()) {
      const bool count = key == CountName(k.info) || (core && key == k.info.resource);
      const bool pod_compute = core && k.info.resource == "pods" &&
                               (key.starts_with("requests.") || key.starts_with("limits.") || key == "cpu" ||
                                key == "memory" || key == "ephemeral-storage") &&
                               key != "requests.storage";
      const bool svc = core && k.info.resource == "services" && key.starts_with("services.");
      const bool pvc = core && k.info.resource == "persistentvolumeclaims" && key == "requests.storage";
      if (count || pod_compute || svc || pvc) out.insert(storage);
    }
  }
  return {out.begin(), out.end()};
}

void AddUsage(const Json& hard, const QuotaUsage& charge, QuotaUsage& total) {
  for (const auto& [key, q] : charge) {
    if (hard.is_object() && hard.contains(key)) Add(total, key, q);
  }
}

Status ResourceQuotaAdmission::Admit(AdmissionRequest& request) {
  if (request.operation != Operation::kCreate || !request.subresource.empty() || request.ns.empty() ||
      request.object == nullptr || request.dry_run) {
    return {};
  }
  auto quotas = store_->List(store::ListOptions{.resource = "resourcequotas", .ns = request.ns});
  if (!quotas || quotas->items.empty()) return {};
  const QuotaUsage charge = QuotaCharge(*request.kind, *request.object);
  const std::string storage = request.kind->info.StorageResource();
  const auto now = std::chrono::steady_clock::now();
  const auto kinds = kinds_();
  std::lock_guard lock(mu_);
  std::erase_if(pending_, [&](const Reservation& r) { return r.expires < now; });
  for (const auto& qo : quotas->items) {
    const Json quota = Json::parse(qo->json, nullptr, false);
    const Json& hard = resource::jsonx::At(quota, "spec.hard");
    QuotaUsage requested;
    AddUsage(hard, charge, requested);
    if (requested.empty()) continue;
    QuotaUsage used;
    std::set<std::pair<std::string, std::string>> committed;  // (resource, name) in the namespace
    for (const auto& res : ChargedResources(*kinds, hard)) {
      const auto slash = res.find('/');
      const std::string group = slash == std::string::npos ? "" : res.substr(0, slash);
      const std::string plural = slash == std::string::npos ? res : res.substr(slash + 1);
      const resource::Kind* kind = nullptr;
      for (const resource::Kind* k : kinds->kinds()) {
        if (k->info.group == group && k->info.resource == plural) kind = k;
      }
      auto objs = store_->List(store::ListOptions{.resource = res, .ns = request.ns});
      if (!kind || !objs) continue;
      for (const auto& o : objs->items) {
        committed.emplace(res, o->key.name);
        AddUsage(hard, QuotaCharge(*kind, Json::parse(o->json, nullptr, false)), used);
      }
    }
    // Committed reservations are done (the object counts itself; once deleted it must not count).
    std::erase_if(pending_, [&](const Reservation& r) {
      return r.ns == request.ns && committed.contains({r.resource, r.name});
    });
    for (const auto& r : pending_) {
      if (r.ns == request.ns) AddUsage(hard, r.charge, used);
    }
    std::string req_s, used_s, hard_s;
    for (const auto& [key, q] : requested) {
      const auto limit = Quantity::FromJson(hard[key]);
      if (!limit) continue;
      Quantity after = q;
      if (auto it = used.find(key); it != used.end()) after += it->second;
      if (!(after > *limit)) continue;
      auto sep = [](std::string& s) { s += s.empty() ? "" : ","; };
      sep(req_s);
      sep(used_s);
      sep(hard_s);
      req_s += key + "=" + q.String();
      used_s += key + "=" + (used.contains(key) ? used.at(key).String() : std::string("0"));
      hard_s += key + "=" + limit->String();
    }
    if (req_s.empty()) continue;
    Error e = Error::Make(ErrorCode::kForbidden,
                          request.kind->info.resource + " \"" + request.name + "\" is forbidden: exceeded quota: " +
                              resource::jsonx::Str(quota, "metadata.name") + ", requested: " + req_s +
                              ", used: " + used_s + ", limited: " + hard_s);
    e.details.group = request.kind->info.group;
    e.details.kind = request.kind->info.resource;
    e.details.name = request.name;
    return e;
  }
  pending_.push_back(Reservation{request.ns, storage, request.name, charge, now + std::chrono::seconds(5)});
  return {};
}

}  // namespace vkube::registry
