#pragma once
// metav1.Status: the body of every error response and of successful deletes of collections.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource {

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":..,"reason":..,
//  "details":{..},"code":..}; empty details fields are omitted. A 500 whose message does not yet
// say so is worded like apierrors.NewInternalError ("Internal error occurred: ...").
nlohmann::json StatusFromError(const Error& error);
nlohmann::json StatusSuccess(const nlohmann::json& details = nullptr);

// Builders in kube-apiserver's exact wording (k8s.io/apimachinery/pkg/api/errors). `group` and
// `resource` are the served group and plural; non-core resources are group-qualified in messages
// (`deployments.apps "web" not found`). Names are quoted like Go's %q.
Error NotFound(std::string_view group, std::string_view resource, std::string_view name);  // `pods "x" not found`
Error AlreadyExists(std::string_view group, std::string_view resource, std::string_view name);
// `Operation cannot be fulfilled on pods "x": <why>`; kConflictModified is kube's usual `why`.
Error Conflict(std::string_view group, std::string_view resource, std::string_view name, std::string_view why);
inline constexpr std::string_view kConflictModified =
    "the object has been modified; please apply your changes to the latest version and try again";
// `Pod "x" is invalid: spec.containers: Required value`; several causes: `[a, b]` (duplicate
// messages collapsed, as field.ErrorList.ToAggregate does). Non-core kinds are group-qualified
// (`Deployment.apps "web" is invalid: ...`); details.kind is the bare kind.
Error Invalid(std::string_view group, std::string_view kind, std::string_view name, std::vector<FieldCause> causes);
Error BadRequest(std::string message);
// `pods "x" is forbidden: <reason>` (`pods is forbidden: ...` without a name).
Error Forbidden(std::string_view group, std::string_view resource, std::string_view name, std::string_view reason);
// `action <verb> is not supported on <resource>`.
Error MethodNotSupported(std::string_view group, std::string_view resource, std::string_view action);
// `Internal error occurred: <message>` with the message as the single cause.
Error InternalError(std::string_view message);
Error TooManyRequests(std::string message, int retry_after_seconds);
Error Gone(std::string message);     // 410 Gone: watch from a compacted resourceVersion
Error Expired(std::string message);  // 410 Expired: continue token too old

// The aggregate text of field errors ("f: msg" or "[f: a, g: b]").
std::string AggregateCauses(const std::vector<FieldCause>& causes);

}  // namespace vkube::resource
