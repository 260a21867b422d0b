#pragma once
// Typed errors travel as values through store, registry and handlers; only the HTTP handler turns
// them into a metav1.Status (see resource/status.h). Codes mirror kube-apiserver's StatusReasons.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vkube {

enum class ErrorCode : std::uint8_t {
  kBadRequest,             // 400 BadRequest
  kUnauthorized,           // 401 Unauthorized
  kForbidden,              // 403 Forbidden
  kNotFound,               // 404 NotFound
  kMethodNotAllowed,       // 405 MethodNotAllowed
  kNotAcceptable,          // 406 NotAcceptable
  kAlreadyExists,          // 409 AlreadyExists
  kConflict,               // 409 Conflict
  kGone,                   // 410 Gone (watch/list from a compacted resourceVersion)
  kExpired,                // 410 Expired (continue token too old)
  kRequestEntityTooLarge,  // 413 RequestEntityTooLarge
  kUnsupportedMediaType,   // 415 UnsupportedMediaType
  kInvalid,                // 422 Invalid (field errors in causes)
  kTooManyRequests,        // 429 TooManyRequests
  kInternal,               // 500 InternalError
  kServiceUnavailable,     // 503 ServiceUnavailable
  kTimeout,                // 504 Timeout
};

// One field-level cause, as in metav1.StatusCause (type e.g. "FieldValueInvalid").
struct FieldCause {
  std::string type;
  std::string message;
  std::string field;
};

// Details that kube-apiserver puts into Status.details (name/group/kind of the object concerned).
struct ErrorDetails {
  std::string name;
  std::string group;
  std::string kind;  // lower-case plural resource, as kube-apiserver reports it (e.g. "pods")
  std::vector<FieldCause> causes;
  int retry_after_seconds = 0;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  ErrorDetails details;

  static Error Make(ErrorCode c, std::string msg) { return Error{c, std::move(msg), {}}; }
};

int HttpStatusOf(ErrorCode code);
std::string_view ReasonOf(ErrorCode code);  // "NotFound", "AlreadyExists", ... ("" for 500)

}  // namespace vkube
