// discovery.k8s.io/v1 EndpointSlice: port defaults (name "", protocol TCP), ValidateEndpointSlice
// (addresses by address type, ports), immutable addressType, generation on any non-metadata or
// label change, printEndpointSlice.
#include <arpa/inet.h>

#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr std::size_t kMaxEndpoints = 1000;
constexpr std::size_t kMaxAddresses = 100;
constexpr std::size_t kMaxPorts = 20000;
constexpr std::size_t kMaxPrinted = 3;

std::string Idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// validation.IsFullyQualifiedDomainName: at least two labels, a valid subdomain.
std::vector<std::string> FqdnErrors(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return {"Required value"};
  auto errs = v::IsDns1123Subdomain(name);
  if (errs.empty() && name.find('.') == std::string::npos) {
    errs.emplace_back("should be a domain with at least two segments separated by dots");
  }
  return errs;
}

class EndpointSliceStrategy final : public Strategy {
 public:
  EndpointSliceStrategy() : Strategy({.tracks_generation = true, .kind = "EndpointSlice"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the endpoint slice, unique within its namespace."),
        print::Column("AddressType", "IPv4, IPv6 or FQDN."),
        print::Column("Ports", "Port numbers (or names) the endpoints serve."),
        print::Column("Endpoints", "Addresses of the endpoints."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& eps, SystemTime now) const override {
    std::vector<std::string> ports, addrs;
    std::size_t port_count = 0, addr_count = 0;
    const json& ps = jsonx::Child(eps, "ports");
    if (ps.is_array()) {
      for (const auto& p : ps) {
        if (ports.size() < kMaxPrinted) {
          const json& num = jsonx::Child(p, "port");
          const json& name = jsonx::Child(p, "name");
          ports.push_back(num.is_number_integer() ? num.dump() : name.is_string() ? name.get<std::string>() : "*");
        }
        ++port_count;
      }
    }
    const json& es = jsonx::Child(eps, "endpoints");
    if (es.is_array()) {
      for (const auto& e : es) {
        const json& as = jsonx::Child(e, "addresses");
        if (!as.is_array()) continue;
        for (const auto& a : as) {
          if (addrs.size() < kMaxPrinted) addrs.push_back(a.is_string() ? a.get<std::string>() : "");
          ++addr_count;
        }
      }
    }
    return json::array({Str(eps, "metadata.name"), Str(eps, "addressType"),
                        print::ListWithMore(ports, port_count > kMaxPrinted, port_count, kMaxPrinted),
                        print::ListWithMore(addrs, addr_count > kMaxPrinted, addr_count, kMaxPrinted),
                        print::Age(eps, now)});
  }

 protected:
  void Default(json& eps) const override {
    json* ports = eps.is_object() ? jsonx::Array(eps, "ports") : nullptr;
    if (ports == nullptr) return;
    for (auto& p : *ports) {
      if (!p.is_object()) continue;
      jsonx::Default(p, "name", "");
      jsonx::Default(p, "protocol", "TCP");
    }
  }

  bool GenerationChanged(const json& eps, const json& old) const override {
    json a = eps, b = old;
    for (json* o : {&a, &b}) {
      if (o->is_object()) o->erase("metadata");
    }
    return a != b || jsonx::At(eps, "metadata.labels") != jsonx::At(old, "metadata.labels");
  }

  void ValidateSpec(const json& eps, std::vector<FieldCause>& errs) const override {
    const std::string type = Str(eps, "addressType");
    const json& endpoints = jsonx::Child(eps, "endpoints");
    if (endpoints.is_array()) {
      if (endpoints.size() > kMaxEndpoints) {
        errs.push_back(v::TooMany("endpoints", static_cast<std::int64_t>(endpoints.size()), kMaxEndpoints));
      }
      for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const std::string p = Idx("endpoints", i);
        const json& addrs = jsonx::Child(endpoints[i], "addresses");
        const std::size_t n = addrs.is_array() ? addrs.size() : 0;
        if (n == 0) {
          errs.push_back(v::Required(p + ".addresses", "must contain at least 1 address"));
        } else if (n > kMaxAddresses) {
          errs.push_back(v::TooMany(p + ".addresses", static_cast<std::int64_t>(n), kMaxAddresses));
        }
        for (std::size_t j = 0; j < n; ++j) {
          const std::string a = addrs[j].is_string() ? addrs[j].get<std::string>() : "";
          const std::string ap = Idx(p + ".addresses", j);
          unsigned char buf[16];
          if (type == "IPv4" && inet_pton(AF_INET, a.c_str(), buf) != 1) {
            errs.push_back(v::Invalid(ap, v::GoQuote(a), "must be a valid IPv4 address"));
          } else if (type == "IPv6" && inet_pton(AF_INET6, a.c_str(), buf) != 1) {
            errs.push_back(v::Invalid(ap, v::GoQuote(a), "must be a valid IPv6 address"));
          } else if (type == "FQDN") {
            for (auto& m : FqdnErrors(a)) errs.push_back(v::Invalid(ap, v::GoQuote(a), m));
          }
        }
        const json& node = jsonx::Child(endpoints[i], "nodeName");
        if (node.is_string()) {
          for (auto& m : v::IsDns1123Subdomain(node.get<std::string>())) {
            errs.push_back(v::Invalid(p + ".nodeName", v::GoValue(node), m));
          }
        }
        const json& host = jsonx::Child(endpoints[i], "hostname");
        if (host.is_string()) {
          for (auto& m : v::IsDns1123Label(host.get<std::string>())) {
            errs.push_back(v::Invalid(p + ".hostname", v::GoValue(host), m));
          }
        }
      }
    }
    const json& ports = jsonx::Child(eps, "ports");
    if (ports.is_array()) {
      if (ports.size() > kMaxPorts) errs.push_back(v::TooMany("ports", static_cast<std::int64_t>(ports.size()), kMaxPorts));
      std::set<std::string> names;
      for (std::size_t i = 0; i < ports.size(); ++i) {
        const std::string p = Idx("ports", i);
        const std::string name = Str(ports[i], "name");
        if (!name.empty()) {
          for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(p + ".name", v::GoQuote(name), m));
        }
        if (!names.insert(name).second) errs.push_back(v::Duplicate(p + ".name", v::GoQuote(name)));
        const json& proto = jsonx::Child(ports[i], "protocol");
        if (proto.is_null()) {
          errs.push_back(v::Required(p + ".protocol"));
        } else if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
          errs.push_back(v::NotSupported(p + ".protocol", v::GoValue(proto), {"SCTP", "TCP", "UDP"}));
        }
        const json& app = jsonx::Child(ports[i], "appProtocol");
        if (app.is_string()) {
          for (auto& m : v::IsQualifiedName(app.get<std::string>())) {
            errs.push_back(v::Invalid(p + ".appProtocol", v::GoValue(app), m));
          }
        }
      }
    }
  }

  void ValidateCreate(const json& eps, std::vector<FieldCause>& errs) const override {
    const json& type = jsonx::Child(eps, "addressType");
    if (type.is_null() || type == "") {
      errs.push_back(v::Required("addressType"));
    } else if (type != "IPv4" && type != "IPv6" && type != "FQDN") {
      errs.push_back(v::NotSupported("addressType", v::GoValue(type), {"FQDN", "IPv4", "IPv6"}));
    }
  }

  void ValidateSpecUpdate(const json& eps, const json& old, std::vector<FieldCause>& errs) const override {
    if (jsonx::Child(eps, "addressType") != jsonx::Child(old, "addressType")) {
      errs.push_back(v::Invalid("addressType", v::GoValue(jsonx::Child(eps, "addressType")), "field is immutable"));
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeEndpointSliceStrategy() { return std::make_shared<EndpointSliceStrategy>(); }

}  // namespace vkube::resource
