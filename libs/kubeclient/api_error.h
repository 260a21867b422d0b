#pragma once
// Host API errors as typed values: a metav1.Status body (or just the HTTP status when the body is
// not a Status) becomes a vkube::Error whose code is the Status reason (NotFound, AlreadyExists,
// Conflict, Gone, Expired, TooManyRequests, ...), with details (name, kind, causes, and
// retry_after_seconds from Status.details or the Retry-After header).
#include <string_view>

#include "libs/core/error.h"

namespace vkube::kube {

Error ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after_header);
// A Status object already parsed from JSON text (a watch ERROR event's object).
Error ErrorFromStatusJson(std::string_view status_json);

inline bool IsNotFound(const Error& e) { return e.code == ErrorCode::kNotFound; }
inline bool IsAlreadyExists(const Error& e) { return e.code == ErrorCode::kAlreadyExists; }
inline bool IsConflict(const Error& e) { return e.code == ErrorCode::kConflict; }
// 410: the resourceVersion (or continue token) is older than the server's history: re-list.
inline bool IsGone(const Error& e) { return e.code == ErrorCode::kGone || e.code == ErrorCode::kExpired; }
inline bool IsTooManyRequests(const Error& e) { return e.code == ErrorCode::kTooManyRequests; }
// Worth retrying later unchanged: throttling, timeouts, unavailable server or lost connection.
bool IsRetryable(const Error& e);

}  // namespace vkube::kube
