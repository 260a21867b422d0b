// batch/v1 CronJob: SetDefaults_CronJob, ValidateCronJob (the schedule parsed as the standard
// 5-field cron grammar kube's cron library accepts, with its error texts; timeZone; the job
// template, whose selector is always generated), status and generation, printCronJob.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/job_spec.h"
#include "libs/resource/kinds/pod_spec.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

// The cronjob controller names jobs <cronjob>-<11 digit timestamp>, which must fit 63 characters.
constexpr std::size_t kMaxCronJobNameLength = 52;
constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo";

struct Bounds {
  unsigned min, max;
  const std::map<std::string, unsigned>* names;
};

const std::map<std::string, unsigned> kMonthNames = {{"jan", 1}, {"feb", 2},  {"mar", 3},  {"apr", 4},
                                                     {"may", 5}, {"jun", 6},  {"jul", 7},  {"aug", 8},
                                                     {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
const std::map<std::string, unsigned> kDayNames = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                                   {"thu", 4}, {"fri", 5}, {"sat", 6}};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// strconv.Atoi plus the cron library's wording.
std::optional<std::string> ParseInt(const std::string& expr, unsigned& out) {
  long long n = 0;
  const char* begin = expr.data();
  const char* end = begin + expr.size();
  if (!expr.empty() && (*begin == '+' || *begin == '-')) ++begin;
  auto [p, ec] = std::from_chars(begin, end, n);
  if (expr.empty() || begin == end || p != end || ec == std::errc::invalid_argument) {
    return "failed to parse int from " + expr + ": strconv.Atoi: parsing " + v::GoQuote(expr) + ": invalid syntax";
  }
  if (ec == std::errc::result_out_of_range || n > 2147483647) {
    return "failed to parse int from " + expr + ": strconv.Atoi: parsing " + v::GoQuote(expr) + ": value out of range";
  }
  if (expr[0] == '-') n = -n;
  if (n < 0) return "negative number (" + std::to_string(n) + ") not allowed: " + expr;
  out = static_cast<unsigned>(n);
  return std::nullopt;
}

std::optional<std::string> ParseIntOrName(const std::string& expr, const Bounds& b, unsigned& out) {
  if (b.names != nullptr) {
    std::string lower = expr;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (auto it = b.names->find(lower); it != b.names->end()) {
      out = it->second;
      return std::nullopt;
    }
  }
  return ParseInt(expr, out);
}

std::optional<std::string> ParseRange(const std::string& expr, const Bounds& b) {
  auto range_and_step = Split(expr, '/');
  auto low_high = Split(range_and_step[0], '-');
  unsigned start = 0, end = 0, step = 1;
  if (low_high[0] == "*" || low_high[0] == "?") {
    start = b.min;
    end = b.max;
  } else {
    if (auto e = ParseIntOrName(low_high[0], b, start)) return e;
    if (low_high.size() == 1) {
      end = start;
    } else if (low_high.size() == 2) {
      if (auto e = ParseIntOrName(low_high[1], b, end)) return e;
    } else {
      return "too many hyphens: " + expr;
    }
  }
  if (range_and_step.size() == 2) {
    if (auto e = ParseInt(range_and_step[1], step)) return e;
    if (low_high.size() == 1 && low_high[0] != "*" && low_high[0] != "?") end = b.max;  // "N/step" = "N-max/step"
  } else if (range_and_step.size() > 2) {
    return "too many slashes: " + expr;
  }
  if (start < b.min) {
    return "beginning of range (" + std::to_string(start) + ") below minimum (" + std::to_string(b.min) + "): " + expr;
  }
  if (end > b.max) {
    return "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(b.max) + "): " + expr;
  }
  if (start > end) {
    return "beginning of range (" + std::to_string(start) + ") beyond end of range (" + std::to_string(end) + "): " + expr;
  }
  if (step == 0) return "step of range should be a positive number: " + expr;
  return std::nullopt;
}

bool ValidDuration(std::string_view d) {
  if (d.empty()) return false;
  if (d == "0") return true;
  std::size_t i = (d[0] == '+' || d[0] == '-') ? 1 : 0;
  if (i == d.size()) return false;
  while (i < d.size()) {
    std::size_t digits = 0;
    while (i < d.size() && (std::isdigit(static_cast<unsigned char>(d[i])) || d[i] == '.')) ++i, ++digits;
    if (digits == 0) return false;
    bool unit = false;
    for (std::string_view u : {"ns", "us", "\xC2\xB5s", "ms", "s", "m", "h"}) {
      if (d.substr(i, u.size()) == u && !(u == "m" && d.substr(i, 2) == "ms")) {
        i += u.size();
        unit = true;
        break;
      }
    }
    if (!unit) return false;
  }
  return true;
}

bool KnownTimeZone(const std::string& tz) {
  if (tz == "UTC" || tz == "Local") return true;  // what Go's time.LoadLocation always accepts
  struct stat st {};
  if (::stat(kZoneInfoDir, &st) != 0) return true;  // no zone database to check against
  return ::stat((std::string(kZoneInfoDir) + "/" + tz).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

// The cron library's ParseStandard: "" when valid, else its error text.
std::string CronScheduleError(std::string spec) {
  if (spec.empty()) return "empty spec string";
  if (spec.rfind("TZ=", 0) == 0 || spec.rfind("CRON_TZ=", 0) == 0) {
    auto sp = spec.find(' ');
    auto eq = spec.find('=');
    std::string loc = spec.substr(eq + 1, sp == std::string::npos ? std::string::npos : sp - eq - 1);
    if (sp == std::string::npos || !KnownTimeZone(loc)) {
      return "provided bad location " + loc + ": unknown time zone " + loc;
    }
    spec = spec.substr(sp);
    spec.erase(0, spec.find_first_not_of(" \t"));
  }
  if (!spec.empty() && spec[0] == '@') {
    for (const char* d : {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}) {
      if (spec == d) return "";
    }
    if (spec.rfind("@every ", 0) == 0) {
      std::string d = spec.substr(7);
      if (ValidDuration(d)) return "";
      return "failed to parse duration " + spec + ": time: invalid duration " + v::GoQuote(d);
    }
    return "unrecognized descriptor: " + spec;
  }
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    std::size_t start = i;
    while (i < spec.size() && !std::isspace(static_cast<unsigned char>(spec[i]))) ++i;
    if (i > start) fields.push_back(spec.substr(start, i - start));
  }
  if (fields.size() != 5) {
    std::string list;
    for (std::size_t k = 0; k < fields.size(); ++k) list += (k ? " " : "") + fields[k];
    return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": [" + list + "]";
  }
  const Bounds bounds[] = {{0, 59, nullptr}, {0, 23, nullptr}, {1, 31, nullptr}, {1, 12, &kMonthNames}, {0, 6, &kDayNames}};
  for (std::size_t f = 0; f < 5; ++f) {
    for (const auto& part : Split(fields[f], ',')) {
      if (auto e = ParseRange(part, bounds[f])) return *e;
    }
  }
  return "";
}

namespace {

class CronJobStrategy final : public Strategy {
 public:
  CronJobStrategy() : Strategy({.has_status = true, .tracks_generation = true, .kind = "CronJob"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the cron job, unique within its namespace."),
        print::Column("Schedule", "When jobs are started, in cron syntax."),
        print::Column("Timezone", "Time zone the schedule is read in."),
        print::Column("Suspend", "Whether starting new jobs is paused.", 0, "boolean"),
        print::Column("Active", "Jobs of this cron job running now.", 0, "integer"),
        print::Column("Last Schedule", "Time since a job was last started."),
        print::AgeColumn(),
        print::Column("Containers", "Names of the job template's containers.", 1),
        print::Column("Images", "Images of the job template's containers.", 1),
        print::Column("Selector", "Label selector of the job template.", 1)};
    return kCols;
  }

  json Cells(const json& cj, SystemTime now) const override {
    std::string last = "<none>";
    if (jsonx::Has(jsonx::Child(cj, "status"), "lastScheduleTime")) last = print::AgeOf(Str(cj, "status.lastScheduleTime"), now);
    const json& tz = jsonx::At(cj, "spec.timeZone");
    auto [names, images] = print::ContainerCells(jsonx::At(cj, "spec.jobTemplate.spec.template.spec"));
    return json::array({Str(cj, "metadata.name"), Str(cj, "spec.schedule"),
                        tz.is_string() ? tz.get<std::string>() : std::string("<none>"),
                        print::BoolPtr(jsonx::At(cj, "spec.suspend")),
                        static_cast<std::int64_t>(jsonx::Size(cj, "status.active")), last, print::Age(cj, now), names,
                        images, print::FormatLabelSelector(jsonx::At(cj, "spec.jobTemplate.spec.selector"))});
  }

 protected:
  void Default(json& cj) const override {
    json* spec = jsonx::Object(cj, "spec");
    if (spec == nullptr) return;
    if (Str(*spec, "concurrencyPolicy").empty() && !jsonx::Child(*spec, "concurrencyPolicy").is_string()) {
      (*spec)["concurrencyPolicy"] = "Allow";
    }
    jsonx::Default(*spec, "suspend", false);
    jsonx::Default(*spec, "successfulJobsHistoryLimit", 3);
    jsonx::Default(*spec, "failedJobsHistoryLimit", 1);
    json* jt = jsonx::Object(*spec, "jobTemplate");
    if (jt == nullptr) return;
    if (json* meta = jsonx::Object(*jt, "metadata")) {
      if (!meta->contains("creationTimestamp")) (*meta)["creationTimestamp"] = nullptr;
    }
    if (jsonx::Has(*jt, "spec")) {
      json* js = jsonx::Object(*jt, "spec");
      if (js != nullptr && jsonx::Has(*js, "template")) {
        if (json* tpl = jsonx::Object(*js, "template")) DefaultPodTemplateSpec(*tpl);
      }
    }
  }

  void PrepareCreate(json& cj) const override { cj["status"] = json::object(); }

  void ValidateSpecUpdate(const json& cj, const json& old, std::vector<FieldCause>& errs) const override {
    ValidateScheduleTimeZone(cj, Str(old, "spec.schedule").find("TZ") != std::string::npos, errs);
  }

  void ValidateSpec(const json& cj, std::vector<FieldCause>& errs) const override { ValidateCronJobSpec(cj, errs); }

  void ValidateCreate(const json& cj, std::vector<FieldCause>& errs) const override {
    ValidateScheduleTimeZone(cj, false, errs);
    std::string name = Str(cj, "metadata.name");
    if (name.size() > kMaxCronJobNameLength) {
      errs.push_back(v::Invalid("metadata.name", v::GoQuote(name), "must be no more than 52 characters"));
    }
  }

 private:
  // validateScheduleFormat's time-zone rule: a TZ in the schedule is only tolerated on objects that
  // already had one (allow_tz), and never together with spec.timeZone.
  static void ValidateScheduleTimeZone(const json& cj, bool allow_tz, std::vector<FieldCause>& errs) {
    const std::string schedule = Str(cj, "spec.schedule");
    if (schedule.find("TZ") == std::string::npos) return;
    if (!allow_tz) {
      errs.push_back(v::Invalid("spec.schedule", v::GoQuote(schedule),
                                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
    } else if (jsonx::Has(jsonx::Child(cj, "spec"), "timeZone")) {
      errs.push_back(v::Invalid("spec.schedule", v::GoQuote(schedule),
                                "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
    }
  }

  static void ValidateCronJobSpec(const json& cj, std::vector<FieldCause>& errs) {
    const json& spec = jsonx::Child(cj, "spec");
    const std::string schedule = Str(spec, "schedule");
    const json& tz = jsonx::Child(spec, "timeZone");
    if (schedule.empty()) {
      errs.push_back(v::Required("spec.schedule"));
    } else {
      if (std::string e = CronScheduleError(schedule); !e.empty()) {
        errs.push_back(v::Invalid("spec.schedule", v::GoQuote(schedule), e));
      }
    }
    v::ValidateNonnegative(spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds", errs);
    if (tz.is_string()) {
      const std::string zone = tz.get<std::string>();
      bool syntax_ok = !zone.empty();
      for (const auto& part : Split(zone, '/')) {
        syntax_ok = syntax_ok && part != "." && part != ".." && !part.empty() && part[0] != '-' &&
                    std::all_of(part.begin(), part.end(), [](unsigned char c) {
                      return std::isalnum(c) || c == '_' || c == '-' || c == '+';
                    });
      }
      if (zone.empty()) {
        errs.push_back(v::Invalid("spec.timeZone", v::GoQuote(zone), "timeZone must be nil or non-empty string"));
      } else if (!syntax_ok) {
        errs.push_back(v::Invalid("spec.timeZone", v::GoQuote(zone), "unknown time zone " + zone));
      } else {
        std::string lower = zone;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (lower == "local") {
          errs.push_back(v::Invalid("spec.timeZone", v::GoQuote(zone),
                                    "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
        }
        if (!KnownTimeZone(zone)) errs.push_back(v::Invalid("spec.timeZone", v::GoQuote(zone), "unknown time zone " + zone));
      }
    }
    const json& policy = jsonx::Child(spec, "concurrencyPolicy");
    if (policy.is_null() || policy == "") {
      errs.push_back(v::Required("spec.concurrencyPolicy"));
    } else if (policy != "Allow" && policy != "Forbid" && policy != "Replace") {
      errs.push_back(v::NotSupported("spec.concurrencyPolicy", v::GoValue(policy), {"Allow", "Forbid", "Replace"}));
    }
    const json& job_spec = jsonx::At(spec, "jobTemplate.spec");
    ValidateJobSpecCommon(job_spec, "spec.jobTemplate.spec", errs);
    if (jsonx::Has(job_spec, "selector")) {
      errs.push_back(v::Invalid("spec.jobTemplate.spec.selector", v::GoLabelSelector(jsonx::Child(job_spec, "selector")),
                                "`selector` will be auto-generated"));
    }
    if (jsonx::Bool(job_spec, "manualSelector")) {
      errs.push_back(v::NotSupported("spec.jobTemplate.spec.manualSelector", "true", {"nil", "false"}));
    }
    v::ValidateNonnegative(spec, "successfulJobsHistoryLimit", "spec.successfulJobsHistoryLimit", errs);
    v::ValidateNonnegative(spec, "failedJobsHistoryLimit", "spec.failedJobsHistoryLimit", errs);
  }

};

}  // namespace

std::shared_ptr<const Strategy> MakeCronJobStrategy() { return std::make_shared<CronJobStrategy>(); }

}  // namespace vkube::resource
