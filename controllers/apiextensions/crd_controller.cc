#include "controllers/apiextensions/crd_controller.h"

#include <algorithm>
#include <set>
#include <vector>

#include "controllers/framework/object_util.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kCrds = "apiextensions.k8s.io/customresourcedefinitions";
constexpr const char* kCleanupFinalizer = resource::kCustomResourceCleanupFinalizer;
// The kind of a just-established CRD may reach the tenant's kinds snapshot a moment after its
// condition: look again shortly.
constexpr std::chrono::milliseconds kKindRetry{200};
// Instances still finalizing (their own finalizers): kube polls storage every 5 s for a minute.
constexpr std::chrono::milliseconds kInstancesPoll{1000};

// apiextensions/v1 CustomResourceDefinitionNames.
struct Names {
  std::string plural;
  std::string singular;
  std::vector<std::string> short_names;
  std::string kind;
  std::string list_kind;
  std::vector<std::string> categories;
  bool operator==(const Names&) const = default;
};

std::vector<std::string> Strings(const Json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

Names ReadNames(const Json& n) {
  return Names{jsonx::Str(n, "plural"), jsonx::Str(n, "singular"), Strings(jsonx::At(n, "shortNames")),
               jsonx::Str(n, "kind"),   jsonx::Str(n, "listKind"), Strings(jsonx::At(n, "categories"))};
}

// As Go marshals the struct: plural and kind always, the rest omitempty.
Json NamesJson(const Names& n) {
  Json j = {{"plural", n.plural}, {"kind", n.kind}};
  if (!n.singular.empty()) j["singular"] = n.singular;
  if (!n.short_names.empty()) j["shortNames"] = n.short_names;
  if (!n.list_kind.empty()) j["listKind"] = n.list_kind;
  if (!n.categories.empty()) j["categories"] = n.categories;
  return j;
}

struct Condition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
};

const Json* FindCondition(const Json& crd, const std::string& type) {
  const Json& conds = jsonx::At(crd, "status.conditions");
  if (!conds.is_array()) return nullptr;
  for (const auto& c : conds) {
    if (jsonx::Str(c, "type") == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const Json& crd, const std::string& type) {
  const Json* c = FindCondition(crd, type);
  return c != nullptr && jsonx::Str(*c, "status") == "True";
}

// apihelpers.IsCRDConditionEquivalent: type, status, reason and message.
bool Equivalent(const Json* existing, const Condition& c) {
  return existing != nullptr && jsonx::Str(*existing, "type") == c.type &&
         jsonx::Str(*existing, "status") == c.status && jsonx::Str(*existing, "reason") == c.reason &&
         jsonx::Str(*existing, "message") == c.message;
}

// apihelpers.SetCRDCondition: lastTransitionTime moves only when the status flips (or was unset).
void SetCrdCondition(Json& status, const Condition& c) {
  if (!status.is_object()) status = Json::object();
  Json& conds = status["conditions"];
  if (!conds.is_array()) conds = Json::array();
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  for (auto& e : conds) {
    if (jsonx::Str(e, "type") != c.type) continue;
    if (jsonx::Str(e, "status") != c.status || jsonx::Str(e, "lastTransitionTime").empty()) {
      e["lastTransitionTime"] = now;
    }
    e["status"] = c.status;
    e["reason"] = c.reason;
    e["message"] = c.message;
    return;
  }
  conds.push_back({{"type", c.type},
                   {"status", c.status},
                   {"lastTransitionTime", now},
                   {"reason", c.reason},
                   {"message", c.message}});
}

Json StatusOf(const Json& crd) {
  const Json& s = jsonx::At(crd, "status");
  return s.is_object() ? s : Json::object();
}

bool HasFinalizer(const Json& crd, const std::string& finalizer) {
  for (const auto& f : Strings(jsonx::At(crd, "metadata.finalizers"))) {
    if (f == finalizer) return true;
  }
  return false;
}

// The CRD's group from its name (validation makes it "<plural>.<group>").
std::string GroupOfName(const std::string& crd_name) {
  auto dot = crd_name.find('.');
  return dot == std::string::npos ? "" : crd_name.substr(dot + 1);
}

// equalToAcceptedOrFresh: "" when the requested name may be taken, the conflict otherwise.
std::string ConflictOf(const std::string& requested, const std::string& accepted, const std::set<std::string>& used) {
  if (requested == accepted || !used.contains(requested)) return "";
  return "\"" + requested + "\" is already in use";
}

// utilerrors.NewAggregate(errs).Error(): one message as is, several deduplicated in brackets.
std::string Aggregate(const std::vector<std::string>& errs) {
  if (errs.size() == 1) return errs[0];
  std::vector<std::string> seen;
  std::string out;
  for (const auto& e : errs) {
    if (std::find(seen.begin(), seen.end(), e) != seen.end()) continue;
    if (!seen.empty()) out += ", ";
    seen.push_back(e);
    out += e;
  }
  return seen.size() == 1 ? out : "[" + out + "]";
}

// CRDFinalizer's OverlappingBuiltInResources, widened to every built-in kind: our custom
// resources share the store with the built-in ones, so a CRD over a built-in group/resource must
// never have "its" instances deleted.
bool OverlapsBuiltIn(const resource::Registry& kinds, const std::string& group, const std::string& plural) {
  if ((group == "apiregistration.k8s.io" && plural == "apiservices") ||
      (group == "apiextensions.k8s.io" && plural == "customresourcedefinitions")) {
    return true;
  }
  const resource::Registry* root = &kinds;
  while (root->base()) root = root->base().get();
  for (const resource::Kind* k : root->kinds()) {
    if (k->info.group == group && k->info.resource == plural) return true;
  }
  return false;
}

}  // namespace

CrdController::CrdController(ControllerContext ctx)
    : QueueController(std::move(ctx)),
      crd_kind_(ctx_.objects->Find("apiextensions.k8s.io", "customresourcedefinitions")) {}

void CrdController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = kCrds,
                       .on_add =
                           [this](const store::ObjectPtr& o) {
                             Enqueue(o);
                             EnqueueGroup(o->key.name);
                           },
                       .on_update =
                           [this](const store::ObjectPtr&, const store::ObjectPtr& o) {
                             {
                               std::lock_guard lock(written_mu_);
                               auto it = written_.find(o->key.name);
                               if (it != written_.end() && it->second->revision <= o->revision) written_.erase(it);
                             }
                             Enqueue(o);
                             EnqueueGroup(o->key.name);
                           },
                       .on_delete =
                           [this](const store::ObjectPtr& o) {
                             {
                               std::lock_guard lock(written_mu_);
                               written_.erase(o->key.name);
                             }
                             // Its accepted names are free again: the group's rejected CRDs retry.
                             EnqueueGroup(o->key.name);
                           }});
}

void CrdController::EnqueueGroup(const std::string& crd_name) {
  const std::string group = GroupOfName(crd_name);
  for (const auto& crd : ctx_.informer->List(kCrds)) {
    if (crd->key.name != crd_name && GroupOfName(crd->key.name) == group) Enqueue(crd);
  }
}

store::ObjectPtr CrdController::Latest(const store::ObjectPtr& cached) {
  std::lock_guard lock(written_mu_);
  auto it = written_.find(cached->key.name);
  if (it != written_.end() && it->second->revision > cached->revision) return it->second;
  return cached;
}

Result<store::ObjectPtr> CrdController::WriteStatus(const Json& cached, const Json& status) {
  const std::string rv = jsonx::Str(cached, "metadata.resourceVersion");
  return ctx_.objects->GuaranteedUpdate(
      *crd_kind_, "", jsonx::Str(cached, "metadata.name"),
      [&](const Json& cur) -> Result<Json> {
        Json n = cur;
        n["status"] = status;
        n["metadata"]["resourceVersion"] = rv;  // precondition: the state we computed from
        return n;
      },
      registry::WriteOptions{.subresource = "status"});
}

Outcome CrdController::Reconcile(const std::string& key) {
  if (crd_kind_ == nullptr) return Outcome::kDone;
  auto obj = ctx_.informer->Get(kCrds, "", SplitKey(key).second);
  if (!obj) return Outcome::kDone;
  const Json crd = Parse(obj);
  if (IsTerminating(crd)) {
    // The CRD keeps its names until it is gone; only the cleanup is left to do.
    return HasFinalizer(crd, kCleanupFinalizer) ? Finalize(obj) : Outcome::kDone;
  }
  return SyncNames(obj);
}

Outcome CrdController::SyncNames(const store::ObjectPtr& cached) {
  std::lock_guard lock(names_mu_);
  const store::ObjectPtr obj = Latest(cached);
  const Json crd = Parse(obj);
  const std::string name = obj->key.name;
  auto write = [&](const Json& status) -> Outcome {
    auto res = WriteStatus(crd, status);
    if (!res) {
      // Gone, or changed meanwhile: the informer's event brings the key back.
      if (res.error().code == ErrorCode::kNotFound) return Outcome::kDone;
      return RetryUnlessStale(res.error());
    }
    std::lock_guard written_lock(written_mu_);
    written_[name] = *res;
    return Outcome::kDone;
  };

  const Names requested = ReadNames(jsonx::At(crd, "spec.names"));
  const Names accepted = ReadNames(jsonx::At(crd, "status.acceptedNames"));
  if (requested != accepted) {
    // NamingConditionController.calculateNamesAndConditions.
    const std::string group = jsonx::Str(crd, "spec.group");
    std::set<std::string> all_resources;
    std::set<std::string> all_kinds;
    for (const auto& other : ctx_.informer->List(kCrds)) {
      const store::ObjectPtr cur = Latest(other);
      const store::JsonPtr o = View(cur);
      if (jsonx::Str(*o, "spec.group") != group) continue;
      const Names n = ReadNames(jsonx::At(*o, "status.acceptedNames"));
      all_resources.insert(n.plural);
      all_resources.insert(n.singular);
      all_resources.insert(n.short_names.begin(), n.short_names.end());
      all_kinds.insert(n.kind);
      all_kinds.insert(n.list_kind);
    }
    Condition names_accepted{"NamesAccepted", "Unknown", "", ""};
    auto conflict = [&](const char* reason, const std::string& message) {
      names_accepted.status = "False";
      names_accepted.reason = reason;
      names_accepted.message = message;
    };
    Names next = accepted;
    if (auto e = ConflictOf(requested.plural, accepted.plural, all_resources); !e.empty()) {
      conflict("PluralConflict", e);
    } else {
      next.plural = requested.plural;
    }
    if (auto e = ConflictOf(requested.singular, accepted.singular, all_resources); !e.empty()) {
      conflict("SingularConflict", e);
    } else {
      next.singular = requested.singular;
    }
    if (requested.short_names != accepted.short_names) {
      std::vector<std::string> errs;
      for (const auto& s : requested.short_names) {
        // Already ours, or our own plural/singular (in all_resources since we read our status).
        if (std::find(accepted.short_names.begin(), accepted.short_names.end(), s) != accepted.short_names.end()) {
          continue;
        }
        if (s == accepted.plural || s == accepted.singular) continue;
        if (auto e = ConflictOf(s, "", all_resources); !e.empty()) errs.push_back(e);
      }
      if (!errs.empty()) {
        conflict("ShortNamesConflict", Aggregate(errs));
      } else {
        next.short_names = requested.short_names;
      }
    }
    if (auto e = ConflictOf(requested.kind, accepted.kind, all_kinds); !e.empty()) {
      conflict("KindConflict", e);
    } else {
      next.kind = requested.kind;
    }
    if (auto e = ConflictOf(requested.list_kind, accepted.list_kind, all_kinds); !e.empty()) {
      conflict("ListKindConflict", e);
    } else {
      next.list_kind = requested.list_kind;
    }
    next.categories = requested.categories;
    if (names_accepted.status == "Unknown")
      names_accepted = {"NamesAccepted", "True", "NoConflicts", "no conflicts found"};

    // Established: kept as it is (never taken back), "Installing" once the names are accepted;
    // the establishing step below makes it True.
    Condition established{"Established", "False", "NotAccepted", "not all names are accepted"};
    if (const Json* old = FindCondition(crd, "Established")) {
      established = {"Established", jsonx::Str(*old, "status"), jsonx::Str(*old, "reason"),
                     jsonx::Str(*old, "message")};
    }
    if (established.status != "True" && names_accepted.status == "True") {
      established = {"Established", "False", "Installing", "the initial names have been accepted"};
    }

    if (!(accepted == next && Equivalent(FindCondition(crd, "NamesAccepted"), names_accepted))) {
      Json status = StatusOf(crd);
      status["acceptedNames"] = NamesJson(next);
      SetCrdCondition(status, names_accepted);
      SetCrdCondition(status, established);
      return write(status);  // our own update event comes back for the establishing step
    }
  }

  // EstablishingController.
  if (IsConditionTrue(crd, "NamesAccepted") && !IsConditionTrue(crd, "Established")) {
    Json status = StatusOf(crd);
    SetCrdCondition(status, {"Established", "True", "InitialNamesAccepted", "the initial names have been accepted"});
    return write(status);
  }
  return Outcome::kDone;
}

Outcome CrdController::Finalize(const store::ObjectPtr& obj) {
  Json crd = Parse(obj);
  const std::string name = obj->key.name;
  const std::string group = jsonx::Str(crd, "spec.group");
  const std::string plural = jsonx::Str(crd, "spec.names.plural");
  // Writes `c` into the Terminating condition (when it differs) and continues from the result.
  auto set_terminating = [&](const Condition& c) -> std::optional<Outcome> {
    if (Equivalent(FindCondition(crd, "Terminating"), c)) return std::nullopt;
    Json status = StatusOf(crd);
    SetCrdCondition(status, c);
    auto res = WriteStatus(crd, status);
    if (!res) return res.error().code == ErrorCode::kNotFound ? Outcome::kDone : RetryUnlessStale(res.error());
    crd = Parse(*res);
    return std::nullopt;
  };

  // kube sets this on every pass; once a final (False) state is recorded it would only flap.
  const Json* terminating = FindCondition(crd, "Terminating");
  if (terminating == nullptr || jsonx::Str(*terminating, "status") != "False") {
    if (auto out = set_terminating(
            {"Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress"})) {
      return *out;
    }
  }

  auto kinds = ctx_.objects->kinds();  // holds the custom kinds while we use them
  Condition done;
  if (OverlapsBuiltIn(*kinds, group, plural)) {
    done = {"Terminating", "False", "OverlappingBuiltInResource",
            "instances overlap with built-in resources in storage"};
  } else if (!IsConditionTrue(crd, "Established")) {
    done = {"Terminating", "False", "NeverEstablished", "resource was never established"};
  } else {
    const std::string collection = group + "/" + plural;
    auto list = ctx_.objects->store().List(store::ListOptions{.resource = collection});
    if (!list) {
      auto out = set_terminating(
          {"Terminating", "True", "InstanceDeletionFailed", "could not list instances: " + list.error().message});
      return out.value_or(Outcome::kRetry);
    }
    if (!list->items.empty()) {
      // Every version is stored in the one collection: any served kind of the CRD deletes them.
      const resource::Kind* kind = nullptr;
      if (const Json& versions = jsonx::At(crd, "spec.versions"); versions.is_array()) {
        for (const auto& v : versions) {
          kind = kinds->Find(group, jsonx::Str(v, "name"), plural);
          if (kind != nullptr) break;
        }
      }
      if (kind == nullptr) {
        EnqueueAfter("/" + name, kKindRetry);
        return Outcome::kDone;
      }
      std::vector<std::string> errs;
      for (const auto& item : list->items) {
        if (IsTerminating(*View(item))) continue;  // already deleting, waiting on its own finalizers
        auto res = ctx_.objects->Delete(*kind, item->key.ns, item->key.name);
        if (!res && res.error().code != ErrorCode::kNotFound) errs.push_back(res.error().message);
      }
      if (!errs.empty()) {
        auto out = set_terminating(
            {"Terminating", "True", "InstanceDeletionFailed", "could not issue all deletes: " + Aggregate(errs)});
        return out.value_or(Outcome::kRetry);
      }
      auto left = ctx_.objects->store().List(store::ListOptions{.resource = collection, .limit = 1});
      if (!left) return Outcome::kRetry;
      if (!left->items.empty()) {
        EnqueueAfter("/" + name, kInstancesPoll);
        return Outcome::kDone;
      }
    }
    done = {"Terminating", "False", "InstanceDeletionCompleted", "removed all instances"};
  }
  if (auto out = set_terminating(done)) return *out;

  // The finalizer goes; with no other finalizer left the registry removes the CRD.
  auto res = ctx_.objects->GuaranteedUpdate(*crd_kind_, "", name, [](const Json& cur) -> Result<Json> {
    Json n = cur;
    if (Json* f = jsonx::Array(n["metadata"], "finalizers")) {
      f->erase(std::remove(f->begin(), f->end(), Json(kCleanupFinalizer)), f->end());
      if (f->empty()) n["metadata"].erase("finalizers");
    }
    return n;
  });
  if (!res && res.error().code != ErrorCode::kNotFound) return RetryUnlessStale(res.error());
  return Outcome::kDone;
}

}  // namespace vkube::controllers
