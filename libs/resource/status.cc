#include "libs/resource/status.h"

namespace vkube::resource {
namespace {

std::string Qualified(std::string_view group, std::string_view resource) {
  std::string r(resource);
  if (!group.empty()) r.append(".").append(group);
  return r;
}

}  // namespace

nlohmann::json StatusFromError(const Error& e) {
  const int code = HttpStatusOf(e.code);
  nlohmann::json st = {{"kind", "Status"},    {"apiVersion", "v1"},   {"metadata", nlohmann::json::object()},
                       {"status", "Failure"}, {"message", e.message}, {"reason", ReasonOf(e.code)},
                       {"code", code}};
  nlohmann::json details = nlohmann::json::object();
  if (!e.details.name.empty()) details["name"] = e.details.name;
  if (!e.details.group.empty()) details["group"] = e.details.group;
  if (!e.details.kind.empty()) details["kind"] = e.details.kind;
  if (!e.details.causes.empty()) {
    auto& causes = details["causes"] = nlohmann::json::array();
    for (const auto& c : e.details.causes) {
      nlohmann::json jc = {{"reason", c.type}, {"message", c.message}};
      if (!c.field.empty()) jc["field"] = c.field;
      causes.push_back(std::move(jc));
    }
  }
  if (e.details.retry_after_seconds > 0) details["retryAfterSeconds"] = e.details.retry_after_seconds;
  if (!details.empty()) st["details"] = std::move(details);
  if (e.code == ErrorCode::kInternal && e.message.empty()) st["message"] = "Internal error occurred";
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
  Error e = Error::Make(ErrorCode::kNotFound, Qualified(group, resource) + " \"" + std::string(name) + "\" not found");
  e.details = {std::string(name), std::string(group), std::string(resource), {}, 0};
  return e;
}

Error AlreadyExists(std::string_view group, std::string_view resource, std::string_view name) {
  Error e = Error::Make(ErrorCode::kAlreadyExists,
                        Qualified(group, resource) + " \"" + std::string(name) + "\" already exists");
  e.details = {std::string(name), std::string(group), std::string(resource), {}, 0};
  return e;
}

Error Conflict(std::string_view group, std::string_view resource, std::string_view name, std::string_view why) {
  Error e = Error::Make(ErrorCode::kConflict, "Operation cannot be fulfilled on " + Qualified(group, resource) + " \"" +
                                                  std::string(name) + "\": " + std::string(why));
  e.details = {std::string(name), std::string(group), std::string(resource), {}, 0};
  return e;
}

Error Invalid(std::string_view group, std::string_view kind, std::string_view name, std::vector<FieldCause> causes) {
  std::string msg = std::string(kind) + " \"" + std::string(name) + "\" is invalid: ";
  auto one = [](const FieldCause& c) { return c.field.empty() ? c.message : c.field + ": " + c.message; };
  if (causes.size() == 1) {
    msg += one(causes[0]);
  } else {
    msg += "[";
    for (std::size_t i = 0; i < causes.size(); ++i) msg += (i ? ", " : "") + one(causes[i]);
    msg += "]";
  }
  Error e = Error::Make(ErrorCode::kInvalid, std::move(msg));
  e.details = {std::string(name), std::string(group), std::string(kind), std::move(causes), 0};
  return e;
}

Error BadRequest(std::string message) { return Error::Make(ErrorCode::kBadRequest, std::move(message)); }

}  // namespace vkube::resource
