#include "controllers/job/job_controller.h"

#include <set>

#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "controllers/framework/parallel.h"
#include "controllers/framework/pod_control.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kIndexAnnotation = "batch.kubernetes.io/job-completion-index";
constexpr std::size_t kWriteWidth = 16;

bool HasCondition(const Json& job, const std::string& type) {
  const Json& conds = jsonx::At(job, "status.conditions");
  if (!conds.is_array()) return false;
  for (const auto& c : conds) {
    if (jsonx::Str(c, "type") == type && jsonx::Str(c, "status") == "True") return true;
  }
  return false;
}

int IndexOf(const Json& pod) {
  const Json& v = jsonx::Child(jsonx::At(pod, "metadata.annotations"), kIndexAnnotation);
  if (!v.is_string()) return -1;
  try {
    return std::stoi(v.get<std::string>());
  } catch (...) {
    return -1;
  }
}

// kube's compressed index list: "0-2,5".
std::string IndexRanges(const std::set<int>& idx) {
  std::string out;
  for (auto it = idx.begin(); it != idx.end();) {
    int lo = *it, hi = lo;
    for (++it; it != idx.end() && *it == hi + 1; ++it) hi = *it;
    if (!out.empty()) out += ",";
    out += hi == lo ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
  }
  return out;
}

}  // namespace

void JobController::Register(SharedInformer& informer) {
  informer.AddHandler({.resource = "batch/jobs",
                       .on_add = [this](const store::ObjectPtr& o) { Enqueue(o); },
                       .on_update = [this](const store::ObjectPtr&, const store::ObjectPtr& o) { Enqueue(o); },
                       .on_delete = [this](const store::ObjectPtr& o) { expectations_.Delete(o->key.ns + "/" + o->key.name); }});
  // Expectations move only on what a create or delete makes observable: an add, a deletion that
  // starts or ends. An ordinary update (a status change) is neither — counting it as a creation
  // would let the controller act on a cache that has not yet seen its own creates and make extra
  // pods (kube's job controller does the same).
  enum class Seen : std::uint8_t { kAdded, kUpdated, kDeleted };
  auto on_pod = [this](const store::ObjectPtr* old_p, const store::ObjectPtr& p, Seen seen) {
    const store::JsonPtr pod_view = View(p);
    const Json& pod = *pod_view;
    auto ref = ControllerRef(pod);
    if (!ref || ref->kind != "Job") return;
    const std::string key = p->key.ns + "/" + ref->name;
    if (seen == Seen::kDeleted) {
      if (!IsTerminating(pod)) expectations_.DeletionObserved(key);  // (else counted when it began)
    } else if (seen == Seen::kAdded) {
      if (IsTerminating(pod)) {
        expectations_.DeletionObserved(key);
      } else {
        expectations_.CreationObserved(key);
      }
    } else if (IsTerminating(pod) && !(old_p != nullptr && IsTerminating(*View(*old_p)))) {
      expectations_.DeletionObserved(key);
    }
    Enqueue(key);
  };
  informer.AddHandler(
      {.resource = "pods",
       .on_add = [on_pod](const store::ObjectPtr& p) { on_pod(nullptr, p, Seen::kAdded); },
       .on_update = [on_pod](const store::ObjectPtr& o, const store::ObjectPtr& p) { on_pod(&o, p, Seen::kUpdated); },
       .on_delete = [on_pod](const store::ObjectPtr& p) { on_pod(nullptr, p, Seen::kDeleted); }});
}

Outcome JobController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto job_obj = ctx_.informer->Get("batch/jobs", ns, name);
  if (!job_obj) {
    expectations_.Delete(key);
    return Outcome::kDone;
  }
  const Json job = Parse(job_obj);
  if (IsTerminating(job)) return Outcome::kDone;
  const auto now = std::chrono::system_clock::now();
  const std::string uid = jsonx::Str(job, "metadata.uid");
  const resource::Kind* job_kind = ctx_.objects->Find("batch", "jobs");
  const bool finished = HasCondition(job, "Complete") || HasCondition(job, "Failed");

  // TTL after finished: the Job (and, by background propagation, its pods) goes away.
  if (finished) {
    const Json& ttl = jsonx::At(job, "spec.ttlSecondsAfterFinished");
    auto done_at = ParseRfc3339(jsonx::Str(job, "status.completionTime"));
    if (!done_at) {
      const Json& conds = jsonx::At(job, "status.conditions");
      if (conds.is_array() && !conds.empty()) done_at = ParseRfc3339(jsonx::Str(conds.back(), "lastTransitionTime"));
    }
    if (ttl.is_number_integer() && done_at) {
      auto expiry = *done_at + std::chrono::seconds(ttl.get<std::int64_t>());
      if (now >= expiry) {
        auto res = ctx_.objects->Delete(*job_kind, ns, name,
                                        registry::DeleteOptions{.uid_precondition = uid,
                                                                .propagation = registry::Propagation::kBackground});
        if (!res && res.error().code != ErrorCode::kNotFound) return Outcome::kRetry;
      } else {
        EnqueueAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(expiry - now) + std::chrono::milliseconds(10));
      }
    }
    return Outcome::kDone;
  }

  const bool indexed = jsonx::Str(job, "spec.completionMode") == "Indexed";
  const Json& completions_j = jsonx::At(job, "spec.completions");
  const bool has_completions = completions_j.is_number_integer();
  const std::int64_t completions = has_completions ? completions_j.get<std::int64_t>() : 0;
  const std::int64_t parallelism = jsonx::Int(job, "spec.parallelism", 1);
  const std::int64_t backoff_limit = jsonx::Int(job, "spec.backoffLimit", 6);
  const bool suspended = jsonx::Bool(job, "spec.suspend");

  std::vector<Json> active;
  std::int64_t succeeded = 0, failed = 0, ready = 0;
  std::set<int> succeeded_idx, active_idx;
  for (const auto& p : ctx_.informer->List("pods", ns)) {
    Json pod = Parse(p);
    auto ref = ControllerRef(pod);
    if (!ref || ref->uid != uid) continue;
    const std::string phase = jsonx::Str(pod, "status.phase");
    if (phase == "Succeeded") {
      ++succeeded;
      if (indexed && IndexOf(pod) >= 0) succeeded_idx.insert(IndexOf(pod));
    } else if (phase == "Failed") {
      ++failed;
    } else if (!IsTerminating(pod)) {
      ready += IsPodReady(pod);
      if (indexed) active_idx.insert(IndexOf(pod));
      active.push_back(std::move(pod));
    }
  }
  if (indexed) succeeded = static_cast<std::int64_t>(succeeded_idx.size());

  Json status = jsonx::At(job, "status").is_object() ? job["status"] : Json::object();
  Json next = status;
  if (!suspended && !next.contains("startTime")) next["startTime"] = FormatRfc3339(now);
  Status st;
  std::string fail_reason, fail_message;
  if (failed > backoff_limit) {
    fail_reason = "BackoffLimitExceeded";
    fail_message = "Job has reached the specified backoff limit";
  }
  if (const Json& deadline = jsonx::At(job, "spec.activeDeadlineSeconds"); deadline.is_number_integer() && !suspended) {
    if (auto start = ParseRfc3339(jsonx::Str(next, "startTime"))) {
      auto at = *start + std::chrono::seconds(deadline.get<std::int64_t>());
      if (now >= at && fail_reason.empty()) {
        fail_reason = "DeadlineExceeded";
        fail_message = "Job was active longer than specified deadline";
      } else if (now < at) {
        EnqueueAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(at - now) + std::chrono::milliseconds(10));
      }
    }
  }
  const bool complete = has_completions ? succeeded >= completions : (succeeded > 0 && active.empty());

  if (!fail_reason.empty() || complete || suspended) {
    // Finished or suspended: no pod keeps running.
    for (const auto& p : active) {
      if (st) st = DeletePod(*ctx_.objects, ns, jsonx::Str(p, "metadata.name"), jsonx::Str(p, "metadata.uid"));
    }
  } else if (expectations_.Satisfied(key)) {
    // How many should run now.
    std::vector<int> indexes;  // Indexed: which completion indexes still need a pod
    std::int64_t want = 0;
    if (indexed) {
      for (int i = 0; i < completions && static_cast<std::int64_t>(indexes.size()) + static_cast<std::int64_t>(active.size()) < parallelism; ++i) {
        if (!succeeded_idx.count(i) && !active_idx.count(i)) indexes.push_back(i);
      }
      want = static_cast<std::int64_t>(indexes.size());
    } else if (has_completions) {
      want = std::min(parallelism, completions - succeeded) - static_cast<std::int64_t>(active.size());
    } else {
      want = succeeded > 0 ? 0 : parallelism - static_cast<std::int64_t>(active.size());
    }
    if (want > 0) {
      expectations_.Expect(key, static_cast<int>(want), 0);
      std::atomic<int> errors{0};
      std::optional<Error> first;
      std::mutex mu;
      ParallelFor(static_cast<std::size_t>(want), kWriteWidth, [&](std::size_t i) {
        Json pod = PodFromTemplate(jsonx::At(job, "spec.template"), job, ns, name + "-");
        Json& labels = pod["metadata"]["labels"];
        for (const char* k : {"batch.kubernetes.io/job-name", "job-name"}) labels[k] = name;
        for (const char* k : {"batch.kubernetes.io/controller-uid", "controller-uid"}) labels[k] = uid;
        if (indexed) {
          const std::string idx = std::to_string(indexes[i]);
          pod["metadata"]["generateName"] = name + "-" + idx + "-";
          pod["metadata"]["annotations"][kIndexAnnotation] = idx;
          labels[kIndexAnnotation] = idx;
          pod["spec"]["hostname"] = name + "-" + idx;
          if (pod["spec"]["containers"].is_array()) {
            for (auto& c : pod["spec"]["containers"]) {
              c["env"].push_back({{"name", "JOB_COMPLETION_INDEX"},
                                  {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['" + std::string(kIndexAnnotation) + "']"}}}}}});
            }
          }
        }
        auto res = CreatePod(*ctx_.objects, ns, std::move(pod));
        if (!res) {
          ++errors;
          std::lock_guard lock(mu);
          if (!first) first = res.error();
        }
      });
      if (errors > 0) {
        expectations_.Lower(key, errors, 0);
        st = *first;
      }
    }
  }

  next["active"] = static_cast<std::int64_t>(!fail_reason.empty() || complete || suspended ? 0 : active.size());
  next["ready"] = ready;
  next["succeeded"] = succeeded;
  next["failed"] = failed;
  next["terminating"] = 0;
  if (indexed) {
    if (succeeded_idx.empty()) {
      next["completedIndexes"] = "";
    } else {
      next["completedIndexes"] = IndexRanges(succeeded_idx);
    }
  }
  for (const char* f : {"active", "succeeded", "failed"}) {
    if (next[f] == 0) next.erase(f);
  }
  if (!fail_reason.empty()) {
    SetCondition(next, "FailureTarget", "True", fail_reason, fail_message, now);
    SetCondition(next, "Failed", "True", fail_reason, fail_message, now);
  } else if (complete) {
    SetCondition(next, "SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
    SetCondition(next, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
    next["completionTime"] = FormatRfc3339(now);
  } else if (suspended) {
    SetCondition(next, "Suspended", "True", "JobSuspended", "Job suspended", now);
  } else if (HasCondition(job, "Suspended")) {
    SetCondition(next, "Suspended", "False", "JobResumed", "Job resumed", now);
  }
  if (next != status) {
    if (auto s = UpdateStatus(*ctx_.objects, *job_kind, job, next); !s) return RetryUnlessStale(s.error());
  }
  if (!st) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": job " << key << ": " << st.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
