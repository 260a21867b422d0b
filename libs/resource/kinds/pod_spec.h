#pragma once
// core/v1 PodSpec behaviour shared by pods and the pod templates of workloads: defaulting
// (SetDefaults_PodSpec/Container/Probe/Volume...), validation (ValidatePodSpec's common checks)
// and the QoS class (ComputePodQOS).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource {

// Defaults of a pod spec. `is_pod` adds what kube defaults only on Pods, not on templates
// (SetDefaults_Pod: requests copied from limits, enableServiceLinks, hostNetwork host ports).
void DefaultPodSpec(nlohmann::json& spec, bool is_pod);

// Validation of a pod spec at `path` ("spec" or "spec.template.spec"); appends to errs.
void ValidatePodSpec(const nlohmann::json& spec, const std::string& path, std::vector<FieldCause>& errs);

// Defaults of a PodTemplateSpec (templates of workloads, jobs, pod templates): the pod spec's
// defaults and the `creationTimestamp: null` v1 serializes for a template's metadata.
void DefaultPodTemplateSpec(nlohmann::json& tpl);

// ValidatePodTemplateSpec at `path` ("spec.template", "template"): the template's labels and
// annotations, its pod spec, and no ephemeral containers.
void ValidatePodTemplateSpec(const nlohmann::json& tpl, const std::string& path, std::vector<FieldCause>& errs);

// "BestEffort", "Burstable" or "Guaranteed" from the containers' cpu/memory requests and limits.
std::string PodQosClass(const nlohmann::json& spec);

}  // namespace vkube::resource
