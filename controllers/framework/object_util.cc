#include "controllers/framework/object_util.h"

#include <cmath>

#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
thread_local ParseScope* current_scope = nullptr;
}  // namespace

ParseScope::ParseScope() : outer_(current_scope) { current_scope = this; }

ParseScope::~ParseScope() {
  current_scope = outer_;
  for (const auto& [obj, parsed] : pinned_) store::ForgetParsed(*obj);
}

ParseScope* ParseScope::Current() { return current_scope; }

void ParseScope::Pin(const store::ObjectPtr& obj, store::JsonPtr parsed) {
  for (const auto& p : pinned_) {
    if (p.first == obj) return;
  }
  pinned_.emplace_back(obj, std::move(parsed));
}

store::JsonPtr View(const store::ObjectPtr& obj) {
  if (ParseScope* scope = ParseScope::Current()) {
    store::JsonPtr parsed = store::ParsedJson(*obj);
    scope->Pin(obj, parsed);
    return parsed;
  }
  if (store::JsonPtr shared = obj->parsed.load(std::memory_order_acquire).lock()) return shared;
  // Outside a scope nothing is cached: the object would keep the parse's bookkeeping alive.
  return std::make_shared<const Json>(Json::parse(obj->json, nullptr, false));
}

Json Parse(const store::ObjectPtr& obj) {
  if (store::JsonPtr shared = obj->parsed.load(std::memory_order_acquire).lock()) return *shared;
  return Json::parse(obj->json, nullptr, false);
}

std::optional<OwnerRef> ControllerRef(const Json& obj) {
  const Json& refs = jsonx::At(obj, "metadata.ownerReferences");
  if (!refs.is_array()) return std::nullopt;
  for (const auto& r : refs) {
    if (!jsonx::Bool(r, "controller")) continue;
    return OwnerRef{jsonx::Str(r, "apiVersion"), jsonx::Str(r, "kind"), jsonx::Str(r, "name"), jsonx::Str(r, "uid"), true};
  }
  return std::nullopt;
}

Json NewControllerRef(const Json& owner) {
  return Json{{"apiVersion", jsonx::Str(owner, "apiVersion")},
              {"kind", jsonx::Str(owner, "kind")},
              {"name", jsonx::Str(owner, "metadata.name")},
              {"uid", jsonx::Str(owner, "metadata.uid")},
              {"controller", true},
              {"blockOwnerDeletion", true}};
}

bool IsTerminating(const Json& obj) { return jsonx::Has(jsonx::At(obj, "metadata"), "deletionTimestamp"); }

bool IsPodActive(const Json& pod) {
  const std::string phase = jsonx::Str(pod, "status.phase");
  return phase != "Succeeded" && phase != "Failed" && !IsTerminating(pod);
}

namespace {
const Json* ReadyCondition(const Json& pod) {
  const Json& conds = jsonx::At(pod, "status.conditions");
  if (!conds.is_array()) return nullptr;
  for (const auto& c : conds) {
    if (jsonx::Str(c, "type") == "Ready") return &c;
  }
  return nullptr;
}
}  // namespace

bool IsPodReady(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  return c != nullptr && jsonx::Str(*c, "status") == "True";
}

bool IsPodAvailable(const Json& pod, std::int64_t min_ready_seconds, SystemTime now) {
  const Json* c = ReadyCondition(pod);
  if (c == nullptr || jsonx::Str(*c, "status") != "True") return false;
  if (min_ready_seconds <= 0) return true;
  auto since = ParseRfc3339(jsonx::Str(*c, "lastTransitionTime"));
  if (!since) return false;
  return *since + std::chrono::seconds(min_ready_seconds) <= now;
}

void SetCondition(Json& status, const std::string& type, const std::string& cond_status, const std::string& reason,
                  const std::string& message, SystemTime now, bool with_update_time) {
  if (!status.is_object()) status = Json::object();
  Json& conds = status["conditions"];
  if (!conds.is_array()) conds = Json::array();
  const std::string ts = FormatRfc3339(now);
  for (auto& c : conds) {
    if (jsonx::Str(c, "type") != type) continue;
    if (jsonx::Str(c, "status") != cond_status) c["lastTransitionTime"] = ts;
    if (with_update_time && (jsonx::Str(c, "reason") != reason || jsonx::Str(c, "message") != message ||
                             jsonx::Str(c, "status") != cond_status)) {
      c["lastUpdateTime"] = ts;
    }
    c["status"] = cond_status;
    c["reason"] = reason;
    c["message"] = message;
    return;
  }
  Json c = {{"type", type}, {"status", cond_status}, {"lastTransitionTime", ts}, {"reason", reason}, {"message", message}};
  if (with_update_time) c["lastUpdateTime"] = ts;
  conds.push_back(std::move(c));
}

int ScaledValue(const Json& v, int total, bool round_up, int fallback) {
  if (v.is_number_integer()) return static_cast<int>(v.get<std::int64_t>());
  if (!v.is_string()) return fallback;
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') {
    try {
      return std::stoi(s);
    } catch (...) {
      return fallback;
    }
  }
  int pct = 0;
  try {
    pct = std::stoi(s.substr(0, s.size() - 1));
  } catch (...) {
    return fallback;
  }
  double x = static_cast<double>(pct) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(x) : std::floor(x));
}

}  // namespace vkube::controllers
