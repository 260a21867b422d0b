#pragma once
// Endpoints a tenant writes itself for a Service without a selector (an external database, a
// hand-picked set of pods), as the host's copy for the host Service of the same name: kube's
// endpoints controller leaves selectorless Services alone, on the host as in the tenant, so
// without this copy the host Service would route nowhere. Pure functions, like pod_translator.h.
//
// Addresses and ports are copied; a targetRef to a tenant pod names its host pod; other
// targetRefs (tenant objects the host does not have) are dropped.
#include <nlohmann/json.hpp>
#include <optional>

#include "libs/translate/pod_translator.h"

namespace vkube::translate {

// Whether the tenant's Endpoints for `virtual_service` are the tenant's to write (and so to sync):
// a Service without a selector that is not ExternalName.
bool HasManualEndpoints(const nlohmann::json& virtual_service);

// The host Endpoints for `virtual_endpoints` (named like the host Service).
nlohmann::json TranslateEndpoints(const nlohmann::json& virtual_endpoints, const PodTranslateOptions& options);

// `current` (the host's) with the subsets and labels of `desired`; nullopt when nothing differs.
std::optional<nlohmann::json> UpdatedHostEndpoints(const nlohmann::json& current, const nlohmann::json& desired);

}  // namespace vkube::translate
