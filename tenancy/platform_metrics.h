#pragma once
// Prometheus metrics of one vkube process (served on the admin listener). Cardinality is bounded
// by construction: per-tenant series carry only the tenant and a status code; verb and resource
// series are global, with resources limited to the served kinds. Handles are created once per
// tenant (Track) and per (verb, resource, code) on first use, never per request.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace vkube::tenancy {

class PlatformMetrics {
 public:
  PlatformMetrics();

  // One tenant's handles; owned by PlatformMetrics until Forget.
  struct TenantSeries {
    std::string tenant;
    prometheus::Gauge* inflight = nullptr;
    prometheus::Gauge* watches = nullptr;
    prometheus::Gauge* objects = nullptr;
    prometheus::Histogram* latency = nullptr;
    std::mutex mu;
    std::map<int, prometheus::Counter*> by_code;  // status code → counter (a handful per tenant)
  };
  std::shared_ptr<TenantSeries> Track(const std::string& tenant);
  void Forget(const std::string& tenant);

  // One finished request. `resource` must be a served resource or "" (then "other").
  void Observe(TenantSeries& tenant, std::string_view verb, std::string_view resource, int code, double seconds);

  prometheus::Gauge& tenants_running() { return *tenants_running_; }
  prometheus::Gauge& tenants_total() { return *tenants_total_; }
  prometheus::Gauge& store_bytes() { return *store_bytes_; }

  // Prometheus text exposition format 0.0.4.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& tenant_requests_;
  prometheus::Family<prometheus::Gauge>& tenant_inflight_;
  prometheus::Family<prometheus::Gauge>& tenant_watches_;
  prometheus::Family<prometheus::Gauge>& tenant_objects_;
  prometheus::Family<prometheus::Histogram>& tenant_latency_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Gauge* tenants_running_;
  prometheus::Gauge* tenants_total_;
  prometheus::Gauge* store_bytes_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TenantSeries>, std::less<>> tenants_;
  std::map<std::tuple<std::string, std::string, int>, prometheus::Counter*, std::less<>> requests_by_;
  std::map<std::string, prometheus::Histogram*, std::less<>> latency_by_verb_;
};

}  // namespace vkube::tenancy
