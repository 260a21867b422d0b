// core/v1 Endpoints: port protocol default, address/port validation, formatEndpoints.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::size_t kMaxShownEndpoints = 3;

// net.JoinHostPort: IPv6 addresses in brackets.
std::string HostPort(const std::string& ip, std::int64_t port) {
  std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(port);
}

class EndpointsStrategy final : public Strategy {
 public:
  EndpointsStrategy() : Strategy({.kind = "Endpoints"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the endpoints object (the name of its service)."),
        print::Column("Endpoints", "Ready addresses with ports, the first three of them."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& ep, SystemTime now) const override {
    const json& subsets = jsonx::Child(ep, "subsets");
    std::string text = "<none>";
    if (subsets.is_array() && !subsets.empty()) {
      std::vector<std::string> list;
      bool more = false;
      std::size_t count = 0;
      for (const auto& ss : subsets) {
        const json& addrs = jsonx::Child(ss, "addresses");
        const json& ports = jsonx::Child(ss, "ports");
        std::size_t n_addrs = addrs.is_array() ? addrs.size() : 0;
        if (!ports.is_array() || ports.empty()) {  // headless services may have no ports
          count += n_addrs;
          for (std::size_t i = 0; i < n_addrs; ++i) {
            if (list.size() == kMaxShownEndpoints) {
              more = true;
              break;
            }
            list.push_back(Str(addrs[i], "ip"));
          }
          continue;
        }
        for (const auto& port : ports) {
          count += n_addrs;
          for (std::size_t i = 0; i < n_addrs; ++i) {
            if (list.size() == kMaxShownEndpoints) {
              more = true;
              break;
            }
            list.push_back(HostPort(Str(addrs[i], "ip"), Int(port, "port")));
          }
        }
      }
      text = print::Join(list, ",");
      if (more) {
        text += " + " + std::to_string(count - kMaxShownEndpoints) + " more...";
      } else if (text.empty()) {
        text = "<none>";
      }
    }
    return json::array({Str(ep, "metadata.name"), text, print::Age(ep, now)});
  }

 protected:
  void Default(json& ep) const override {
    json* subsets = jsonx::Array(ep, "subsets");
    if (!subsets) return;
    for (auto& ss : *subsets) {
      if (json* ports = jsonx::Array(ss, "ports")) {
        for (auto& p : *ports) jsonx::Default(p, "protocol", "TCP");
      }
    }
  }

  void ValidateSpec(const json& ep, std::vector<FieldCause>& errs) const override {
    const json& subsets = jsonx::Child(ep, "subsets");
    if (!subsets.is_array()) return;
    for (std::size_t s = 0; s < subsets.size(); ++s) {
      std::string sp = "subsets[" + std::to_string(s) + "]";
      for (const char* list : {"addresses", "notReadyAddresses"}) {
        const json& addrs = jsonx::Child(subsets[s], list);
        if (!addrs.is_array()) continue;
        for (std::size_t i = 0; i < addrs.size(); ++i) {
          std::string ip = Str(addrs[i], "ip");
          for (auto& m : v::IsValidIp(ip)) {
            errs.push_back(v::Invalid(sp + "." + list + "[" + std::to_string(i) + "].ip", v::GoQuote(ip), m));
          }
        }
      }
      const json& ports = jsonx::Child(subsets[s], "ports");
      if (!ports.is_array()) continue;
      for (std::size_t i = 0; i < ports.size(); ++i) {
        std::string pp = sp + ".ports[" + std::to_string(i) + "]";
        std::string name = Str(ports[i], "name");
        if (name.empty() && ports.size() > 1) errs.push_back(v::Required(pp + ".name"));
        if (!name.empty()) {
          for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(pp + ".name", v::GoQuote(name), m));
        }
        std::int64_t port = Int(ports[i], "port");
        for (auto& m : v::IsValidPortNum(port)) errs.push_back(v::Invalid(pp + ".port", std::to_string(port), m));
        std::string proto = Str(ports[i], "protocol");
        if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
          errs.push_back(v::NotSupported(pp + ".protocol", v::GoQuote(proto), {"SCTP", "TCP", "UDP"}));
        }
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeEndpointsStrategy() { return std::make_shared<EndpointsStrategy>(); }

}  // namespace vkube::resource
