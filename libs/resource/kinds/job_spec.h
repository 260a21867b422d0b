#pragma once
// batch/v1 JobSpec rules shared by Jobs and the job templates of CronJobs: kube's validateJobSpec
// (counts, completion mode, pod failure / replacement / success policies, the pod template and
// its restartPolicy), without the selector checks that only Jobs make.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource {

// `path` is "spec" for Jobs, "spec.jobTemplate.spec" for CronJobs.
void ValidateJobSpecCommon(const nlohmann::json& spec, const std::string& path, std::vector<FieldCause>& errs);

// The standard 5-field cron grammar (and @hourly-style descriptors) kube's cron library parses
// CronJob schedules with: "" when valid, else that library's error text.
std::string CronScheduleError(std::string spec);

}  // namespace vkube::resource
