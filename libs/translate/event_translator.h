#pragma once
// A host Event about a synced pod as the tenant sees it: in the pod's virtual namespace, about the
// virtual pod (name, namespace, uid), with the host's names in its message replaced by the
// tenant's (the scheduler's "Successfully assigned tenants/web-x-prod-x-a to node-1" becomes
// "... prod/web ..."). Pure, like the other translators.
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "libs/translate/name_translator.h"

namespace vkube::translate {

// nullopt when `host_event` is not about the host pod `host_pod_name` (a malformed event, or one
// about another object).
std::optional<nlohmann::json> VirtualEvent(const nlohmann::json& host_event, std::string_view host_namespace,
                                           std::string_view host_pod_name, const VirtualRef& pod);

}  // namespace vkube::translate
