#include "libs/registry/admission/service_allocator.h"

#include <arpa/inet.h>

#include "libs/resource/json_access.h"
#include "libs/resource/status.h"

namespace vkube::registry {

namespace jsonx = resource::jsonx;

namespace {

std::optional<std::uint32_t> ParseIpv4(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string FormatIpv4(std::uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

bool NeedsClusterIp(const Json& svc) { return jsonx::Str(svc, "spec.type", "ClusterIP") != "ExternalName"; }
bool NeedsNodePorts(const Json& svc) {
  const std::string type = jsonx::Str(svc, "spec.type", "ClusterIP");
  return type == "NodePort" || type == "LoadBalancer";
}

Error Invalid(const Json& svc, const std::string& field, const std::string& value, const std::string& msg) {
  return resource::Invalid("", "Service", jsonx::Str(svc, "metadata.name"),
                           {{"FieldValueInvalid", "Invalid value: " + value + ": " + msg, field}});
}

}  // namespace

Result<std::shared_ptr<ServiceAllocator>> ServiceAllocator::Create(std::shared_ptr<store::Store> store,
                                                                  ServiceAllocatorOptions options) {
  const auto slash = options.service_cidr.find('/');
  auto ip = ParseIpv4(options.service_cidr.substr(0, slash));
  int prefix = slash == std::string::npos ? -1 : std::atoi(options.service_cidr.c_str() + slash + 1);
  if (!ip || prefix < 8 || prefix > 30) {
    return Error::Make(ErrorCode::kBadRequest, "invalid service CIDR " + options.service_cidr + " (IPv4, /8 to /30)");
  }
  const std::uint32_t size = 1u << (32 - prefix);
  auto a = std::make_shared<ServiceAllocator>(std::move(store), options, *ip & ~(size - 1), size);
  std::lock_guard lock(a->mu_);
  a->Rebuild();
  return a;
}

ServiceAllocator::ServiceAllocator(std::shared_ptr<store::Store> store, ServiceAllocatorOptions options,
                                   std::uint32_t base, std::uint32_t size)
    : store_(std::move(store)), options_(options), base_(base), size_(size), next_port_(options_.node_port_min) {}

std::string ServiceAllocator::ApiServerServiceIp() const { return FormatIpv4(base_ + 1); }

void ServiceAllocator::Rebuild() {
  ips_.clear();
  ports_.clear();
  ips_.insert(1);  // reserved for the `kubernetes` Service
  auto list = store_->List(store::ListOptions{.resource = "services"});
  if (!list) return;
  for (const auto& o : list->items) {
    Json svc = Json::parse(o->json, nullptr, false);
    if (auto ip = ParseIpv4(jsonx::Str(svc, "spec.clusterIP")); ip && *ip - base_ < size_) ips_.insert(*ip - base_);
    const Json& ports = jsonx::At(svc, "spec.ports");
    if (!ports.is_array()) continue;
    for (const auto& p : ports) {
      if (auto np = jsonx::Int(p, "nodePort"); np > 0) ports_.insert(static_cast<int>(np));
    }
  }
}

Result<std::string> ServiceAllocator::TakeIp(const std::string& requested, bool dry_run) {
  if (!requested.empty()) {
    auto ip = ParseIpv4(requested);
    if (!ip || *ip - base_ >= size_ || *ip == base_ || *ip == base_ + size_ - 1) {
      return Error::Make(ErrorCode::kInvalid, "failed to allocate IP " + requested +
                                                  ": the provided IP (" + requested +
                                                  ") is not in the valid range. The range of valid IPs is " +
                                                  options_.service_cidr);
    }
    const std::uint32_t off = *ip - base_;
    if (ips_.count(off)) {
      Rebuild();
      if (ips_.count(off)) {
        return Error::Make(ErrorCode::kInvalid, "failed to allocate IP " + requested + ": provided IP is already allocated");
      }
    }
    if (!dry_run) ips_.insert(off);
    return requested;
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint32_t i = 0; i + 2 < size_; ++i) {
      std::uint32_t off = (next_ip_ - 1 + i) % (size_ - 2) + 1;  // skip network and broadcast
      if (ips_.count(off)) continue;
      if (!dry_run) {
        ips_.insert(off);
        next_ip_ = off + 1;
      }
      return FormatIpv4(base_ + off);
    }
    Rebuild();
  }
  return Error::Make(ErrorCode::kInternal, "failed to allocate a serviceIP: range is full");
}

Result<int> ServiceAllocator::TakePort(int requested, bool dry_run) {
  if (requested > 0) {
    if (requested < options_.node_port_min || requested > options_.node_port_max) {
      return Error::Make(ErrorCode::kInvalid, "provided port is not in the valid range. The range of valid ports is " +
                                                  std::to_string(options_.node_port_min) + "-" +
                                                  std::to_string(options_.node_port_max));
    }
    if (ports_.count(requested)) {
      Rebuild();
      if (ports_.count(requested)) return Error::Make(ErrorCode::kInvalid, "provided port is already allocated");
    }
    if (!dry_run) ports_.insert(requested);
    return requested;
  }
  const int span = options_.node_port_max - options_.node_port_min + 1;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < span; ++i) {
      int port = options_.node_port_min + (next_port_ - options_.node_port_min + i) % span;
      if (ports_.count(port)) continue;
      if (!dry_run) {
        ports_.insert(port);
        next_port_ = port + 1;
      }
      return port;
    }
    Rebuild();
  }
  return Error::Make(ErrorCode::kInternal, "failed to allocate a nodePort: range is full");
}

Status ServiceAllocator::Admit(AdmissionRequest& r) {
  if (r.kind == nullptr || !r.kind->info.group.empty() || r.kind->info.resource != "services") return {};
  if (!r.subresource.empty()) return {};
  if (r.operation == Operation::kDelete) {
    if (r.old_object && !r.dry_run) Release(*r.old_object);
    return {};
  }
  return Allocate(r);
}

Status ServiceAllocator::Allocate(AdmissionRequest& r) {
  Json& svc = *r.object;
  if (!svc["spec"].is_object()) return {};
  Json& spec = svc["spec"];
  std::lock_guard lock(mu_);
  const std::string old_ip = r.old_object ? jsonx::Str(*r.old_object, "spec.clusterIP") : "";
  const std::string ip = jsonx::Str(spec, "clusterIP");
  if (NeedsClusterIp(svc) && ip != "None" && (ip.empty() || ip != old_ip)) {
    if (!(ip.empty() && !old_ip.empty())) {
      auto got = TakeIp(ip, r.dry_run);
      if (!got) {
        return Invalid(svc, "spec.clusterIPs", "[]string{\"" + ip + "\"}", got.error().message);
      }
      spec["clusterIP"] = *got;
      spec["clusterIPs"] = Json::array({*got});
    }
  }
  if (NeedsNodePorts(svc) && spec["ports"].is_array()) {
    std::set<int> old_ports;
    if (r.old_object) {
      const Json& ops = jsonx::At(*r.old_object, "spec.ports");
      if (ops.is_array()) {
        for (const auto& p : ops) old_ports.insert(static_cast<int>(jsonx::Int(p, "nodePort")));
      }
    }
    for (std::size_t i = 0; i < spec["ports"].size(); ++i) {
      Json& p = spec["ports"][i];
      if (!p.is_object()) continue;
      const int want = static_cast<int>(jsonx::Int(p, "nodePort"));
      if (want > 0 && old_ports.count(want)) continue;  // kept from before
      auto got = TakePort(want, r.dry_run);
      if (!got) {
        return Invalid(svc, "spec.ports[" + std::to_string(i) + "].nodePort", std::to_string(want), got.error().message);
      }
      p["nodePort"] = *got;
    }
  }
  return {};
}

void ServiceAllocator::Release(const Json& svc) {
  std::lock_guard lock(mu_);
  if (auto ip = ParseIpv4(jsonx::Str(svc, "spec.clusterIP")); ip && *ip - base_ < size_ && *ip != base_ + 1) {
    ips_.erase(*ip - base_);
  }
  const Json& ports = jsonx::At(svc, "spec.ports");
  if (!ports.is_array()) return;
  for (const auto& p : ports) ports_.erase(static_cast<int>(jsonx::Int(p, "nodePort")));
}

}  // namespace vkube::registry
