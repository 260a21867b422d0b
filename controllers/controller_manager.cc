#include "controllers/controller_manager.h"

#include "controllers/apiextensions/crd_controller.h"
#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"
#include "controllers/cronjob/cron_job_controller.h"
#include "controllers/daemonset/daemon_set_controller.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/disruption/disruption_controller.h"
#include "controllers/endpoints/endpoints_controller.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/job/job_controller.h"
#include "controllers/namespace/namespace_controller.h"
#include "controllers/podautoscaler/horizontal_controller.h"
#include "controllers/podgc/pod_gc_controller.h"
#include "controllers/replicaset/replica_set_controller.h"
#include "controllers/resourcequota/resource_quota_controller.h"
#include "controllers/rootcacert/root_ca_controller.h"
#include "controllers/serviceaccount/service_account_controller.h"
#include "controllers/statefulset/stateful_set_controller.h"

namespace vkube::controllers {

Result<std::unique_ptr<ControllerManager>> ControllerManager::Start(ControllerContext ctx,
                                                                    std::vector<ControllerFactory> extra) {
  ctx.informer = std::make_shared<SharedInformer>(ctx.objects->shared_store(), ctx.executor);
  std::unique_ptr<ControllerManager> m(new ControllerManager(ctx));
  auto& cs = m->controllers_;
  cs.push_back(std::make_unique<NamespaceController>(ctx));
  cs.push_back(std::make_unique<GarbageCollector>(ctx));
  cs.push_back(std::make_unique<ServiceAccountController>(ctx));
  cs.push_back(std::make_unique<RootCaController>(ctx));
  cs.push_back(std::make_unique<ReplicaSetController>(ctx, "apps", "replicasets"));
  if (ctx.objects->Find("", "replicationcontrollers") != nullptr) {
    cs.push_back(std::make_unique<ReplicaSetController>(ctx, "", "replicationcontrollers"));
  }
  cs.push_back(std::make_unique<DeploymentController>(ctx));
  cs.push_back(std::make_unique<EndpointsController>(ctx));
  if (ctx.objects->Find("", "resourcequotas") != nullptr) cs.push_back(std::make_unique<ResourceQuotaController>(ctx));
  cs.push_back(std::make_unique<StatefulSetController>(ctx));
  cs.push_back(std::make_unique<DaemonSetController>(ctx));
  // Kinds some registries may not serve (e.g. a trimmed test registry): only when present.
  if (ctx.objects->Find("batch", "jobs") != nullptr) cs.push_back(std::make_unique<JobController>(ctx));
  if (ctx.objects->Find("batch", "cronjobs") != nullptr) cs.push_back(std::make_unique<CronJobController>(ctx));
  if (ctx.objects->Find("rbac.authorization.k8s.io", "clusterroles") != nullptr) {
    cs.push_back(std::make_unique<ClusterRoleAggregationController>(ctx));
  }
  if (ctx.objects->Find("policy", "poddisruptionbudgets") != nullptr) {
    cs.push_back(std::make_unique<DisruptionController>(ctx));
  }
  if (ctx.objects->Find("autoscaling", "horizontalpodautoscalers") != nullptr) {
    cs.push_back(std::make_unique<HorizontalController>(ctx));
  }
  if (ctx.objects->Find("apiextensions.k8s.io", "customresourcedefinitions") != nullptr) {
    cs.push_back(std::make_unique<CrdController>(ctx));
  }
  cs.push_back(std::make_unique<PodGcController>(ctx));
  for (const auto& make : extra) {
    if (auto c = make ? make(ctx) : nullptr) cs.push_back(std::move(c));
  }
  for (auto& c : cs) c->Register(*ctx.informer);
  if (auto s = ctx.informer->Start(); !s) return s.take_error();
  for (auto& c : cs) c->Start();
  return m;
}

ControllerManager::~ControllerManager() { Stop(); }

void ControllerManager::Stop() {
  if (ctx_.informer) ctx_.informer->Stop();
  for (auto& c : controllers_) c->Stop();
}

}  // namespace vkube::controllers
