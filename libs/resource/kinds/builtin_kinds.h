#pragma once
// Factories for the built-in kinds' strategies (one file per kind family).
#include <memory>

#include <nlohmann/json.hpp>

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

// Pod spec defaulting shared by pods and workload templates (kube-apiserver's SetDefaults_PodSpec).
void DefaultPodSpec(nlohmann::json& spec);
// Validation of a pod spec at `path` ("spec" or "spec.template.spec").
void ValidatePodSpec(const nlohmann::json& spec, const std::string& path, std::vector<FieldCause>& errs);

}  // namespace vkube::resource
