#include "hostsim/resources.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using nlohmann::json;

namespace {

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max() / 4;

// Multiplier of a quantity suffix, nullopt if unknown.
std::optional<long double> SuffixScale(std::string_view s) {
  if (s.empty()) return 1.0L;
  if (s.size() == 2 && s[1] == 'i') {
    const std::string_view bin = "KMGTPE";
    auto p = bin.find(s[0]);
    if (p == std::string_view::npos) return std::nullopt;
    return std::pow(1024.0L, static_cast<long double>(p + 1));
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n':
        return 1e-9L;
      case 'u':
        return 1e-6L;
      case 'm':
        return 1e-3L;
      case 'k':
        return 1e3L;
      case 'M':
        return 1e6L;
      case 'G':
        return 1e9L;
      case 'T':
        return 1e12L;
      case 'P':
        return 1e15L;
      case 'E':
        return 1e18L;
      default:
        break;
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    std::size_t i = 1;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == s.size() || s.size() - i > 4) return std::nullopt;
    int e = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      e = e * 10 + (s[i] - '0');
    }
    return std::pow(10.0L, static_cast<long double>(neg ? -e : e));
  }
  return std::nullopt;
}

void AddTo(ResourceList& into, const json& list) {
  if (!list.is_object()) return;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (auto m = MilliValue(it.value())) into[it.key()] = std::min(kSaturated, into[it.key()] + *m);
  }
}

// A container's requests, with limits for those it does not request.
ResourceList ContainerRequests(const json& c) {
  ResourceList r;
  AddTo(r, jsonx::At(c, "resources.requests"));
  ResourceList lim;
  AddTo(lim, jsonx::At(c, "resources.limits"));
  for (const auto& [k, val] : lim) r.emplace(k, val);
  return r;
}

void MaxInto(ResourceList& into, const ResourceList& other) {
  for (const auto& [k, val] : other) into[k] = std::max(into[k], val);
}

}  // namespace

std::optional<std::int64_t> MilliValue(const json& q) {
  if (q.is_number()) {
    long double v = q.get<long double>() * 1000.0L;
    if (!std::isfinite(v) || v < 0) return std::nullopt;
    return v >= static_cast<long double>(kSaturated) ? kSaturated : static_cast<std::int64_t>(std::ceil(v));
  }
  if (!q.is_string()) return std::nullopt;
  const std::string& s = q.get_ref<const std::string&>();
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  long double mantissa = 0;
  bool digits = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) mantissa = mantissa * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    long double scale = 0.1L;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true, scale /= 10)
      mantissa += (s[i] - '0') * scale;
  }
  if (!digits) return std::nullopt;
  auto mult = SuffixScale(std::string_view(s).substr(i));
  if (!mult) return std::nullopt;
  long double v = mantissa * *mult * 1000.0L;
  if (neg) v = -v;
  if (v <= 0) return v == 0 ? std::optional<std::int64_t>(0) : std::nullopt;
  if (v >= static_cast<long double>(kSaturated)) return kSaturated;
  return static_cast<std::int64_t>(std::ceil(v - 1e-9L));
}

ResourceList PodRequests(const json& pod) {
  const json& spec = jsonx::Child(pod, "spec");
  ResourceList sum;
  const json& containers = jsonx::Child(spec, "containers");
  if (containers.is_array()) {
    for (const auto& c : containers) {
      for (const auto& [k, val] : ContainerRequests(c)) sum[k] = std::min(kSaturated, sum[k] + val);
    }
  }
  // Init containers run one at a time before the app containers; sidecars (restartPolicy Always)
  // keep running beside whatever starts after them.
  ResourceList init_peak, sidecars;
  const json& inits = jsonx::Child(spec, "initContainers");
  if (inits.is_array()) {
    for (const auto& c : inits) {
      ResourceList r = ContainerRequests(c);
      if (jsonx::Str(c, "restartPolicy") == "Always") {
        for (const auto& [k, val] : r) sidecars[k] += val;
        MaxInto(init_peak, sidecars);
      } else {
        for (const auto& [k, val] : sidecars) r[k] += val;
        MaxInto(init_peak, r);
      }
    }
  }
  for (const auto& [k, val] : sidecars) sum[k] = std::min(kSaturated, sum[k] + val);
  MaxInto(sum, init_peak);
  ResourceList overhead;
  AddTo(overhead, jsonx::Child(spec, "overhead"));
  for (const auto& [k, val] : overhead) sum[k] = std::min(kSaturated, sum[k] + val);
  return sum;
}

ResourceList Allocatable(const json& node) {
  ResourceList r;
  const json& alloc = jsonx::At(node, "status.allocatable");
  AddTo(r, alloc.is_object() ? alloc : jsonx::At(node, "status.capacity"));
  return r;
}

}  // namespace vkube::hostsim
