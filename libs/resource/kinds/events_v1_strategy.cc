// events.k8s.io/v1 Event, stored apart from core/v1 events (under "events.k8s.io/events"):
// ValidateEventCreate / ValidateEventUpdate for the events.k8s.io API (reporting fields required,
// the deprecated* fields left to the core API, immutable content), and printEvent on the
// fields renamed by that API.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Int;
using jsonx::Str;
namespace v = validation;

constexpr std::size_t kReportingInstanceLimit = 128;
constexpr std::size_t kActionLimit = 128;
constexpr std::size_t kReasonLimit = 128;
constexpr std::size_t kNoteLimit = 1024;

// The core/v1 shape of an events.k8s.io/v1 event, as kube converts between the two.
json AsCoreEvent(const json& e) {
  json core = json::object();
  if (!e.is_object()) return core;
  core["metadata"] = jsonx::Child(e, "metadata");
  for (auto [from, to] : {std::pair{"regarding", "involvedObject"}, {"note", "message"}, {"deprecatedSource", "source"},
                          {"deprecatedFirstTimestamp", "firstTimestamp"}, {"deprecatedLastTimestamp", "lastTimestamp"},
                          {"deprecatedCount", "count"}, {"reportingController", "reportingComponent"},
                          {"reportingInstance", "reportingInstance"}, {"reason", "reason"}, {"type", "type"},
                          {"eventTime", "eventTime"}, {"series", "series"}, {"action", "action"}, {"related", "related"}}) {
    if (jsonx::Has(e, from)) core[to] = e[from];
  }
  return core;
}

class EventsV1Strategy final : public Strategy {
 public:
  EventsV1Strategy() : Strategy({.kind = "Event"}), core_(MakeEventStrategy()) {}

  // The core API's columns: kube prints both versions with the same printer.
  const std::vector<ColumnDefinition>& Columns() const override { return core_->Columns(); }
  json Cells(const json& e, SystemTime now) const override { return core_->Cells(AsCoreEvent(e), now); }

  std::vector<std::string> ExtraSelectableFields() const override {
    return {"regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reason",
            "reportingController",
            "type"};
  }

 protected:
  // Fields the events.k8s.io/v1 type always serializes (structs and times without omitempty effect).
  void Default(json& e) const override {
    if (!e.is_object()) return;
    for (const char* t : {"eventTime", "deprecatedFirstTimestamp", "deprecatedLastTimestamp"}) {
      if (!e.contains(t)) e[t] = nullptr;
    }
    jsonx::Object(e, "regarding");
    jsonx::Object(e, "deprecatedSource");
  }

  void ValidateSpec(const json& e, std::vector<FieldCause>& errs) const override {
    const std::string ns = Str(e, "metadata.namespace");
    const std::string regarding_ns = Str(e, "regarding.namespace");
    if (regarding_ns.empty() && ns != "default" && ns != "kube-system") {
      errs.push_back(v::Invalid("involvedObject.namespace", v::GoQuote(regarding_ns), "does not match event.namespace"));
    }
    const std::string controller = Str(e, "reportingController");
    if (controller.empty()) errs.push_back(v::Required("reportingController"));
    for (auto& m : v::IsQualifiedName(controller)) {
      errs.push_back(v::Invalid("reportingController", v::GoQuote(controller), m));
    }
    auto limited = [&](const char* field, const char* path, std::size_t limit, bool required) {
      const std::string val = Str(e, field);
      if (required && val.empty()) errs.push_back(v::Required(path));
      if (val.size() > limit) {
        errs.push_back(v::Invalid(path, "\"\"", "can have at most " + std::to_string(limit) + " characters"));
      }
    };
    limited("reportingInstance", "reportingInstance", kReportingInstanceLimit, true);
    limited("action", "action", kActionLimit, true);
    limited("reason", "reason", kReasonLimit, true);
    limited("note", "message", kNoteLimit, false);
    const json& series = jsonx::Child(e, "series");
    if (series.is_object()) {
      if (Int(series, "count") < 2) errs.push_back(v::Invalid("series.count", "\"\"", "should be at least 2"));
      if (Str(series, "lastObservedTime").empty()) errs.push_back(v::Required("series.lastObservedTime"));
    }
    if (Str(e, "eventTime").empty()) errs.push_back(v::Required("eventTime"));
    const std::string type = Str(e, "type");
    if (type != "Normal" && type != "Warning") errs.push_back(v::Invalid("type", "\"\"", "has invalid value: " + type));
    for (auto [field, path] : {std::pair{"deprecatedFirstTimestamp", "firstTimestamp"},
                               {"deprecatedLastTimestamp", "lastTimestamp"}}) {
      if (!Str(e, field).empty()) errs.push_back(v::Invalid(path, "\"\"", "needs to be unset"));
    }
    if (Int(e, "deprecatedCount") != 0) errs.push_back(v::Invalid("count", "\"\"", "needs to be unset"));
    if (!Str(e, "deprecatedSource.component").empty() || !Str(e, "deprecatedSource.host").empty()) {
      errs.push_back(v::Invalid("source", "\"\"", "needs to be unset"));
    }
  }

  void ValidateSpecUpdate(const json& e, const json& old, std::vector<FieldCause>& errs) const override {
    for (auto [field, path] : {std::pair{"regarding", "involvedObject"}, {"reason", "reason"}, {"note", "message"},
                               {"deprecatedSource", "source"}, {"deprecatedFirstTimestamp", "firstTimestamp"},
                               {"deprecatedLastTimestamp", "lastTimestamp"}, {"deprecatedCount", "count"},
                               {"type", "type"}, {"eventTime", "eventTime"}, {"action", "action"},
                               {"related", "related"}, {"reportingController", "reportingController"},
                               {"reportingInstance", "reportingInstance"}}) {
      const json& now = jsonx::Child(e, field);
      if (now != jsonx::Child(old, field)) {
        errs.push_back(v::Invalid(path, now.is_object() ? now.dump() : v::GoValue(now), "field is immutable"));
      }
    }
  }

  void AddFields(const json& e, std::vector<std::pair<std::string, std::string>>& f) const override {
    for (const char* k : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      f.emplace_back(std::string("regarding.") + k, Str(e, std::string("regarding.") + k));
    }
    f.emplace_back("reason", Str(e, "reason"));
    f.emplace_back("reportingController", Str(e, "reportingController"));
    f.emplace_back("type", Str(e, "type"));
  }

 private:
  std::shared_ptr<const Strategy> core_;
};

}  // namespace

std::shared_ptr<const Strategy> MakeEventsV1EventStrategy() { return std::make_shared<EventsV1Strategy>(); }

}  // namespace vkube::resource
