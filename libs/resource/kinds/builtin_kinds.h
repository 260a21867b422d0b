#pragma once
// Factories for the built-in kinds' strategies (one file per kind, kinds/<kind>_strategy.cc).
#include <memory>

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

}  // namespace vkube::resource
