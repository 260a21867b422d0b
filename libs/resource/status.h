#pragma once
// metav1.Status: the body of every error response and of successful deletes of collections.
#include <string>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource {

nlohmann::json StatusFromError(const Error& error);
nlohmann::json StatusSuccess(const nlohmann::json& details = nullptr);

// Builders in kube-apiserver's exact wording (k8s.io/apimachinery/pkg/api/errors).
Error NotFound(std::string_view group, std::string_view resource, std::string_view name);  // `pods "x" not found`
Error AlreadyExists(std::string_view group, std::string_view resource, std::string_view name);
// `Operation cannot be fulfilled on pods "x": the object has been modified; please apply your
// changes to the latest version and try again`
Error Conflict(std::string_view group, std::string_view resource, std::string_view name, std::string_view why);
// `Pod "x" is invalid: spec.containers: Required value` (kind singular, causes attached).
Error Invalid(std::string_view group, std::string_view kind, std::string_view name, std::vector<FieldCause> causes);
Error BadRequest(std::string message);

}  // namespace vkube::resource
