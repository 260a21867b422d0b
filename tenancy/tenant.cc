#include "tenancy/tenant.h"

#include <boost/asio/ssl/context.hpp>

#include "apiserver-proxy/bootstrap.h"
#include "libs/core/log.h"
#include "libs/net/tls_context.h"
#include "libs/pki/client_cert_verifier.h"
#include "libs/registry/admission/limit_ranger.h"
#include "libs/registry/admission/object_count_quota.h"
#include "libs/registry/admission/resource_quota.h"
#include "libs/registry/admission/service_account_admission.h"
#include "libs/registry/admission/service_allocator.h"
#include "libs/resource/meta.h"

namespace vkube::tenancy {

Result<std::shared_ptr<Tenant>> Tenant::Start(const Platform& p, const TenantInfo& info) {
  const std::string& name = info.name;
  std::shared_ptr<Tenant> t(new Tenant(p, name));
  std::vector<std::string> sans;
  if (!p.base_domain.empty()) sans.push_back(name + "." + p.base_domain);
  if (p.metrics) t->metrics_ = p.metrics->Track(name);
  if (name == p.default_tenant) {
    t->creds_ = p.instance;
  } else {
    auto creds = pki::LoadOrCreate(p.data_dir + "/tenants/" + name, sans);
    if (!creds) return creds.take_error();
    t->creds_ = std::move(*creds);
  }
  auto verifier = pki::ClientCertVerifier::Create(t->creds_.ca.cert_pem);
  if (!verifier) return verifier.take_error();

  auto partition = p.database->OpenPartition(name);
  if (!partition) return partition.take_error();
  t->store_ = std::move(*partition);
  if (auto s = apiserver::EnsureSystemNamespaces(*t->store_, *p.registry); !s) return s.take_error();
  if (auto s = apiserver::EnsureBootstrapPolicy(*t->store_, *p.registry); !s) return s.take_error();
  auto objects = std::make_shared<registry::GenericRegistry>(t->store_, p.registry);
  auto services = registry::ServiceAllocator::Create(t->store_);
  if (!services) return services.take_error();
  objects->AddAdmission(*services);
  // kube's order: LimitRanger (defaults) before ResourceQuota (charges the defaulted pod).
  objects->AddAdmission(std::make_shared<registry::LimitRanger>(t->store_));
  objects->AddAdmission(std::make_shared<registry::ServiceAccountAdmission>(t->store_));
  objects->AddAdmission(std::make_shared<registry::ResourceQuotaAdmission>(t->store_, [o = objects.get()] { return o->kinds(); }));
  if (p.tenant_limits.max_objects > 0) {
    objects->AddAdmission(std::make_shared<registry::ObjectCountQuota>(
        p.tenant_limits.max_objects, [store = t->store_.get()] { return store->ObjectCount(); }));
  }
  if (auto s = apiserver::EnsureApiServerService(*t->store_, *p.registry, (*services)->ApiServerServiceIp()); !s) {
    return s.take_error();
  }

  apiserver::TenantContext ctx;
  ctx.name = name;
  ctx.store = t->store_;
  ctx.blocking_reads = p.database->remote();
  ctx.registry = p.registry;
  ctx.objects = objects;
  ctx.openapi = p.openapi;
  const auto builtin = p.surface ? p.surface : apiserver::ApiSurface::Make(p.registry, p.openapi);
  ctx.surface = builtin;
  ctx.tokens.push_back({t->creds_.admin_token, {"kubernetes-admin", {"system:masters", "system:authenticated"}}});
  ctx.client_certs = *verifier;
  auto sa_tokens = pki::ServiceAccountTokens::Load(t->creds_.service_account_key_pem);
  if (!sa_tokens) return sa_tokens.take_error();
  ctx.service_account_tokens = *sa_tokens;
  ctx.admit = [gate = &t->gate_] { return gate->AdmitRequest(); };
  apiserver::ApiServerLimits limits = p.limits;
  if (p.tenant_limits.max_inflight > 0) {
    limits.max_requests_inflight = p.tenant_limits.max_inflight;
    limits.max_mutating_requests_inflight = std::max<std::size_t>(1, p.tenant_limits.max_inflight / 2);
  }
  t->api_ = std::make_unique<apiserver::ApiServer>(std::move(ctx), limits, *p.blocking);
  // Before the controllers start, so they see the custom kinds (GC, namespace deletion).
  auto crds = apiserver::CrdCatalog::Start(
      t->store_, builtin, p.controller_executor,
      [objects, api = t->api_.get()](std::shared_ptr<const apiserver::ApiSurface> s) {
        objects->SetKinds(s->kinds);  // first: a request that sees the new kinds can write them
        api->Publish(std::move(s));
      });
  if (!crds) return crds.take_error();
  t->crds_ = std::move(*crds);
  std::vector<controllers::ControllerFactory> extra;
  if (p.addons) {
    auto addons = p.addons(info, objects);
    if (!addons) return addons.take_error();
    if (addons->pod_streams) t->api_->SetPodStreams(addons->pod_streams);
    extra = std::move(addons->controllers);
    t->stop_addons_ = std::move(addons->stop);
  }
  controllers::ControllerContext controller_ctx{.tenant = name,
                                                .objects = objects,
                                                .executor = p.controller_executor,
                                                .root_ca_pem = t->TrustBundle(),
                                                .service_account_tokens = *sa_tokens};
  if (!p.database->remote()) {
    // The store is this process's alone: its controllers are the only ones.
    auto controllers = controllers::ControllerManager::Start(std::move(controller_ctx), std::move(extra));
    if (!controllers) return controllers.take_error();
    t->controllers_ = std::move(*controllers);
    return t;
  }
  // Other replicas may serve this tenant from the same store: one of them runs its controllers.
  // The callbacks never outlive Stop() (the elector waits for a running one), so `raw` is safe.
  Tenant* raw = t.get();
  t->elector_ = controllers::LeaderElector::Start(
      objects, p.controller_executor, controllers::LeaderElectionOptions{.identity = resource::NewUid()},
      [raw, controller_ctx, extra] {
        auto m = controllers::ControllerManager::Start(controller_ctx, extra);
        if (!m) {
          VKUBE_LOG(kError) << raw->name_ << ": controllers did not start: " << m.error().message;
          return;
        }
        std::lock_guard lock(raw->controllers_mu_);
        raw->controllers_ = std::move(*m);
      },
      [raw] {
        std::unique_ptr<controllers::ControllerManager> m;
        {
          std::lock_guard lock(raw->controllers_mu_);
          m = std::move(raw->controllers_);
        }
        if (m) m->Stop();
      });
  return t;
}

Tenant::~Tenant() { Stop(); }

void Tenant::Stop() {
  std::call_once(stopped_, [&] {
    if (crds_) crds_->Stop();
    if (elector_) elector_->Stop();
    {
      std::lock_guard lock(controllers_mu_);
      if (controllers_) controllers_->Stop();
    }
    if (stop_addons_) stop_addons_();
    if (store_) store_->Close();
  });
}

std::string Tenant::TrustBundle() const {
  std::string bundle = platform_.instance.ca.cert_pem;
  if (creds_.ca.cert_pem != bundle) bundle += creds_.ca.cert_pem;
  return bundle;
}

std::shared_ptr<boost::asio::ssl::context> Tenant::tls() {
  std::lock_guard lock(tls_mu_);
  if (!tls_) {
    auto ctx = net::MakeServerTlsContext(net::TlsContextOptions{
        .cert_chain_pem = creds_.server.cert_pem + creds_.ca.cert_pem,
        .private_key_pem = creds_.server.key_pem,
        .offer_http2 = platform_.offer_http2,
        .request_client_cert = true});
    if (ctx) tls_ = *ctx;
  }
  return tls_;
}

}  // namespace vkube::tenancy
