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
// apps/v1
std::shared_ptr<const Strategy> MakeDeploymentStrategy();
std::shared_ptr<const Strategy> MakeReplicaSetStrategy();
std::shared_ptr<const Strategy> MakeStatefulSetStrategy();
std::shared_ptr<const Strategy> MakeDaemonSetStrategy();

}  // namespace vkube::resource
