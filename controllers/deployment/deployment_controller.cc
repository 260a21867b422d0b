#include "controllers/deployment/deployment_controller.h"

#include <algorithm>
#include <cstdint>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kHashLabel = "pod-template-hash";
constexpr const char* kRevision = "deployment.kubernetes.io/revision";
constexpr const char* kRevisionHistory = "deployment.kubernetes.io/revision-history";
constexpr const char* kDesired = "deployment.kubernetes.io/desired-replicas";
constexpr const char* kMaxReplicas = "deployment.kubernetes.io/max-replicas";

std::int64_t RevisionOf(const Json& rs) {
  const Json& a = jsonx::Child(jsonx::Child(jsonx::Child(rs, "metadata"), "annotations"), kRevision);
  if (!a.is_string()) return 0;
  try {
    return std::stoll(a.get<std::string>());
  } catch (...) {
    return 0;
  }
}

Json WithoutHash(Json tmpl) {
  if (tmpl.is_object() && tmpl.contains("metadata") && tmpl["metadata"].is_object() &&
      tmpl["metadata"].contains("labels") && tmpl["metadata"]["labels"].is_object()) {
    tmpl["metadata"]["labels"].erase(kHashLabel);
    if (tmpl["metadata"]["labels"].empty()) tmpl["metadata"].erase("labels");
  }
  return tmpl;
}

// Annotations a Deployment passes on to its ReplicaSets (change-cause for `rollout history`).
bool CopiedAnnotation(const std::string& k) {
  return k.rfind("deployment.kubernetes.io/", 0) != 0 && k != "kubectl.kubernetes.io/last-applied-configuration";
}

}  // namespace

std::string PodTemplateHash(const Json& pod_template, std::int64_t collision_count) {
  std::uint32_t h = 2166136261u;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
  };
  mix(pod_template.dump());
  if (collision_count > 0) mix(std::to_string(collision_count));
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char c : std::to_string(h)) out.push_back(kAlphabet[static_cast<unsigned char>(c) % kAlphabet.size()]);
  return out;
}

void DeploymentController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, "apps/deployments");
  informer.AddHandler({.resource = "apps/replicasets",
                       .on_add = [this](const store::ObjectPtr& o) { EnqueueOwnerOfRs(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { EnqueueOwnerOfRs(o); },
                       .on_delete = [this](const store::ObjectPtr& o) { EnqueueOwnerOfRs(o); }});
  // Recreate waits for the old pods to be gone.
  informer.AddHandler({.resource = "pods", .on_delete = [this](const store::ObjectPtr& p) {
                         auto ref = ControllerRef(*View(p));
                         if (!ref || ref->kind != "ReplicaSet") return;
                         if (auto rs = ctx_.informer->Get("apps/replicasets", p->key.ns, ref->name)) EnqueueOwnerOfRs(rs);
                       }});
}

void DeploymentController::EnqueueOwnerOfRs(const store::ObjectPtr& rs_obj) {
  Json rs = Parse(rs_obj);
  auto ref = ControllerRef(rs);
  if (ref) {
    if (ref->kind == "Deployment") Enqueue(rs_obj->key.ns + "/" + ref->name);
    return;
  }
  for (const auto& d : ctx_.informer->List("apps/deployments", rs_obj->key.ns)) {
    auto sel = resource::LabelSelector::FromJson(jsonx::At(Parse(d), "spec.selector"));
    if (sel && sel->MatchesJson(jsonx::At(rs, "metadata.labels"))) Enqueue(d);
  }
}

Result<Json> DeploymentController::CreateNewRs(const Json& d, const std::vector<Rs>& olds, std::int64_t replicas) {
  const std::string ns = jsonx::Str(d, "metadata.namespace");
  const resource::Kind* kind = ctx_.objects->Find("apps", "replicasets");
  std::int64_t max_revision = 0;
  for (const auto& rs : olds) max_revision = std::max(max_revision, RevisionOf(rs.obj));
  const std::int64_t collisions = jsonx::Int(d, "status.collisionCount", 0);
  const std::string hash = PodTemplateHash(jsonx::At(d, "spec.template"), collisions);
  Json tmpl = jsonx::At(d, "spec.template");
  tmpl["metadata"]["labels"][kHashLabel] = hash;
  Json selector = jsonx::At(d, "spec.selector");
  selector["matchLabels"][kHashLabel] = hash;
  Json annotations = Json::object();
  const Json& da = jsonx::At(d, "metadata.annotations");
  if (da.is_object()) {
    for (auto& [k, v] : da.items()) {
      if (CopiedAnnotation(k)) annotations[k] = v;
    }
  }
  const std::int64_t desired = jsonx::Int(d, "spec.replicas", 1);
  const int surge = ScaledValue(jsonx::At(d, "spec.strategy.rollingUpdate.maxSurge"), static_cast<int>(desired), true, 0);
  annotations[kRevision] = std::to_string(max_revision + 1);
  annotations[kDesired] = std::to_string(desired);
  annotations[kMaxReplicas] = std::to_string(desired + surge);
  Json labels = tmpl["metadata"]["labels"];
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", jsonx::Str(d, "metadata.name") + "-" + hash},
               {"namespace", ns},
               {"labels", labels},
               {"annotations", annotations},
               {"ownerReferences", Json::array({NewControllerRef(d)})}}},
             {"spec",
              {{"replicas", replicas},
               {"minReadySeconds", jsonx::Int(d, "spec.minReadySeconds", 0)},
               {"selector", selector},
               {"template", tmpl}}}};
  auto res = ctx_.objects->Create(*kind, ns, rs);
  if (res) return Json::parse((*res)->json);
  if (res.error().code != ErrorCode::kAlreadyExists) return res.take_error();
  // A ReplicaSet of that name with another template: a hash collision. Bump collisionCount so
  // the next pass uses a different name (kube's behaviour).
  const resource::Kind* dkind = ctx_.objects->Find("apps", "deployments");
  auto bumped = ctx_.objects->GuaranteedUpdate(
      *dkind, ns, jsonx::Str(d, "metadata.name"),
      [&](const Json& c) -> Result<Json> {
        Json n = c;
        n["status"]["collisionCount"] = collisions + 1;
        return n;
      },
      registry::WriteOptions{.subresource = "status"});
  if (!bumped) return bumped.take_error();
  return Error::Make(ErrorCode::kConflict, "pod-template-hash collision; retrying with collisionCount " +
                                               std::to_string(collisions + 1));
}

Status DeploymentController::ScaleRs(Rs& rs, std::int64_t replicas, const Json& d) {
  const std::int64_t desired = jsonx::Int(d, "spec.replicas", 1);
  const int surge = ScaledValue(jsonx::At(d, "spec.strategy.rollingUpdate.maxSurge"), static_cast<int>(desired), true, 0);
  const Json& ann = jsonx::At(rs.obj, "metadata.annotations");
  if (rs.replicas == replicas && jsonx::Child(ann, kDesired) == Json(std::to_string(desired)) &&
      jsonx::Child(ann, kMaxReplicas) == Json(std::to_string(desired + surge))) {
    return {};
  }
  const resource::Kind* kind = ctx_.objects->Find("apps", "replicasets");
  auto res = ctx_.objects->GuaranteedUpdate(*kind, jsonx::Str(rs.obj, "metadata.namespace"),
                                            jsonx::Str(rs.obj, "metadata.name"), [&](const Json& c) -> Result<Json> {
                                              Json n = c;
                                              n["spec"]["replicas"] = replicas;
                                              n["metadata"]["annotations"][kDesired] = std::to_string(desired);
                                              n["metadata"]["annotations"][kMaxReplicas] = std::to_string(desired + surge);
                                              // Scaling from a stale view of the set is refused.
                                              n["metadata"]["resourceVersion"] = jsonx::Str(rs.obj, "metadata.resourceVersion");
                                              return n;
                                            });
  if (!res) return res.take_error();
  rs.obj = Json::parse((*res)->json);
  rs.replicas = replicas;
  return {};
}

Status DeploymentController::SetRevision(Rs& rs, std::int64_t revision) {
  const resource::Kind* kind = ctx_.objects->Find("apps", "replicasets");
  const std::int64_t old = RevisionOf(rs.obj);
  auto res = ctx_.objects->GuaranteedUpdate(*kind, jsonx::Str(rs.obj, "metadata.namespace"),
                                            jsonx::Str(rs.obj, "metadata.name"), [&](const Json& c) -> Result<Json> {
                                              Json n = c;
                                              Json& a = n["metadata"]["annotations"];
                                              if (old > 0) {
                                                std::string hist = jsonx::Str(a, kRevisionHistory);
                                                a[kRevisionHistory] = hist.empty() ? std::to_string(old)
                                                                                   : hist + "," + std::to_string(old);
                                              }
                                              a[kRevision] = std::to_string(revision);
                                              return n;
                                            });
  if (!res) return res.take_error();
  rs.obj = Json::parse((*res)->json);
  return {};
}

Outcome DeploymentController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto d_obj = ctx_.informer->Get("apps/deployments", ns, name);
  if (!d_obj) return Outcome::kDone;
  const Json d = Parse(d_obj);
  if (IsTerminating(d)) return Outcome::kDone;
  auto selector = resource::LabelSelector::FromJson(jsonx::At(d, "spec.selector"));
  if (!selector || selector->empty()) return Outcome::kDone;  // validation forbids it; never select everything
  const std::string uid = jsonx::Str(d, "metadata.uid");
  const resource::Kind* rs_kind = ctx_.objects->Find("apps", "replicasets");
  const auto now = std::chrono::system_clock::now();

  // kube's RecheckDeletionTimestamp: before adopting or creating, confirm from the store (not the
  // cache, which may lag) that this deployment is not being deleted — an orphaning delete that
  // the cache has not shown yet must not see its released ReplicaSets adopted or replaced.
  std::optional<bool> still_live;
  auto live = [&] {
    if (!still_live) {
      auto fresh = ctx_.objects->GetJson(*ctx_.objects->Find("apps", "deployments"), ns, name);
      still_live = fresh && jsonx::Str(*fresh, "metadata.uid") == uid && !IsTerminating(*fresh);
    }
    return *still_live;
  };
  // The deployment's ReplicaSets (adopting matching orphans), oldest first.
  std::vector<Rs> all;
  for (const auto& r : ctx_.informer->List("apps/replicasets", ns)) {
    Json rs = Parse(r);
    auto ref = ControllerRef(rs);
    if (ref && ref->uid != uid) continue;
    if (!ref) {
      if (IsTerminating(rs) || !selector->MatchesJson(jsonx::At(rs, "metadata.labels")) || !live()) continue;
      auto adopted = ctx_.objects->GuaranteedUpdate(*rs_kind, ns, r->key.name, [&](const Json& c) -> Result<Json> {
        if (ControllerRef(c)) return Error::Make(ErrorCode::kConflict, "already owned");
        Json n = c;
        n["metadata"]["ownerReferences"].push_back(NewControllerRef(d));
        return n;
      });
      if (!adopted) continue;
      rs = Json::parse((*adopted)->json);
    }
    all.push_back(Rs{rs, jsonx::Int(rs, "spec.replicas", 1)});
  }
  std::sort(all.begin(), all.end(), [](const Rs& a, const Rs& b) {
    return jsonx::Str(a.obj, "metadata.creationTimestamp") < jsonx::Str(b.obj, "metadata.creationTimestamp");
  });
  const Json tmpl = jsonx::At(d, "spec.template");
  std::optional<std::size_t> new_idx;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (WithoutHash(jsonx::At(all[i].obj, "spec.template")) == WithoutHash(tmpl)) {
      new_idx = i;
      break;
    }
  }
  std::vector<Rs*> olds;
  std::int64_t max_old_revision = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (new_idx && *new_idx == i) continue;
    olds.push_back(&all[i]);
    max_old_revision = std::max(max_old_revision, RevisionOf(all[i].obj));
  }

  const std::int64_t desired = jsonx::Int(d, "spec.replicas", 1);
  const bool paused = jsonx::Bool(d, "spec.paused");
  const bool recreate = jsonx::Str(d, "spec.strategy.type") == "Recreate";
  int max_surge = 0, max_unavailable = 0;
  if (!recreate) {
    max_surge = ScaledValue(jsonx::At(d, "spec.strategy.rollingUpdate.maxSurge"), static_cast<int>(desired), true, 0);
    max_unavailable =
        ScaledValue(jsonx::At(d, "spec.strategy.rollingUpdate.maxUnavailable"), static_cast<int>(desired), false, 0);
    if (max_surge == 0 && max_unavailable == 0) max_unavailable = 1;
    max_unavailable = std::min<int>(max_unavailable, static_cast<int>(desired));
  }
  std::string progress_reason, progress_message;
  Status st;

  if (!new_idx && !paused && !live()) return Outcome::kDone;
  if (!new_idx && !paused) {
    // A new template: a new ReplicaSet (empty for rolling; scaled below), or a revived old one.
    std::vector<Rs> old_copies;
    for (auto* o : olds) old_copies.push_back(*o);
    std::int64_t start = 0;
    if (recreate) {
      start = 0;
    } else {
      std::int64_t current = 0;
      for (const auto& r : all) current += r.replicas;
      start = std::clamp<std::int64_t>(desired + max_surge - current, 0, desired);
      if (all.empty()) start = desired;
    }
    auto created = CreateNewRs(d, old_copies, start);
    if (!created) return Outcome::kRetry;
    all.push_back(Rs{*created, start});
    new_idx = all.size() - 1;
    olds.clear();
    for (std::size_t i = 0; i + 1 < all.size(); ++i) olds.push_back(&all[i]);
    progress_reason = "NewReplicaSetCreated";
    progress_message = "Created new replica set \"" + jsonx::Str(*created, "metadata.name") + "\"";
  }
  Rs* nrs = new_idx ? &all[*new_idx] : nullptr;
  // Rolling back to an old template makes that ReplicaSet the newest revision again.
  if (nrs && RevisionOf(nrs->obj) <= max_old_revision && !paused) st = SetRevision(*nrs, max_old_revision + 1);

  if (paused) {
    // Paused: no rollout, but scaling still applies to the current ReplicaSet.
    if (nrs && olds.empty() && st) st = ScaleRs(*nrs, desired, d);
  } else if (recreate) {
    bool old_running = false;
    for (auto* o : olds) {
      if (st && o->replicas > 0) st = ScaleRs(*o, 0, d);
      old_running = old_running || jsonx::Int(o->obj, "status.replicas", 0) > 0;
    }
    if (st && nrs && !old_running) st = ScaleRs(*nrs, desired, d);
  } else if (nrs && st) {
    // reconcileNewReplicaSet
    std::int64_t total = 0;
    for (const auto& r : all) total += r.replicas;
    if (nrs->replicas > desired) {
      st = ScaleRs(*nrs, desired, d);
    } else if (nrs->replicas < desired && total < desired + max_surge) {
      st = ScaleRs(*nrs, nrs->replicas + std::min(desired + max_surge - total, desired - nrs->replicas), d);
    }
    // reconcileOldReplicaSets
    std::int64_t old_pods = 0;
    for (auto* o : olds) old_pods += o->replicas;
    if (st && old_pods > 0) {
      std::int64_t all_pods = 0;
      for (const auto& r : all) all_pods += r.replicas;
      const std::int64_t min_available = desired - max_unavailable;
      const std::int64_t new_unavailable = nrs->replicas - jsonx::Int(nrs->obj, "status.availableReplicas", 0);
      std::int64_t budget = all_pods - min_available - new_unavailable;
      // First the old ReplicaSets' unhealthy pods, which cost no availability...
      for (auto* o : olds) {
        if (budget <= 0 || !st) break;
        const std::int64_t unhealthy = o->replicas - jsonx::Int(o->obj, "status.availableReplicas", 0);
        if (unhealthy <= 0) continue;
        const std::int64_t down = std::min(budget, unhealthy);
        st = ScaleRs(*o, o->replicas - down, d);
        budget -= down;
      }
      // ...then available ones, while enough pods stay available.
      std::int64_t available = 0;
      for (const auto& r : all) available += jsonx::Int(r.obj, "status.availableReplicas", 0);
      std::int64_t can_remove = available - min_available;
      for (auto* o : olds) {
        if (can_remove <= 0 || !st) break;
        const std::int64_t down = std::min(o->replicas, can_remove);
        if (down <= 0) continue;
        st = ScaleRs(*o, o->replicas - down, d);
        can_remove -= down;
      }
    }
  }

  // Prune old revisions beyond revisionHistoryLimit (only fully scaled-down ones).
  const std::int64_t limit = jsonx::Int(d, "spec.revisionHistoryLimit", 10);
  std::vector<Rs*> prunable;
  for (auto* o : olds) {
    if (o->replicas == 0 && jsonx::Int(o->obj, "status.replicas", 0) == 0 && !IsTerminating(o->obj)) prunable.push_back(o);
  }
  if (static_cast<std::int64_t>(prunable.size()) > limit && st) {
    std::sort(prunable.begin(), prunable.end(), [](Rs* a, Rs* b) { return RevisionOf(a->obj) < RevisionOf(b->obj); });
    for (std::size_t i = 0; i < prunable.size() - static_cast<std::size_t>(limit); ++i) {
      auto res = ctx_.objects->Delete(*rs_kind, ns, jsonx::Str(prunable[i]->obj, "metadata.name"),
                                      registry::DeleteOptions{.uid_precondition = jsonx::Str(prunable[i]->obj, "metadata.uid")});
      (void)res;  // pruning is best effort; the next pass retries
    }
  }

  // Status, from the ReplicaSets' (possibly just-updated) state.
  std::int64_t replicas = 0, updated = 0, ready = 0, available = 0, spec_total = 0;
  for (const auto& r : all) {
    replicas += jsonx::Int(r.obj, "status.replicas", 0);
    ready += jsonx::Int(r.obj, "status.readyReplicas", 0);
    available += jsonx::Int(r.obj, "status.availableReplicas", 0);
    spec_total += r.replicas;
  }
  if (nrs) updated = jsonx::Int(nrs->obj, "status.replicas", 0);
  Json status = jsonx::At(d, "status").is_object() ? d["status"] : Json::object();
  Json next = status;
  next["observedGeneration"] = jsonx::Int(d, "metadata.generation", 1);
  next["replicas"] = replicas;
  next["updatedReplicas"] = updated;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["unavailableReplicas"] = std::max<std::int64_t>(spec_total - available, 0);
  for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"}) {
    if (next[f] == 0) next.erase(f);
  }
  if (available >= desired - max_unavailable) {
    SetCondition(next, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now, true);
  } else {
    SetCondition(next, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.",
                 now, true);
  }
  const std::string nrs_name = nrs ? jsonx::Str(nrs->obj, "metadata.name") : "";
  std::int64_t old_status_replicas = 0;
  for (auto* o : olds) old_status_replicas += jsonx::Int(o->obj, "status.replicas", 0);
  if (paused) {
    SetCondition(next, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now, true);
  } else if (!progress_reason.empty()) {
    SetCondition(next, "Progressing", "True", progress_reason, progress_message, now, true);
  } else if (nrs && updated == desired && available >= desired && old_status_replicas == 0 &&
             jsonx::Int(nrs->obj, "status.availableReplicas", 0) >= desired) {
    SetCondition(next, "Progressing", "True", "NewReplicaSetAvailable",
                 "ReplicaSet \"" + nrs_name + "\" has successfully progressed.", now, true);
  } else if (nrs) {
    const Json& conds = jsonx::At(status, "conditions");
    bool was_paused = false;
    if (conds.is_array()) {
      for (const auto& c : conds) was_paused = was_paused || jsonx::Str(c, "reason") == "DeploymentPaused";
    }
    if (was_paused) {
      SetCondition(next, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now, true);
    } else {
      SetCondition(next, "Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"" + nrs_name + "\" is progressing.",
                   now, true);
    }
  }
  // The deployment shows the revision of its current ReplicaSet; like kube, that annotation is
  // written with the status (the status strategy lets it through without a generation bump).
  const resource::Kind* dkind = ctx_.objects->Find("apps", "deployments");
  const Json rev = nrs ? Json(std::to_string(RevisionOf(nrs->obj))) : Json();
  const bool rev_changed = nrs && jsonx::Child(jsonx::At(d, "metadata.annotations"), kRevision) != rev;
  if (next != status || rev_changed) {
    auto s = UpdateStatus(*ctx_.objects, *dkind, d, next, [&](Json& n) {
      if (rev_changed) n["metadata"]["annotations"][kRevision] = rev;
    });
    if (!s) return RetryUnlessStale(s.error());
  }
  if (!st) {
    if (st.error().code != ErrorCode::kConflict) {
      VKUBE_LOG(kWarn) << ctx_.tenant << ": deployment " << key << ": " << st.error().message;
    }
    return RetryUnlessStale(st.error());
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
