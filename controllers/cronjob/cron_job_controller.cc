#include "controllers/cronjob/cron_job_controller.h"

#include <algorithm>

#include "controllers/cronjob/cron_schedule.h"
#include "controllers/framework/object_util.h"
#include "controllers/framework/status_update.h"
#include "libs/core/log.h"
#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

namespace {

constexpr const char* kScheduledAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

// "" while running, else "Complete" or "Failed".
std::string FinishedAs(const Json& job) {
  const Json& conds = jsonx::At(job, "status.conditions");
  if (!conds.is_array()) return "";
  for (const auto& c : conds) {
    const std::string type = jsonx::Str(c, "type");
    if ((type == "Complete" || type == "Failed") && jsonx::Str(c, "status") == "True") return type;
  }
  return "";
}

}  // namespace

void CronJobController::Register(SharedInformer& informer) {
  EnqueueOnChange(informer, "batch/cronjobs");
  EnqueueOwnerOnEvents(informer, "batch/jobs", "CronJob");
}

Outcome CronJobController::Reconcile(const std::string& key) {
  const auto parts = SplitKey(key);
  const std::string &ns = parts.first, &name = parts.second;  // not bindings: clang 14 lambdas cannot capture them
  auto cj_obj = ctx_.informer->Get("batch/cronjobs", ns, name);
  if (!cj_obj) return Outcome::kDone;
  const Json cj = Parse(cj_obj);
  if (IsTerminating(cj)) return Outcome::kDone;
  const auto now = std::chrono::system_clock::now();
  const std::string uid = jsonx::Str(cj, "metadata.uid");
  const resource::Kind* job_kind = ctx_.objects->Find("batch", "jobs");
  const resource::Kind* cj_kind = ctx_.objects->Find("batch", "cronjobs");

  std::vector<Json> active, succeeded, failed;
  for (const auto& j : ctx_.informer->List("batch/jobs", ns)) {
    Json job = Parse(j);
    auto ref = ControllerRef(job);
    if (!ref || ref->uid != uid) continue;
    const std::string f = FinishedAs(job);
    if (f.empty()) {
      if (!IsTerminating(job)) active.push_back(std::move(job));
    } else {
      (f == "Complete" ? succeeded : failed).push_back(std::move(job));
    }
  }
  Json status = jsonx::At(cj, "status").is_object() ? cj["status"] : Json::object();
  Json next = status;
  std::string last_success = jsonx::Str(status, "lastSuccessfulTime");
  for (const auto& j : succeeded) last_success = std::max(last_success, jsonx::Str(j, "status.completionTime"));
  if (!last_success.empty()) next["lastSuccessfulTime"] = last_success;

  // History limits: oldest finished Jobs beyond the limit go (with their pods).
  auto prune = [&](std::vector<Json>& jobs, std::int64_t limit) {
    std::sort(jobs.begin(), jobs.end(), [](const Json& a, const Json& b) {
      return jsonx::Str(a, "metadata.creationTimestamp") < jsonx::Str(b, "metadata.creationTimestamp");
    });
    for (std::size_t i = 0; static_cast<std::int64_t>(jobs.size() - i) > limit && i < jobs.size(); ++i) {
      (void)ctx_.objects->Delete(*job_kind, ns, jsonx::Str(jobs[i], "metadata.name"),
                                 registry::DeleteOptions{.propagation = registry::Propagation::kBackground});
    }
  };
  prune(succeeded, jsonx::Int(cj, "spec.successfulJobsHistoryLimit", 3));
  prune(failed, jsonx::Int(cj, "spec.failedJobsHistoryLimit", 1));

  Status st;
  std::optional<SystemTime> requeue_at;
  auto schedule = CronSchedule::Parse(jsonx::Str(cj, "spec.schedule"));
  const std::string tz = jsonx::Str(cj, "spec.timeZone");
  if (!schedule || !(tz.empty() || tz == "UTC" || tz == "Etc/UTC")) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": cronjob " << key << ": unsupported schedule or time zone";
  } else if (!jsonx::Bool(cj, "spec.suspend")) {
    // The most recent scheduled time since the last run (missed runs collapse into one, as kube).
    auto since = ParseRfc3339(jsonx::Str(status, "lastScheduleTime"));
    if (!since) since = ParseRfc3339(jsonx::Str(cj, "metadata.creationTimestamp"));
    if (!since) since = now;
    std::optional<SystemTime> due;
    for (auto t = schedule->Next(*since); t && *t <= now; t = schedule->Next(*t)) due = t;
    requeue_at = schedule->Next(now);
    const Json& deadline = jsonx::At(cj, "spec.startingDeadlineSeconds");
    const bool too_late =
        due && deadline.is_number_integer() && *due + std::chrono::seconds(deadline.get<std::int64_t>()) < now;
    const std::string policy = jsonx::Str(cj, "spec.concurrencyPolicy", "Allow");
    if (due && !too_late && !(policy == "Forbid" && !active.empty())) {
      if (policy == "Replace") {
        for (const auto& j : active) {
          (void)ctx_.objects->Delete(*job_kind, ns, jsonx::Str(j, "metadata.name"),
                                     registry::DeleteOptions{.propagation = registry::Propagation::kBackground});
        }
        active.clear();
      }
      const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(due->time_since_epoch()).count();
      const Json& tmpl = jsonx::At(cj, "spec.jobTemplate");
      Json meta = Json::object();
      for (const char* k : {"labels", "annotations"}) {
        if (jsonx::Has(jsonx::Child(tmpl, "metadata"), k)) meta[k] = tmpl["metadata"][k];
      }
      meta["name"] = name + "-" + std::to_string(minutes);
      meta["namespace"] = ns;
      meta["annotations"][kScheduledAnnotation] = FormatRfc3339(*due);
      meta["ownerReferences"] = Json::array({NewControllerRef(cj)});
      Json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", meta}, {"spec", jsonx::Child(tmpl, "spec")}};
      auto res = ctx_.objects->Create(*job_kind, ns, std::move(job));
      if (res) {
        Json created = Json::parse((*res)->json);
        active.push_back(std::move(created));
      } else if (res.error().code != ErrorCode::kAlreadyExists) {
        st = res.take_error();
      }
      if (st) next["lastScheduleTime"] = FormatRfc3339(*due);
    }
  }
  Json refs = Json::array();
  for (const auto& j : active) {
    refs.push_back({{"apiVersion", "batch/v1"},
                    {"kind", "Job"},
                    {"name", jsonx::Str(j, "metadata.name")},
                    {"namespace", ns},
                    {"uid", jsonx::Str(j, "metadata.uid")},
                    {"resourceVersion", jsonx::Str(j, "metadata.resourceVersion")}});
  }
  if (refs.empty()) {
    next.erase("active");
  } else {
    next["active"] = refs;
  }
  if (next != status) {
    if (auto s = UpdateStatus(*ctx_.objects, *cj_kind, cj, next); !s) return RetryUnlessStale(s.error());
  }
  if (requeue_at) {
    EnqueueAfter(key, std::chrono::duration_cast<std::chrono::milliseconds>(*requeue_at - now) + std::chrono::milliseconds(50));
  }
  if (!st) {
    VKUBE_LOG(kWarn) << ctx_.tenant << ": cronjob " << key << ": " << st.error().message;
    return Outcome::kRetry;
  }
  return Outcome::kDone;
}

}  // namespace vkube::controllers
