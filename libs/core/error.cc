#include "libs/core/error.h"

namespace vkube {

int HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest: return 400;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kNotAcceptable: return 406;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kGone:
    case ErrorCode::kExpired: return 410;
    case ErrorCode::kRequestEntityTooLarge: return 413;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kInvalid: return 422;
    case ErrorCode::kTooManyRequests: return 429;
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kServiceUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
  }
  return 500;
}

std::string_view ReasonOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest: return "BadRequest";
    case ErrorCode::kUnauthorized: return "Unauthorized";
    case ErrorCode::kForbidden: return "Forbidden";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kMethodNotAllowed: return "MethodNotAllowed";
    case ErrorCode::kNotAcceptable: return "NotAcceptable";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kGone: return "Gone";
    case ErrorCode::kExpired: return "Expired";
    case ErrorCode::kRequestEntityTooLarge: return "RequestEntityTooLarge";
    case ErrorCode::kUnsupportedMediaType: return "UnsupportedMediaType";
    case ErrorCode::kInvalid: return "Invalid";
    case ErrorCode::kTooManyRequests: return "TooManyRequests";
    case ErrorCode::kInternal: return "InternalError";
    case ErrorCode::kServiceUnavailable: return "ServiceUnavailable";
    case ErrorCode::kTimeout: return "Timeout";
  }
  return "InternalError";
}

}  // namespace vkube
