// core/v1 Event: legacy event validation (namespace agreement, the eventTime branch's required
// fields), selectable fields of the v1 API, printEvent.
#include <algorithm>

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

std::string Trim(std::string s) {
  auto ws = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && ws(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

class EventStrategy final : public Strategy {
 public:
  EventStrategy() : Strategy({.kind = "Event"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::Column("Last Seen", "Time since the event was last observed."),
        print::Column("Type", "Normal or Warning."),
        print::Column("Reason", "Short, machine-readable reason for the event."),
        print::Column("Object", "Object the event is about, as kind/name."),
        print::Column("Subobject", "Part of the object the event is about (e.g. a container).", 1),
        print::Column("Source", "Component (and host) that reported the event.", 1),
        print::Column("Message", "Human-readable description of the event."),
        print::Column("First Seen", "Time since the event was first observed.", 1),
        print::Column("Count", "How many times the event was observed.", 1),
        {"Name", "string", "name", "Name of the event object.", 1}};
    return kCols;
  }

  json Cells(const json& e, SystemTime now) const override {
    std::string first = Str(e, "firstTimestamp").empty() ? print::AgeOf(Str(e, "eventTime"), now)
                                                         : print::AgeOf(Str(e, "firstTimestamp"), now);
    std::string last = Str(e, "lastTimestamp").empty() ? first : print::AgeOf(Str(e, "lastTimestamp"), now);
    std::int64_t count = Int(e, "count");
    if (jsonx::At(e, "series").is_object()) {
      last = print::AgeOf(Str(e, "series.lastObservedTime"), now);
      count = Int(e, "series.count");
    } else if (count == 0) {
      count = 1;  // singleton events of the events.k8s.io API carry no count
    }
    std::string kind = Str(e, "involvedObject.kind");
    std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string target = Str(e, "involvedObject.name").empty() ? kind : kind + "/" + Str(e, "involvedObject.name");
    std::string component = Str(e, "source.component").empty() ? Str(e, "reportingComponent") : Str(e, "source.component");
    std::string host = Str(e, "source.host").empty() ? Str(e, "reportingInstance") : Str(e, "source.host");
    std::string source = host.empty() ? component : component + ", " + host;
    return json::array({last, Str(e, "type"), Str(e, "reason"), target, Str(e, "involvedObject.fieldPath"), source,
                        Trim(Str(e, "message")), first, count, Str(e, "metadata.name")});
  }

  std::vector<std::string> ExtraSelectableFields() const override {
    return {"involvedObject.kind",      "involvedObject.namespace",       "involvedObject.name",
            "involvedObject.uid",       "involvedObject.apiVersion",      "involvedObject.resourceVersion",
            "involvedObject.fieldPath", "reason",
            "reportingComponent",       "source",
            "type"};
  }

 protected:
  void Default(json& e) const override {
    // Fields the v1 Event type always serializes (structs and non-omitempty strings).
    if (!e.is_object()) return;
    jsonx::Object(e, "involvedObject");
    jsonx::Object(e, "source");
    for (const char* t : {"eventTime", "firstTimestamp", "lastTimestamp"}) {
      if (!e.contains(t)) e[t] = nullptr;
    }
    jsonx::Default(e, "reportingComponent", "");
    jsonx::Default(e, "reportingInstance", "");
  }

  void ValidateSpec(const json& e, std::vector<FieldCause>& errs) const override {
    std::string ns = Str(e, "metadata.namespace");
    std::string involved_ns = Str(e, "involvedObject.namespace");
    if (Str(e, "eventTime").empty()) {
      bool ok = involved_ns.empty() ? (ns.empty() || ns == "default") : ns == involved_ns;
      if (!ok) errs.push_back(v::Invalid("involvedObject.namespace", v::GoQuote(involved_ns), "does not match event.namespace"));
    } else {
      if (involved_ns.empty() && ns != "default" && ns != "kube-system") {
        errs.push_back(v::Invalid("involvedObject.namespace", v::GoQuote(involved_ns), "does not match event.namespace"));
      }
      std::string controller = Str(e, "reportingComponent");
      if (controller.empty()) errs.push_back(v::Required("reportingComponent"));
      for (auto& m : v::IsQualifiedName(controller)) {
        errs.push_back(v::Invalid("reportingComponent", v::GoQuote(controller), m));
      }
      auto limited = [&](const char* field, std::size_t limit, bool required) {
        std::string val = Str(e, field);
        if (required && val.empty()) errs.push_back(v::Required(field));
        if (val.size() > limit) {
          errs.push_back(v::Invalid(field, "\"\"", "can have at most " + std::to_string(limit) + " characters"));
        }
      };
      limited("reportingInstance", kReportingInstanceLimit, true);
      limited("action", kActionLimit, true);
      limited("reason", kReasonLimit, true);
      limited("message", kNoteLimit, false);
    }
  }

  void AddFields(const json& e, std::vector<std::pair<std::string, std::string>>& f) const override {
    for (const char* k : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      f.emplace_back(std::string("involvedObject.") + k, Str(e, std::string("involvedObject.") + k));
    }
    f.emplace_back("reason", Str(e, "reason"));
    f.emplace_back("reportingComponent", Str(e, "reportingComponent"));
    f.emplace_back("source", Str(e, "source.component"));
    f.emplace_back("type", Str(e, "type"));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeEventStrategy() { return std::make_shared<EventStrategy>(); }

}  // namespace vkube::resource
