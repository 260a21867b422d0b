// batch/v1 Jobs and CronJobs: defaulting, the generated selector, validation messages, cells.
#include <gtest/gtest.h>

#include "libs/resource/kinds/job_spec.h"
#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Batch(std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("batch", "v1", resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

// What `kubectl create job pi --image=busybox -- echo hi` sends, plus what the registry sets first.
json KubectlJob() {
  return json::parse(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi","namespace":"default",
    "uid":"1234-abcd","creationTimestamp":"2024-01-01T00:00:00Z"},
    "spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"pi","image":"busybox","command":["echo","hi"]}],
    "restartPolicy":"Never"}}},"status":{"succeeded":5}})");
}

TEST(JobStrategy, CreateDefaultsAndGeneratedSelector) {
  const Strategy& s = Batch("jobs");
  json job = KubectlJob();
  s.PrepareForCreate(job);
  const json& spec = job["spec"];
  EXPECT_EQ(spec["completions"], 1);
  EXPECT_EQ(spec["parallelism"], 1);
  EXPECT_EQ(spec["backoffLimit"], 6);
  EXPECT_EQ(spec["completionMode"], "NonIndexed");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["podReplacementPolicy"], "TerminatingOrFailed");
  EXPECT_FALSE(spec.contains("manualSelector"));
  EXPECT_EQ(spec["selector"], json::parse(R"({"matchLabels":{"batch.kubernetes.io/controller-uid":"1234-abcd"}})"));
  const json want_labels = json::parse(R"({"batch.kubernetes.io/controller-uid":"1234-abcd",
    "batch.kubernetes.io/job-name":"pi","controller-uid":"1234-abcd","job-name":"pi"})");
  EXPECT_EQ(spec["template"]["metadata"]["labels"], want_labels);
  EXPECT_EQ(job["metadata"]["labels"], want_labels);  // a job without labels takes its template's
  EXPECT_EQ(spec["template"]["metadata"]["creationTimestamp"], nullptr);
  EXPECT_EQ(spec["template"]["spec"]["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(job["status"], json::object());
  EXPECT_EQ(job["metadata"]["generation"], 1);
  EXPECT_TRUE(s.Validate(job).empty()) << Messages(s.Validate(job))[0];
  EXPECT_TRUE(s.traits().orphan_dependents_by_default);

  json parallel = KubectlJob();
  parallel["spec"]["parallelism"] = 3;
  parallel["metadata"]["labels"] = {{"team", "a"}};
  s.PrepareForCreate(parallel);
  EXPECT_FALSE(parallel["spec"].contains("completions"));  // only defaulted when both are unset
  EXPECT_EQ(parallel["metadata"]["labels"], json({{"team", "a"}}));

  json failure_policy = KubectlJob();
  failure_policy["spec"]["podFailurePolicy"] = json::parse(R"({"rules":[{"action":"Ignore",
    "onPodConditions":[{"type":"DisruptionTarget"}]}]})");
  s.PrepareForCreate(failure_policy);
  EXPECT_EQ(failure_policy["spec"]["podReplacementPolicy"], "Failed");
  EXPECT_EQ(failure_policy["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"], "True");
  EXPECT_TRUE(s.Validate(failure_policy).empty()) << Messages(s.Validate(failure_policy))[0];
}

TEST(JobStrategy, ValidationMessages) {
  const Strategy& s = Batch("jobs");
  json always = KubectlJob();
  always["spec"]["template"]["spec"].erase("restartPolicy");  // defaults to Always
  s.PrepareForCreate(always);
  EXPECT_EQ(Messages(s.Validate(always)),
            std::vector<std::string>{
                "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""});

  json bad = KubectlJob();
  bad["spec"]["parallelism"] = -1;
  bad["spec"]["completionMode"] = "Sometimes";
  bad["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure";
  bad["spec"]["podReplacementPolicy"] = "Never";
  s.PrepareForCreate(bad);
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
                "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"",
                "spec.podReplacementPolicy: Unsupported value: \"Never\": supported values: \"Failed\", "
                "\"TerminatingOrFailed\""}));

  // A selector the user wrote without manualSelector must be the generated one.
  json manual = KubectlJob();
  manual["spec"]["selector"] = {{"matchLabels", {{"app", "pi"}}}};
  manual["spec"]["template"]["metadata"]["labels"] = {{"app", "pi"}};
  s.PrepareForCreate(manual);
  auto msgs = Messages(s.Validate(manual));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0],
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"pi\", "
            "\"batch.kubernetes.io/controller-uid\":\"1234-abcd\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
            ": `selector` not auto-generated");
  manual = KubectlJob();
  manual["spec"]["manualSelector"] = true;
  manual["spec"]["selector"] = {{"matchLabels", {{"app", "pi"}}}};
  manual["spec"]["template"]["metadata"]["labels"] = {{"app", "pi"}};
  s.PrepareForCreate(manual);
  EXPECT_TRUE(s.Validate(manual).empty());
  EXPECT_EQ(manual["spec"]["selector"], json::parse(R"({"matchLabels":{"app":"pi"}})"));

  // Labels that contradict the job are reported against the template.
  json spoofed = KubectlJob();
  spoofed["spec"]["template"]["metadata"]["labels"] = {{"job-name", "other"}};
  s.PrepareForCreate(spoofed);
  msgs = Messages(s.Validate(spoofed));
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs[0].substr(0, msgs[0].find(':')), "spec.template.metadata.labels[job-name]");
  EXPECT_NE(msgs[0].find("must be 'pi'"), std::string::npos) << msgs[0];

  json indexed = KubectlJob();
  indexed["spec"]["completionMode"] = "Indexed";
  indexed["spec"]["parallelism"] = 2;
  s.PrepareForCreate(indexed);
  EXPECT_EQ(Messages(s.Validate(indexed)),
            std::vector<std::string>{"spec.completions: Required value: when completion mode is Indexed"});
}

TEST(JobStrategy, UpdatesKeepSelectorCompletionsAndTemplate) {
  const Strategy& s = Batch("jobs");
  json job = KubectlJob();
  s.PrepareForCreate(job);
  json upd = job;
  upd["spec"]["completions"] = 3;
  upd["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  upd["spec"]["parallelism"] = 4;  // mutable
  s.PrepareForUpdate(upd, job);
  EXPECT_EQ(upd["metadata"]["generation"], 2);
  auto msgs = Messages(s.ValidateUpdate(upd, job));
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0], "spec.completions: Invalid value: 3: field is immutable");
  EXPECT_EQ(msgs[1].substr(0, 15), "spec.template: ");
  EXPECT_NE(msgs[1].find("field is immutable"), std::string::npos);

  // A suspended job that never started may change its scheduling directives.
  json suspended = KubectlJob();
  suspended["spec"]["suspend"] = true;
  s.PrepareForCreate(suspended);
  json moved = suspended;
  moved["spec"]["template"]["spec"]["nodeSelector"] = {{"zone", "a"}};
  s.PrepareForUpdate(moved, suspended);
  EXPECT_TRUE(s.ValidateUpdate(moved, suspended).empty()) << Messages(s.ValidateUpdate(moved, suspended))[0];
}

TEST(JobStrategy, Cells) {
  const Strategy& s = Batch("jobs");
  json job = KubectlJob();
  s.PrepareForCreate(job);
  job["status"] = json::parse(R"({"succeeded":1,"startTime":"2024-01-01T00:00:00Z",
    "completionTime":"2024-01-01T00:00:42Z","conditions":[{"type":"Complete","status":"True"}]})");
  EXPECT_EQ(s.Cells(job, At("2024-01-01T00:05:00Z")),
            json::parse(R"(["pi","Complete","1/1","42s","5m","pi","busybox",
              "batch.kubernetes.io/controller-uid=1234-abcd"])"));
  json running = KubectlJob();
  running["spec"] = {{"parallelism", 3}};
  running["status"] = {{"startTime", "2024-01-01T00:00:00Z"}, {"succeeded", 2}};
  json cells = s.Cells(running, At("2024-01-01T00:01:30Z"));
  EXPECT_EQ(cells[1], "Running");
  EXPECT_EQ(cells[2], "2/1 of 3");
  EXPECT_EQ(cells[3], "90s");
  EXPECT_EQ(cells[7], "<none>");
  running["status"]["conditions"] = json::parse(R"([{"type":"Suspended","status":"True"}])");
  EXPECT_EQ(s.Cells(running, At("2024-01-01T00:01:30Z"))[1], "Suspended");
  running["metadata"]["deletionTimestamp"] = "2024-01-01T00:01:00Z";
  EXPECT_EQ(s.Cells(running, At("2024-01-01T00:01:30Z"))[1], "Terminating");
  auto attrs = s.GetAttrs(job);
  EXPECT_NE(std::find(attrs.fields.begin(), attrs.fields.end(),
                      std::pair<std::string, std::string>{"status.successful", "1"}),
            attrs.fields.end());
}

json KubectlCronJob(const char* schedule = "*/1 * * * *") {
  json cj = json::parse(R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"tick","namespace":"default",
    "uid":"u-1","creationTimestamp":"2024-01-01T00:00:00Z"},
    "spec":{"jobTemplate":{"metadata":{"name":"tick"},"spec":{"template":{"metadata":{},"spec":{
    "containers":[{"name":"tick","image":"busybox"}],"restartPolicy":"OnFailure"}}}}}})");
  cj["spec"]["schedule"] = schedule;
  return cj;
}

TEST(CronJobStrategy, DefaultsAndCells) {
  const Strategy& s = Batch("cronjobs");
  json cj = KubectlCronJob();
  s.PrepareForCreate(cj);
  const json& spec = cj["spec"];
  EXPECT_EQ(spec["concurrencyPolicy"], "Allow");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(spec["failedJobsHistoryLimit"], 1);
  EXPECT_EQ(spec["jobTemplate"]["metadata"]["creationTimestamp"], nullptr);
  EXPECT_FALSE(spec["jobTemplate"]["spec"].contains("backoffLimit"));  // Job defaults are not a template's
  EXPECT_EQ(spec["jobTemplate"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(cj["status"], json::object());
  EXPECT_TRUE(s.Validate(cj).empty()) << Messages(s.Validate(cj))[0];
  EXPECT_EQ(s.Cells(cj, At("2024-01-01T00:10:00Z")),
            json::parse(R"(["tick","*/1 * * * *","<none>","False",0,"<none>","10m","tick","busybox","<none>"])"));
  cj["spec"]["timeZone"] = "Etc/UTC";
  cj["status"] = json::parse(R"({"active":[{"name":"tick-1"}],"lastScheduleTime":"2024-01-01T00:09:00Z"})");
  json cells = s.Cells(cj, At("2024-01-01T00:10:00Z"));
  EXPECT_EQ(cells[2], "Etc/UTC");
  EXPECT_EQ(cells[4], 1);
  EXPECT_EQ(cells[5], "60s");
}

TEST(CronJobStrategy, ScheduleAndTemplateValidation) {
  const Strategy& s = Batch("cronjobs");
  auto errors = [&](json cj) {
    s.PrepareForCreate(cj);
    return Messages(s.Validate(cj));
  };
  EXPECT_TRUE(errors(KubectlCronJob("@hourly")).empty());
  EXPECT_TRUE(errors(KubectlCronJob("0 9-17/2 * JAN-jun mon,FRI")).empty());
  EXPECT_EQ(errors(KubectlCronJob("* * *")),
            std::vector<std::string>{"spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]"});
  EXPECT_EQ(errors(KubectlCronJob("61 * * * *")),
            std::vector<std::string>{
                "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"});
  EXPECT_EQ(errors(KubectlCronJob("@fortnightly")),
            std::vector<std::string>{
                "spec.schedule: Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly"});
  EXPECT_EQ(errors(KubectlCronJob("TZ=UTC * * * * *")).back(),
            "spec.schedule: Invalid value: \"TZ=UTC * * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone "
            "field instead");
  json no_schedule = KubectlCronJob("");
  EXPECT_EQ(errors(no_schedule), std::vector<std::string>{"spec.schedule: Required value"});

  json bad = KubectlCronJob();
  bad["spec"]["concurrencyPolicy"] = "Sometimes";
  bad["spec"]["jobTemplate"]["spec"]["selector"] = {{"matchLabels", {{"a", "b"}}}};
  bad["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  bad["metadata"]["name"] = std::string(53, 'a');
  EXPECT_EQ(errors(bad),
            (std::vector<std::string>{
                "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", "
                "\"Replace\"",
                "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", "
                "\"Never\"",
                "spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":"
                "\"b\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated",
                "metadata.name: Invalid value: \"" + std::string(53, 'a') + "\": must be no more than 52 characters"}));

  json tz = KubectlCronJob();
  tz["spec"]["timeZone"] = "Local";
  EXPECT_EQ(errors(tz), std::vector<std::string>{"spec.timeZone: Invalid value: \"Local\": timeZone must be an "
                                                 "explicit time zone as defined in https://www.iana.org/time-zones"});
  tz["spec"]["timeZone"] = "../etc";
  EXPECT_EQ(errors(tz), std::vector<std::string>{"spec.timeZone: Invalid value: \"../etc\": unknown time zone ../etc"});
}

TEST(CronSchedule, LibraryErrorTexts) {
  EXPECT_EQ(CronScheduleError("*/5 * * * *"), "");
  EXPECT_EQ(CronScheduleError("@every 1h30m"), "");
  EXPECT_EQ(CronScheduleError(""), "empty spec string");
  EXPECT_EQ(CronScheduleError("x * * * *"), "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(CronScheduleError("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
  EXPECT_EQ(CronScheduleError("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
  EXPECT_EQ(CronScheduleError("*/0 * * * *"), "step of range should be a positive number: */0");
  EXPECT_EQ(CronScheduleError("1-2-3 * * * *"), "too many hyphens: 1-2-3");
  EXPECT_EQ(CronScheduleError("@every soon"), "failed to parse duration @every soon: time: invalid duration \"soon\"");
  EXPECT_EQ(CronScheduleError("TZ=UTC 0 0 * * *"), "");
}

}  // namespace
}  // namespace vkube::resource
