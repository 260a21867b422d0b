#include "libs/registry/scale.h"

#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"
#include "libs/resource/status.h"

namespace vkube::registry {

namespace jsonx = resource::jsonx;
using nlohmann::json;

namespace {

// ".spec.replicas" → "spec.replicas" (kube allows only simple field paths here).
std::string Dotted(const std::string& path) { return path.starts_with('.') ? path.substr(1) : path; }

}  // namespace

bool HasScale(const resource::Kind& kind) { return kind.info.scale.has_value(); }

json ToScale(const resource::Kind& kind, const json& obj) {
  const resource::ScalePaths paths = kind.info.scale.value_or(resource::ScalePaths{});
  json meta = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (jsonx::Has(jsonx::At(obj, "metadata"), k)) meta[k] = obj["metadata"][k];
  }
  std::string selector;
  static const json kNone;
  const json& sel = paths.label_selector.empty() ? kNone : jsonx::At(obj, Dotted(paths.label_selector));
  if (sel.is_string()) {
    selector = sel.get<std::string>();  // custom resources keep the selector as a string
  } else if (sel.is_null()) {
    // no selector
  } else if (jsonx::Str(obj, "kind") == "ReplicationController") {
    if (sel.is_object()) {
      auto s = resource::LabelSelector::FromJson(json{{"matchLabels", sel}});
      if (s) selector = s->String();
    }
  } else if (auto s = resource::LabelSelector::FromJson(sel); s) {
    selector = s->String();
  }
  json status = {{"replicas", jsonx::Int(obj, Dotted(paths.status_replicas), 0)}};
  if (!selector.empty()) status["selector"] = selector;
  return json{{"kind", "Scale"},
              {"apiVersion", "autoscaling/v1"},
              {"metadata", meta},
              {"spec", {{"replicas", jsonx::Int(obj, Dotted(paths.spec_replicas), 0)}}},
              {"status", status}};
}

Result<json> ApplyScale(const resource::Kind& kind, const json& obj, const json& scale) {
  if (!scale.is_object()) return resource::BadRequest("the body of the request must be a Scale object");
  const json& replicas = jsonx::At(scale, "spec.replicas");
  if (!replicas.is_null() && !replicas.is_number_integer()) {
    return resource::BadRequest("spec.replicas must be an integer");
  }
  const std::int64_t n = replicas.is_null() ? 0 : replicas.get<std::int64_t>();
  if (n < 0) {
    return resource::Invalid("autoscaling", "Scale", jsonx::Str(obj, "metadata.name"),
                             {{"FieldValueInvalid", "Invalid value: " + std::to_string(n) +
                                                        ": must be greater than or equal to 0",
                               "spec.replicas"}});
  }
  json next = obj;
  const std::string path = Dotted(kind.info.scale.value_or(resource::ScalePaths{}).spec_replicas);
  json* at = &next;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    if (!at->is_object()) *at = json::object();
    at = &(*at)[path.substr(start, dot - start)];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *at = n;
  return next;
}

}  // namespace vkube::registry
