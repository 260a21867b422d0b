#pragma once
// The kinds a tenant's CustomResourceDefinitions add (kube's apiextensions crdHandler): one Kind
// per served version of every established CRD, each with a Strategy driven by the version's
// structural schema (pruning, defaulting, validation), its status/scale subresources and its
// additionalPrinterColumns. Pure functions of the CRD objects: the caller builds a new registry
// snapshot from them whenever the CRDs change.
#include <nlohmann/json.hpp>
#include <vector>

#include "libs/resource/registry.h"

namespace vkube::resource {

// status.conditions has Established=True.
bool IsCrdEstablished(const nlohmann::json& crd);

// One Kind per served version (in spec order), none unless established. A CRD being deleted
// still serves (reads, updates and deletes) but its kinds refuse creates.
std::vector<Kind> CustomResourceKinds(const nlohmann::json& crd);

}  // namespace vkube::resource
