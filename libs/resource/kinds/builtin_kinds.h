#pragma once
// Factories for the built-in kinds' strategies (one file per kind, kinds/<kind>_strategy.cc).
#include <memory>
#include <string>

#include "libs/resource/strategy.h"

namespace vkube::resource {

// core/v1
std::shared_ptr<const Strategy> MakePodStrategy();
std::shared_ptr<const Strategy> MakeServiceStrategy();
std::shared_ptr<const Strategy> MakeNamespaceStrategy();
std::shared_ptr<const Strategy> MakeConfigMapStrategy();
std::shared_ptr<const Strategy> MakeSecretStrategy();
std::shared_ptr<const Strategy> MakeServiceAccountStrategy();
std::shared_ptr<const Strategy> MakeEventStrategy();
std::shared_ptr<const Strategy> MakeEndpointsStrategy();
std::shared_ptr<const Strategy> MakeNodeStrategy();
std::shared_ptr<const Strategy> MakePersistentVolumeClaimStrategy();
std::shared_ptr<const Strategy> MakePersistentVolumeStrategy();
std::shared_ptr<const Strategy> MakeLimitRangeStrategy();
std::shared_ptr<const Strategy> MakeResourceQuotaStrategy();
std::shared_ptr<const Strategy> MakePodTemplateStrategy();
std::shared_ptr<const Strategy> MakeReplicationControllerStrategy();
std::shared_ptr<const Strategy> MakeComponentStatusStrategy();
// apps/v1
std::shared_ptr<const Strategy> MakeDeploymentStrategy();
std::shared_ptr<const Strategy> MakeReplicaSetStrategy();
std::shared_ptr<const Strategy> MakeStatefulSetStrategy();
std::shared_ptr<const Strategy> MakeDaemonSetStrategy();
std::shared_ptr<const Strategy> MakeControllerRevisionStrategy();
// batch/v1
std::shared_ptr<const Strategy> MakeJobStrategy();
std::shared_ptr<const Strategy> MakeCronJobStrategy();
// autoscaling/v2
std::shared_ptr<const Strategy> MakeHorizontalPodAutoscalerStrategy();
// policy/v1
std::shared_ptr<const Strategy> MakePodDisruptionBudgetStrategy();
// networking.k8s.io/v1
std::shared_ptr<const Strategy> MakeIngressStrategy();
std::shared_ptr<const Strategy> MakeIngressClassStrategy();
std::shared_ptr<const Strategy> MakeNetworkPolicyStrategy();
// discovery.k8s.io/v1
std::shared_ptr<const Strategy> MakeEndpointSliceStrategy();
// rbac.authorization.k8s.io/v1
std::shared_ptr<const Strategy> MakeRoleStrategy();
std::shared_ptr<const Strategy> MakeClusterRoleStrategy();
std::shared_ptr<const Strategy> MakeRoleBindingStrategy();
std::shared_ptr<const Strategy> MakeClusterRoleBindingStrategy();
// storage.k8s.io/v1
std::shared_ptr<const Strategy> MakeStorageClassStrategy();
std::shared_ptr<const Strategy> MakeCsiDriverStrategy();
// coordination.k8s.io/v1, scheduling.k8s.io/v1
std::shared_ptr<const Strategy> MakeLeaseStrategy();
std::shared_ptr<const Strategy> MakePriorityClassStrategy();
// events.k8s.io/v1 (stored apart from core/v1 events)
std::shared_ptr<const Strategy> MakeEventsV1EventStrategy();
// admissionregistration.k8s.io/v1 (stored only: vkube calls no webhooks)
std::shared_ptr<const Strategy> MakeValidatingWebhookConfigurationStrategy();
std::shared_ptr<const Strategy> MakeMutatingWebhookConfigurationStrategy();
// apiextensions.k8s.io/v1
std::shared_ptr<const Strategy> MakeCustomResourceDefinitionStrategy();
// The version a CRD marks as storage ("" unless exactly one).
std::string CustomResourceStorageVersion(const nlohmann::json& crd);
// authorization.k8s.io/v1 *AccessReview / SelfSubjectRulesReview, authentication.k8s.io/v1
// TokenReview / SelfSubjectReview: create-only, answered by the API server, never stored.
std::shared_ptr<const Strategy> MakeReviewStrategy(std::string kind, bool namespaced);

}  // namespace vkube::resource
