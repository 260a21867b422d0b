#include "libs/resource/status.h"

#include <set>

#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

constexpr std::string_view kInternalPrefix = "Internal error occurred";

std::string Qualified(std::string_view group, std::string_view resource) {
  std::string r(resource);
  if (!group.empty()) r.append(".").append(group);
  return r;
}

Error WithDetails(ErrorCode code, std::string message, std::string_view group, std::string_view kind,
                  std::string_view name) {
  Error e = Error::Make(code, std::move(message));
  e.details.name = std::string(name);
  e.details.group = std::string(group);
  e.details.kind = std::string(kind);
  return e;
}

}  // namespace

nlohmann::json StatusFromError(const Error& e) {
  std::string message = e.message;
  std::vector<FieldCause> causes = e.details.causes;
  if (e.code == ErrorCode::kInternal && message.rfind(kInternalPrefix, 0) != 0) {
    if (message.empty()) {
      message = std::string(kInternalPrefix);
    } else {
      if (causes.empty()) causes.push_back({"", message, ""});
      message = std::string(kInternalPrefix) + ": " + message;
    }
  }
  nlohmann::json st = {{"kind", "Status"},   {"apiVersion", "v1"},
                       {"metadata", nlohmann::json::object()},
                       {"status", "Failure"}, {"message", std::move(message)},
                       {"code", HttpStatusOf(e.code)}};
  if (auto reason = ReasonOf(e.code); !reason.empty()) st["reason"] = reason;
  nlohmann::json details = nlohmann::json::object();
  if (!e.details.name.empty()) details["name"] = e.details.name;
  if (!e.details.group.empty()) details["group"] = e.details.group;
  if (!e.details.kind.empty()) details["kind"] = e.details.kind;
  if (!causes.empty()) {
    auto& out = details["causes"] = nlohmann::json::array();
    for (const auto& c : causes) {
      nlohmann::json jc = nlohmann::json::object();
      if (!c.type.empty()) jc["reason"] = c.type;
      if (!c.message.empty()) jc["message"] = c.message;
      if (!c.field.empty()) jc["field"] = c.field;
      out.push_back(std::move(jc));
    }
  }
  if (e.details.retry_after_seconds > 0) details["retryAfterSeconds"] = e.details.retry_after_seconds;
  if (!details.empty()) st["details"] = std::move(details);
  return st;
}

nlohmann::json StatusSuccess(const nlohmann::json& details) {
  nlohmann::json st = {{"kind", "Status"},
                       {"apiVersion", "v1"},
                       {"metadata", nlohmann::json::object()},
                       {"status", "Success"}};
  if (!details.is_null()) st["details"] = details;
  return st;
}

Error NotFound(std::string_view group, std::string_view resource, std::string_view name) {
  return WithDetails(ErrorCode::kNotFound,
                     Qualified(group, resource) + " " + validation::GoQuote(name) + " not found", group, resource,
                     name);
}

Error AlreadyExists(std::string_view group, std::string_view resource, std::string_view name) {
  return WithDetails(ErrorCode::kAlreadyExists,
                     Qualified(group, resource) + " " + validation::GoQuote(name) + " already exists", group,
                     resource, name);
}

Error Conflict(std::string_view group, std::string_view resource, std::string_view name, std::string_view why) {
  return WithDetails(ErrorCode::kConflict,
                     "Operation cannot be fulfilled on " + Qualified(group, resource) + " " +
                         validation::GoQuote(name) + ": " + std::string(why),
                     group, resource, name);
}

std::string AggregateCauses(const std::vector<FieldCause>& causes) {
  std::set<std::string> seen;
  std::string joined;
  for (const auto& c : causes) {
    std::string one = c.field.empty() ? c.message : c.field + ": " + c.message;
    if (!seen.insert(one).second) continue;
    if (seen.size() > 1) joined += ", ";
    joined += one;
  }
  return seen.size() > 1 ? "[" + joined + "]" : joined;
}

Error Invalid(std::string_view group, std::string_view kind, std::string_view name, std::vector<FieldCause> causes) {
  std::string msg = Qualified(group, kind) + " " + validation::GoQuote(name) + " is invalid";
  if (!causes.empty()) msg += ": " + AggregateCauses(causes);
  Error e = WithDetails(ErrorCode::kInvalid, std::move(msg), group, kind, name);
  e.details.causes = std::move(causes);
  return e;
}

Error BadRequest(std::string message) { return Error::Make(ErrorCode::kBadRequest, std::move(message)); }

Error Forbidden(std::string_view group, std::string_view resource, std::string_view name, std::string_view reason) {
  std::string msg = Qualified(group, resource);
  if (!name.empty()) msg += " " + validation::GoQuote(name);
  msg += " is forbidden: " + std::string(reason);
  return WithDetails(ErrorCode::kForbidden, std::move(msg), group, resource, name);
}

Error MethodNotSupported(std::string_view group, std::string_view resource, std::string_view action) {
  return WithDetails(ErrorCode::kMethodNotAllowed,
                     "action " + std::string(action) + " is not supported on " + Qualified(group, resource), group,
                     resource, "");
}

Error InternalError(std::string_view message) {
  Error e = Error::Make(ErrorCode::kInternal, std::string(kInternalPrefix) + ": " + std::string(message));
  e.details.causes.push_back({"", std::string(message), ""});
  return e;
}

Error TooManyRequests(std::string message, int retry_after_seconds) {
  Error e = Error::Make(ErrorCode::kTooManyRequests, std::move(message));
  e.details.retry_after_seconds = retry_after_seconds;
  return e;
}

Error Gone(std::string message) { return Error::Make(ErrorCode::kGone, std::move(message)); }
Error Expired(std::string message) { return Error::Make(ErrorCode::kExpired, std::move(message)); }

}  // namespace vkube::resource
