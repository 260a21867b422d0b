#pragma once
// A tenant's Service on the host, and the host's allocations coming back. Pure functions over
// JSON (no I/O), like pod_translator.h.
//
// On the way down: the same type, ports and traffic settings; the selector narrowed to the host
// pods of the tenant's namespace (HostSelector); cluster IPs and node ports left to the host to
// allocate (the tenant's own allocations are local and would collide on the host).
// On the way up: the host's cluster IP becomes the tenant's, so what a pod resolves inside the
// tenant is an address the host routes. clusterIP is immutable in kube, so the tenant's Service
// is re-created with it (vcluster does the same).
#include <nlohmann/json.hpp>
#include <optional>

#include "libs/translate/pod_translator.h"

namespace vkube::translate {

// The host Service for `virtual_service` (no status, no resourceVersion, no allocations).
nlohmann::json TranslateService(const nlohmann::json& virtual_service, const PodTranslateOptions& options);

// `current` (the host's) with the fields the syncer owns taken from `desired`, keeping what the
// host allocated (cluster IPs, IP families, node ports); nullopt when nothing differs.
std::optional<nlohmann::json> UpdatedHostService(const nlohmann::json& current, const nlohmann::json& desired);

// The host's cluster IP when the tenant's Service must take it (it differs, and the Service is
// not headless or ExternalName); nullopt otherwise.
std::optional<std::string> HostClusterIpToAdopt(const nlohmann::json& virtual_service,
                                                const nlohmann::json& host_service);

// `virtual_service` as a fresh create carrying `cluster_ip`: server-set metadata dropped.
nlohmann::json ServiceWithClusterIp(const nlohmann::json& virtual_service, const std::string& cluster_ip);

}  // namespace vkube::translate
