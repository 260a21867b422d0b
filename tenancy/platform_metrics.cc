#include "tenancy/platform_metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace vkube::tenancy {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// kube-apiserver's request latency buckets (apiserver_request_duration_seconds), trimmed.
const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,  0.5,   1,    2.5,   5,    10};
  return b;
}

}  // namespace

PlatformMetrics::PlatformMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      tenant_requests_(BuildCounter().Name("vkube_tenant_requests_total").Help("Requests by tenant and HTTP code.").Register(*registry_)),
      tenant_inflight_(BuildGauge().Name("vkube_tenant_inflight_requests").Help("Requests being served, by tenant.").Register(*registry_)),
      tenant_watches_(BuildGauge().Name("vkube_tenant_watches").Help("Open watches by tenant.").Register(*registry_)),
      tenant_objects_(BuildGauge().Name("vkube_tenant_objects").Help("Stored objects by tenant (running tenants).").Register(*registry_)),
      tenant_latency_(BuildHistogram().Name("vkube_tenant_request_duration_seconds").Help("Request latency by tenant (watches excluded).").Register(*registry_)),
      requests_(BuildCounter().Name("vkube_requests_total").Help("Requests by verb, resource and HTTP code.").Register(*registry_)),
      latency_(BuildHistogram().Name("vkube_request_duration_seconds").Help("Request latency by verb (watches excluded).").Register(*registry_)),
      tenants_running_(&BuildGauge().Name("vkube_tenants_running").Help("Tenants loaded in memory.").Register(*registry_).Add({})),
      tenants_total_(&BuildGauge().Name("vkube_tenants").Help("Tenants that exist.").Register(*registry_).Add({})),
      store_bytes_(&BuildGauge().Name("vkube_store_bytes").Help("Size of the store's database files.").Register(*registry_).Add({})) {}

std::shared_ptr<PlatformMetrics::TenantSeries> PlatformMetrics::Track(const std::string& tenant) {
  std::lock_guard lock(mu_);
  auto& s = tenants_[tenant];
  if (!s) {
    s = std::make_shared<TenantSeries>();
    s->tenant = tenant;
    s->inflight = &tenant_inflight_.Add({{"tenant", tenant}});
    s->watches = &tenant_watches_.Add({{"tenant", tenant}});
    s->objects = &tenant_objects_.Add({{"tenant", tenant}});
    s->latency = &tenant_latency_.Add({{"tenant", tenant}}, Buckets());
  }
  return s;
}

void PlatformMetrics::Forget(const std::string& tenant) {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  auto& s = *it->second;
  tenant_inflight_.Remove(s.inflight);
  tenant_watches_.Remove(s.watches);
  tenant_objects_.Remove(s.objects);
  tenant_latency_.Remove(s.latency);
  {
    std::lock_guard series(s.mu);
    for (auto& [_, c] : s.by_code) tenant_requests_.Remove(c);
    s.by_code.clear();
  }
  tenants_.erase(it);
}

void PlatformMetrics::Observe(TenantSeries& t, std::string_view verb, std::string_view resource, int code,
                              double seconds) {
  {
    std::lock_guard lock(t.mu);
    auto& c = t.by_code[code];
    if (c == nullptr) c = &tenant_requests_.Add({{"tenant", t.tenant}, {"code", std::to_string(code)}});
    c->Increment();
  }
  const bool watch = verb == "watch";
  if (!watch) t.latency->Observe(seconds);
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(std::string(verb), resource.empty() ? std::string("other") : std::string(resource), code);
  auto& c = requests_by_[key];
  if (c == nullptr) {
    c = &requests_.Add({{"verb", std::get<0>(key)}, {"resource", std::get<1>(key)}, {"code", std::to_string(code)}});
  }
  c->Increment();
  if (watch) return;
  auto& h = latency_by_verb_[std::string(verb)];
  if (h == nullptr) h = &latency_.Add({{"verb", std::string(verb)}}, Buckets());
  h->Observe(seconds);
}

std::string PlatformMetrics::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace vkube::tenancy
