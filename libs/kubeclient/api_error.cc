#include "libs/kubeclient/api_error.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string>

namespace vkube::kube {
namespace {

using nlohmann::json;

struct ReasonCode {
  std::string_view reason;
  ErrorCode code;
};
constexpr ReasonCode kReasons[] = {
    {"BadRequest", ErrorCode::kBadRequest},
    {"Unauthorized", ErrorCode::kUnauthorized},
    {"Forbidden", ErrorCode::kForbidden},
    {"NotFound", ErrorCode::kNotFound},
    {"MethodNotAllowed", ErrorCode::kMethodNotAllowed},
    {"NotAcceptable", ErrorCode::kNotAcceptable},
    {"AlreadyExists", ErrorCode::kAlreadyExists},
    {"Conflict", ErrorCode::kConflict},
    {"Gone", ErrorCode::kGone},
    {"Expired", ErrorCode::kExpired},
    {"RequestEntityTooLarge", ErrorCode::kRequestEntityTooLarge},
    {"UnsupportedMediaType", ErrorCode::kUnsupportedMediaType},
    {"Invalid", ErrorCode::kInvalid},
    {"TooManyRequests", ErrorCode::kTooManyRequests},
    {"InternalError", ErrorCode::kInternal},
    {"ServiceUnavailable", ErrorCode::kServiceUnavailable},
    {"ServerTimeout", ErrorCode::kTimeout},
    {"Timeout", ErrorCode::kTimeout},
};

// What client-go's errors.FromObject / NewGenericServerResponse infer from a bare HTTP status.
ErrorCode CodeOfHttpStatus(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kBadRequest;
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 405:
      return ErrorCode::kMethodNotAllowed;
    case 406:
      return ErrorCode::kNotAcceptable;
    case 409:
      return ErrorCode::kConflict;
    case 410:
      return ErrorCode::kGone;
    case 413:
      return ErrorCode::kRequestEntityTooLarge;
    case 415:
      return ErrorCode::kUnsupportedMediaType;
    case 422:
      return ErrorCode::kInvalid;
    case 429:
      return ErrorCode::kTooManyRequests;
    case 503:
      return ErrorCode::kServiceUnavailable;
    case 504:
      return ErrorCode::kTimeout;
    default:
      return ErrorCode::kInternal;
  }
}

int ParseSeconds(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || n < 0) return 0;
  return n;
}

Error FromStatus(const json& st, int http_status) {
  Error e;
  int code = http_status;
  if (auto it = st.find("code"); it != st.end() && it->is_number_integer()) code = it->get<int>();
  e.code = CodeOfHttpStatus(code);
  if (auto it = st.find("reason"); it != st.end() && it->is_string()) {
    const auto reason = it->get<std::string>();
    for (const auto& rc : kReasons) {
      if (rc.reason == reason) e.code = rc.code;
    }
  }
  if (auto it = st.find("message"); it != st.end() && it->is_string()) e.message = it->get<std::string>();
  if (e.message.empty()) e.message = "the host API answered " + std::to_string(code);
  if (auto d = st.find("details"); d != st.end() && d->is_object()) {
    e.details.name = d->value("name", "");
    e.details.group = d->value("group", "");
    e.details.kind = d->value("kind", "");
    if (auto ra = d->find("retryAfterSeconds"); ra != d->end() && ra->is_number_integer()) {
      e.details.retry_after_seconds = ra->get<int>();
    }
    if (auto causes = d->find("causes"); causes != d->end() && causes->is_array()) {
      for (const auto& c : *causes) {
        if (!c.is_object()) continue;
        e.details.causes.push_back(FieldCause{c.value("reason", ""), c.value("message", ""), c.value("field", "")});
      }
    }
  }
  return e;
}

}  // namespace

Error ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after_header) {
  json st = json::parse(body, nullptr, false);
  Error e;
  if (st.is_object() && st.value("kind", "") == "Status") {
    e = FromStatus(st, http_status);
  } else {
    e.code = CodeOfHttpStatus(http_status);
    e.message = "the host API answered " + std::to_string(http_status);
    if (!body.empty()) e.message += ": " + std::string(body.substr(0, 256));
  }
  if (const int s = ParseSeconds(retry_after_header); s > 0) e.details.retry_after_seconds = s;
  return e;
}

Error ErrorFromStatusJson(std::string_view status_json) {
  json st = json::parse(status_json, nullptr, false);
  if (!st.is_object()) return Error::Make(ErrorCode::kInternal, "malformed Status in watch ERROR event");
  return FromStatus(st, 500);
}

bool IsRetryable(const Error& e) {
  switch (e.code) {
    case ErrorCode::kTooManyRequests:
    case ErrorCode::kServiceUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kInternal:
      return true;
    default:
      return false;
  }
}

}  // namespace vkube::kube
