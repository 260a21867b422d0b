#pragma once
// Small helpers over object JSON shared by the controllers (kube's controller_utils / podutil).
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/time.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::controllers {

using Json = nlohmann::json;

// A private, mutable copy of the object (shares a parse an event's handlers already made).
Json Parse(const store::ObjectPtr& obj);
// A read-only view: inside a ParseScope every caller gets the same parse of one object.
store::JsonPtr View(const store::ObjectPtr& obj);

// While alive on a thread, View() of an object parses it once and shares that parse: an informer
// opens one per event, so the ten handlers looking at a pod parse it once instead of ten times.
// Parses are released (and the objects forget them) when the scope ends: nothing is kept.
class ParseScope {
 public:
  ParseScope();
  ~ParseScope();
  ParseScope(const ParseScope&) = delete;
  ParseScope& operator=(const ParseScope&) = delete;

  static ParseScope* Current();
  void Pin(const store::ObjectPtr& obj, store::JsonPtr parsed);

 private:
  ParseScope* outer_;
  std::vector<std::pair<store::ObjectPtr, store::JsonPtr>> pinned_;
};

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

// The ownerReference with controller=true, if any.
std::optional<OwnerRef> ControllerRef(const Json& obj);
// {"apiVersion","kind","name","uid","controller":true,"blockOwnerDeletion":true} for `owner`.
Json NewControllerRef(const Json& owner);

bool IsTerminating(const Json& obj);  // metadata.deletionTimestamp set

// Pods: active = not terminating and not Succeeded/Failed; ready = Ready condition True;
// available = ready for at least min_ready_seconds at `now`.
bool IsPodActive(const Json& pod);
bool IsPodReady(const Json& pod);
bool IsPodAvailable(const Json& pod, std::int64_t min_ready_seconds, SystemTime now);

// metav1.Condition-style upsert into status.conditions: lastTransitionTime changes only when the
// status changes; lastUpdateTime (when `with_update_time`) whenever reason/message change.
void SetCondition(Json& status, const std::string& type, const std::string& cond_status, const std::string& reason,
                  const std::string& message, SystemTime now, bool with_update_time = false);

// Parses an IntOrString like maxSurge ("25%" or 1) against `total`; percentages round up or down.
int ScaledValue(const Json& v, int total, bool round_up, int fallback);

}  // namespace vkube::controllers
