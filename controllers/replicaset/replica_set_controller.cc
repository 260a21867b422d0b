#include "controllers/replicaset/replica_set_controller.h"

#include <algorithm>
#include <tuple>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "controllers/framework/parallel.h"
#include "controllers/framework/pod_control.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {
constexpr int kBurstReplicas = 500;       // kube's --concurrent burst limit per sync
constexpr std::size_t kWriteWidth = 16;   // pod writes in flight per sync

resource::LabelSelector SelectorOf(const Json& rs, bool map_selector) {
  const Json& sel = jsonx::At(rs, "spec.selector");
  if (map_selector) {
    // ReplicationController: a plain label map; empty/absent = the template's labels.
    Json labels = sel.is_object() && !sel.empty() ? sel : jsonx::At(rs, "spec.template.metadata.labels");
    auto s = resource::LabelSelector::FromJson(Json{{"matchLabels", labels.is_object() ? labels : Json::object()}});
    return s ? *s : resource::LabelSelector::Nothing();
  }
  auto s = resource::LabelSelector::FromJson(sel);
  return s ? *s : resource::LabelSelector::Nothing();
}

int PhaseRank(const Json& pod) {
  const std::string phase = jsonx::Str(pod, "status.phase");
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

}  // namespace

ReplicaSetController::ReplicaSetController(ControllerContext ctx, std::string group, std::string resource)
    : QueueController(std::move(ctx)),
      group_(std::move(group)),
      resource_(std::move(resource)),
      kind_(resource_ == "replicasets" ? "ReplicaSet" : "ReplicationController") {}

void ReplicaSetController::Register(SharedInformer& informer) {
  auto enqueue = [this](const store::ObjectPtr& o) { Enqueue(o); };
  informer.AddHandler({.resource = StorageResource(),
                       .on_add = enqueue,
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { Enqueue(o); },
                       .on_delete = [this](const store::ObjectPtr& o) {
                         expectations_.Delete(o->key.ns + "/" + o->key.name);
                       }});
  informer.AddHandler({.resource = "pods",
                       .on_add = [this](const store::ObjectPtr& p) { OnPod(p, false); },
                       .on_update = [this](const store::ObjectPtr& old, const store::ObjectPtr& p) {
                         // A controller ref that changed hands: both owners re-count.
                         auto before = ControllerRef(*View(old));
                         auto now = ControllerRef(*View(p));
                         if (before && before->kind == kind_ && (!now || now->uid != before->uid)) {
                           Enqueue(p->key.ns + "/" + before->name);
                         }
                         OnPod(p, false);
                       },
                       .on_delete = [this](const store::ObjectPtr& p) { OnPod(p, true); }});
}

void ReplicaSetController::OnPod(const store::ObjectPtr& pod_obj, bool deleted) {
  const store::JsonPtr pod_view = View(pod_obj);
  const Json& pod = *pod_view;
  auto ref = ControllerRef(pod);
  if (ref) {
    if (ref->kind != kind_) return;
    const std::string key = pod_obj->key.ns + "/" + ref->name;
    if (deleted || IsTerminating(pod)) {
      expectations_.DeletionObserved(key);
    } else {
      expectations_.CreationObserved(key);
    }
    Enqueue(key);
    return;
  }
  if (deleted) return;
  // An orphan: every set whose selector matches may adopt it.
  for (const auto& rs : ctx_.informer->List(StorageResource(), pod_obj->key.ns)) {
    if (SelectorOf(Parse(rs), group_.empty()).MatchesJson(jsonx::At(pod, "metadata.labels"))) Enqueue(rs);
  }
}

Status ReplicaSetController::ManageReplicas(const Json& rs, const std::string& key, std::vector<Json>& active,
                                            int replicas) {
  const std::string ns = jsonx::Str(rs, "metadata.namespace");
  const int diff = static_cast<int>(active.size()) - replicas;
  if (diff < 0) {
    const int want = std::min(-diff, kBurstReplicas);
    expectations_.Expect(key, want, 0);
    const Json pod = PodFromTemplate(jsonx::At(rs, "spec.template"), rs, ns, jsonx::Str(rs, "metadata.name") + "-");
    // Slow start (1, 2, 4, ...): a template that cannot be created fails fast, not 500 times.
    int created = 0;
    for (int batch = 1; created < want; batch *= 2) {
      const int n = std::min(batch, want - created);
      std::atomic<int> failed{0};
      std::optional<Error> first_error;
      std::mutex err_mu;
      ParallelFor(static_cast<std::size_t>(n), kWriteWidth, [&](std::size_t) {
        auto res = CreatePod(*ctx_.objects, ns, pod);
        if (!res) {
          ++failed;
          std::lock_guard lock(err_mu);
          if (!first_error) first_error = res.error();
        }
      });
      created += n;
      if (failed > 0) {
        // Creations never made are never observed; neither are the batches skipped.
        expectations_.Lower(key, failed + (want - created), 0);
        return *first_error;
      }
    }
    return {};
  }
  if (diff > 0) {
    // The least valuable pods go first: unscheduled, pending, not ready, newest.
    std::sort(active.begin(), active.end(), [](const Json& a, const Json& b) {
      auto rank = [](const Json& p) {
        return std::make_tuple(!jsonx::Str(p, "spec.nodeName").empty(), PhaseRank(p), IsPodReady(p));
      };
      auto ra = rank(a), rb = rank(b);
      if (ra != rb) return ra < rb;
      return jsonx::Str(a, "metadata.creationTimestamp") > jsonx::Str(b, "metadata.creationTimestamp");
    });
    const int n = std::min(diff, kBurstReplicas);
    expectations_.Expect(key, 0, n);
    std::atomic<int> failed{0};
    ParallelFor(static_cast<std::size_t>(n), kWriteWidth, [&](std::size_t i) {
      const Json& p = active[i];
      if (!DeletePod(*ctx_.objects, ns, jsonx::Str(p, "metadata.name"), jsonx::Str(p, "metadata.uid"))) ++failed;
    });
    if (failed > 0) {
      expectations_.Lower(key, 0, failed);
      return Error::Make(ErrorCode::kInternal, "failed to delete pods");
    }
  }
  return {};
}

Outcome ReplicaSetController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto rs_obj = ctx_.informer->Get(StorageResource(), ns, name);
  if (!rs_obj) {
    expectations_.Delete(key);
    return Outcome::kDone;
  }
  const Json rs = Parse(rs_obj);
  const std::string uid = jsonx::Str(rs, "metadata.uid");
  const bool map_selector = group_.empty();
  const resource::LabelSelector selector = SelectorOf(rs, map_selector);
  const resource::Kind* pods_kind = ctx_.objects->Find("", "pods");
  const bool rs_deleting = IsTerminating(rs);
  const auto now = std::chrono::system_clock::now();

  std::vector<Json> active;
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    Json pod = Parse(p);
    auto ref = ControllerRef(pod);
    if (ref && ref->uid != uid) continue;
    if (!ref) {
      // Adopt a matching orphan (kube's ClaimPods), unless either side is going away.
      if (rs_deleting || IsTerminating(pod) || !IsPodActive(pod) ||
          !selector.MatchesJson(jsonx::At(pod, "metadata.labels"))) {
        continue;
      }
      auto adopted = ctx_.objects->GuaranteedUpdate(*pods_kind, ns, p->key.name, [&](const Json& c) -> Result<Json> {
        if (ControllerRef(c)) return Error::Make(ErrorCode::kConflict, "already owned");
        Json next = c;
        next["metadata"]["ownerReferences"].push_back(NewControllerRef(rs));
        return next;
      });
      if (!adopted) continue;
      pod = Json::parse((*adopted)->json);
    }
    if (IsPodActive(pod)) active.push_back(std::move(pod));
  }

  Status manage;
  if (!rs_deleting && expectations_.Satisfied(key)) {
    const int replicas = static_cast<int>(jsonx::Int(rs, "spec.replicas", 1));
    manage = ManageReplicas(rs, key, active, replicas);
  }

  // Status from what the cache shows (our own writes arrive as events and trigger another pass).
  const std::int64_t min_ready = jsonx::Int(rs, "spec.minReadySeconds", 0);
  const Json& tlabels = jsonx::At(rs, "spec.template.metadata.labels");
  std::int64_t replicas = 0, fully = 0, ready = 0, available = 0;
  for (const auto& p : active) {
    ++replicas;
    bool all = true;
    if (tlabels.is_object()) {
      const Json& pl = jsonx::At(p, "metadata.labels");
      for (auto& [k, v] : tlabels.items()) all = all && jsonx::Child(pl, k) == v;
    }
    fully += all;
    ready += IsPodReady(p);
    available += IsPodAvailable(p, min_ready, now);
  }
  Json status = jsonx::At(rs, "status").is_object() ? rs["status"] : Json::object();
  Json next = status;
  next["replicas"] = replicas;
  next["fullyLabeledReplicas"] = fully;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["observedGeneration"] = jsonx::Int(rs, "metadata.generation", 1);
  if (!manage) {
    SetCondition(next, "ReplicaFailure", "True", "FailedCreate", manage.error().message, now);
  } else if (next.contains("conditions")) {
    auto& conds = next["conditions"];
    conds.erase(std::remove_if(conds.begin(), conds.end(),
                               [](const Json& c) { return jsonx::Str(c, "type") == "ReplicaFailure"; }),
                conds.end());
    if (conds.empty()) next.erase("conditions");
  }
  // kube omits zero counts.
  for (const char* f : {"fullyLabeledReplicas", "readyReplicas", "availableReplicas"}) {
    if (next[f] == 0) next.erase(f);
  }
  if (next != status) {
    const resource::Kind* kind = ctx_.objects->Find(group_, resource_);
    if (auto s = UpdateStatus(*ctx_.objects, *kind, rs, next); !s) return RetryUnlessStale(s.error());
  }
  if (min_ready > 0 && available < ready) EnqueueAfter(key, std::chrono::seconds(min_ready));
  if (!manage) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": " << resource_ << " " << key << ": " << manage.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
