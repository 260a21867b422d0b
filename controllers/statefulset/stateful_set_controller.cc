#include "controllers/statefulset/stateful_set_controller.h"

#include <algorithm>
#include <map>

#include "controllers/deployment/deployment_controller.h"
#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "controllers/framework/pod_control.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kRevisionLabel = "controller-revision-hash";
constexpr const char* kPodNameLabel = "statefulset.kubernetes.io/pod-name";
constexpr const char* kPodIndexLabel = "apps.kubernetes.io/pod-index";

// "<set>-<n>" → n, or -1.
int OrdinalOf(const std::string& set, const std::string& pod) {
  if (pod.size() <= set.size() + 1 || pod.compare(0, set.size(), set) != 0 || pod[set.size()] != '-') return -1;
  int n = 0;
  for (std::size_t i = set.size() + 1; i < pod.size(); ++i) {
    if (pod[i] < '0' || pod[i] > '9' || n > 100000000) return -1;
    n = n * 10 + (pod[i] - '0');
  }
  return n;
}

std::string ClaimName(const Json& claim_template, const std::string& set, int ordinal) {
  return jsonx::Str(claim_template, "metadata.name") + "-" + set + "-" + std::to_string(ordinal);
}

}  // namespace

void StatefulSetController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, "apps/statefulsets");
  EnqueueOwnerOnEvents(informer, "pods", "StatefulSet");
}

Json StatefulSetController::NewPod(const Json& set, int ordinal, const std::string& revision) {
  const std::string name = jsonx::Str(set, "metadata.name") + "-" + std::to_string(ordinal);
  Json pod = PodFromTemplate(jsonx::At(set, "spec.template"), set, jsonx::Str(set, "metadata.namespace"), "", name);
  Json& labels = pod["metadata"]["labels"];
  labels[kRevisionLabel] = revision;
  labels[kPodNameLabel] = name;
  labels[kPodIndexLabel] = std::to_string(ordinal);
  pod["spec"]["hostname"] = name;
  if (auto svc = jsonx::Str(set, "spec.serviceName"); !svc.empty()) pod["spec"]["subdomain"] = svc;
  // Each volumeClaimTemplate becomes a volume bound to this ordinal's claim.
  const Json& claims = jsonx::At(set, "spec.volumeClaimTemplates");
  if (claims.is_array()) {
    Json& volumes = pod["spec"]["volumes"];
    if (!volumes.is_array()) volumes = Json::array();
    for (const auto& c : claims) {
      const std::string vol = jsonx::Str(c, "metadata.name");
      volumes.erase(std::remove_if(volumes.begin(), volumes.end(), [&](const Json& v) { return jsonx::Str(v, "name") == vol; }),
                    volumes.end());
      volumes.push_back(
          Json{{"name", vol},
               {"persistentVolumeClaim", {{"claimName", ClaimName(c, jsonx::Str(set, "metadata.name"), ordinal)}}}});
    }
  }
  return pod;
}

Status StatefulSetController::EnsureClaims(const Json& set, int ordinal) {
  const Json& claims = jsonx::At(set, "spec.volumeClaimTemplates");
  if (!claims.is_array()) return {};
  const std::string ns = jsonx::Str(set, "metadata.namespace");
  const resource::Kind* kind = ctx_.objects->Find("", "persistentvolumeclaims");
  for (const auto& c : claims) {
    const std::string name = ClaimName(c, jsonx::Str(set, "metadata.name"), ordinal);
    if (ctx_.informer->Get("persistentvolumeclaims", ns, name)) continue;
    Json pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"spec", jsonx::Child(c, "spec")}};
    Json meta = Json::object();
    const Json& cmeta = jsonx::Child(c, "metadata");
    for (const char* k : {"labels", "annotations"}) {
      if (jsonx::Has(cmeta, k)) meta[k] = cmeta[k];
    }
    // kube labels claims with the set's selector so they can be found again.
    const Json& match = jsonx::At(set, "spec.selector.matchLabels");
    if (match.is_object()) {
      for (auto& [k, v] : match.items()) meta["labels"][k] = v;
    }
    meta["name"] = name;
    meta["namespace"] = ns;
    pvc["metadata"] = std::move(meta);
    auto res = ctx_.objects->Create(*kind, ns, std::move(pvc));
    if (!res && res.error().code != ErrorCode::kAlreadyExists) return res.take_error();
  }
  return {};
}

Outcome StatefulSetController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto set_obj = ctx_.informer->Get("apps/statefulsets", ns, name);
  if (!set_obj) return Outcome::kDone;
  const Json set = Parse(set_obj);
  if (IsTerminating(set)) return Outcome::kDone;
  const std::string uid = jsonx::Str(set, "metadata.uid");
  const int replicas = static_cast<int>(jsonx::Int(set, "spec.replicas", 1));
  const bool parallel = jsonx::Str(set, "spec.podManagementPolicy") == "Parallel";
  const bool on_delete = jsonx::Str(set, "spec.updateStrategy.type") == "OnDelete";
  const int partition = static_cast<int>(jsonx::Int(set, "spec.updateStrategy.rollingUpdate.partition", 0));
  const std::string update_revision = name + "-" + PodTemplateHash(jsonx::At(set, "spec.template"), 0);
  const std::int64_t min_ready = jsonx::Int(set, "spec.minReadySeconds", 0);
  const auto now = std::chrono::system_clock::now();

  std::map<int, Json> pods;  // ordinal → pod
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    Json pod = Parse(p);
    auto ref = ControllerRef(pod);
    if (!ref || ref->uid != uid) continue;
    int ord = OrdinalOf(name, p->key.name);
    if (ord >= 0) pods.emplace(ord, std::move(pod));
  }
  auto healthy = [&](const Json& pod) { return IsPodReady(pod) && jsonx::Str(pod, "status.phase") == "Running" && !IsTerminating(pod); };

  Status st;
  bool acted = false;
  // 1. Failed pods are replaced; missing ordinals below `replicas` are created (in order).
  for (int i = 0; i < replicas && st; ++i) {
    auto it = pods.find(i);
    if (it != pods.end()) {
      const std::string phase = jsonx::Str(it->second, "status.phase");
      if ((phase == "Failed" || phase == "Succeeded") && !IsTerminating(it->second)) {
        st = DeletePod(*ctx_.objects, ns, jsonx::Str(it->second, "metadata.name"), jsonx::Str(it->second, "metadata.uid"));
        acted = true;
        if (!parallel) break;
        continue;
      }
      if (!parallel && !healthy(it->second)) break;  // OrderedReady: wait for this one
      continue;
    }
    // The revision a new pod gets: below the partition it keeps the current one.
    std::string revision = update_revision;
    const std::string current = jsonx::Str(set, "status.currentRevision");
    if (!on_delete && i < partition && !current.empty()) revision = current;
    st = EnsureClaims(set, i);
    if (st) {
      Json pod = NewPod(set, i, revision);
      if (revision != update_revision) {
        // Ordinals held back by the partition are recreated from the template they ran before.
        for (const auto& [_, other] : pods) {
          if (jsonx::Str(other, "metadata.labels." + std::string(kRevisionLabel)) == revision) {
            pod["spec"] = other["spec"];
            break;
          }
        }
      }
      auto res = CreatePod(*ctx_.objects, ns, std::move(pod));
      if (!res && res.error().code != ErrorCode::kAlreadyExists) st = res.take_error();
    }
    acted = true;
    if (!parallel) break;
  }
  // 2. Scale down: highest ordinal first (OrderedReady: one at a time, only when all others are healthy).
  if (st && !acted) {
    for (auto it = pods.rbegin(); it != pods.rend() && st; ++it) {
      if (it->first < replicas) break;
      if (IsTerminating(it->second)) {
        if (!parallel) break;
        continue;
      }
      if (!parallel) {
        bool all_healthy = true;
        for (const auto& [ord, p] : pods) all_healthy = all_healthy && (ord == it->first || healthy(p));
        if (!all_healthy) break;
      }
      st = DeletePod(*ctx_.objects, ns, jsonx::Str(it->second, "metadata.name"), jsonx::Str(it->second, "metadata.uid"));
      acted = true;
      if (!parallel) break;
    }
  }
  // 3. Rolling update: from the highest ordinal down to the partition, one pod at a time, each
  //    replaced pod Ready before the next goes.
  if (st && !acted && !on_delete) {
    bool all_healthy = true;
    for (const auto& [ord, p] : pods) all_healthy = all_healthy && (ord >= replicas || healthy(p));
    for (auto it = pods.rbegin(); it != pods.rend() && all_healthy; ++it) {
      if (it->first >= replicas || it->first < partition) continue;
      if (jsonx::Child(jsonx::At(it->second, "metadata.labels"), kRevisionLabel) == Json(update_revision)) continue;
      st = DeletePod(*ctx_.objects, ns, jsonx::Str(it->second, "metadata.name"), jsonx::Str(it->second, "metadata.uid"));
      break;
    }
  }

  // Status.
  std::int64_t count = 0, ready = 0, available = 0, current_count = 0, updated = 0;
  std::string current_revision = jsonx::Str(set, "status.currentRevision");
  if (current_revision.empty()) current_revision = update_revision;
  for (const auto& [ord, p] : pods) {
    if (IsTerminating(p)) continue;
    ++count;
    ready += IsPodReady(p);
    available += IsPodAvailable(p, min_ready, now);
    const Json& rev = jsonx::Child(jsonx::At(p, "metadata.labels"), kRevisionLabel);
    current_count += rev == Json(current_revision);
    updated += rev == Json(update_revision);
  }
  // The rollout is complete when every replica runs the update revision and is ready.
  if (updated == replicas && ready == replicas) {
    current_revision = update_revision;
    current_count = updated;
  }
  Json status = jsonx::At(set, "status").is_object() ? set["status"] : Json::object();
  Json next = status;
  next["observedGeneration"] = jsonx::Int(set, "metadata.generation", 1);
  next["replicas"] = count;
  next["readyReplicas"] = ready;
  next["availableReplicas"] = available;
  next["currentReplicas"] = current_count;
  next["updatedReplicas"] = updated;
  next["currentRevision"] = current_revision;
  next["updateRevision"] = update_revision;
  next["collisionCount"] = 0;
  for (const char* f : {"readyReplicas", "currentReplicas", "updatedReplicas"}) {
    if (next[f] == 0) next.erase(f);
  }
  if (next != status) {
    const resource::Kind* kind = ctx_.objects->Find("apps", "statefulsets");
    if (auto s = UpdateStatus(*ctx_.objects, *kind, set, next); !s) return RetryUnlessStale(s.error());
  }
  if (!st) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": statefulset " << key << ": " << st.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
