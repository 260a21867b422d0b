#include "libs/registry/scale.h"

#include "libs/resource/json_access.h"
#include "libs/resource/selector.h"
#include "libs/resource/status.h"

namespace vkube::registry {

namespace jsonx = resource::jsonx;
using nlohmann::json;

bool HasScale(const resource::Kind& kind) {
  const auto& i = kind.info;
  if (i.group == "apps") return i.resource == "deployments" || i.resource == "replicasets" || i.resource == "statefulsets";
  return i.group.empty() && i.resource == "replicationcontrollers";
}

json ToScale(const json& obj) {
  json meta = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (jsonx::Has(jsonx::At(obj, "metadata"), k)) meta[k] = obj["metadata"][k];
  }
  std::string selector;
  const json& sel = jsonx::At(obj, "spec.selector");
  if (jsonx::Str(obj, "kind") == "ReplicationController") {
    if (sel.is_object()) {
      auto s = resource::LabelSelector::FromJson(json{{"matchLabels", sel}});
      if (s) selector = s->String();
    }
  } else if (auto s = resource::LabelSelector::FromJson(sel); s) {
    selector = s->String();
  }
  json status = {{"replicas", jsonx::Int(obj, "status.replicas", 0)}};
  if (!selector.empty()) status["selector"] = selector;
  return json{{"kind", "Scale"},
              {"apiVersion", "autoscaling/v1"},
              {"metadata", meta},
              {"spec", {{"replicas", jsonx::Int(obj, "spec.replicas", 0)}}},
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
  next["spec"]["replicas"] = n;
  return next;
}

}  // namespace vkube::registry
