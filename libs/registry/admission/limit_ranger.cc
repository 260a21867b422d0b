#include "libs/registry/admission/limit_ranger.h"

#include "libs/resource/json_access.h"
#include "libs/resource/quantity.h"

namespace vkube::registry {
namespace {

using resource::Quantity;
namespace jsonx = resource::jsonx;

Error Forbidden(const AdmissionRequest& r, const std::string& why) {
  Error e = Error::Make(ErrorCode::kForbidden, r.kind->info.resource + " \"" + r.name + "\" is forbidden: " + why);
  e.details.kind = r.kind->info.resource;
  e.details.name = r.name;
  return e;
}

}  // namespace

Status LimitRanger::Admit(AdmissionRequest& request) {
  if (request.operation != Operation::kCreate || !request.subresource.empty() || request.object == nullptr ||
      !request.kind->info.group.empty() || request.kind->info.resource != "pods") {
    return {};
  }
  auto ranges = store_->List(store::ListOptions{.resource = "limitranges", .ns = request.ns});
  if (!ranges || ranges->items.empty()) return {};
  Json& pod = *request.object;
  Json* spec = jsonx::Object(pod, "spec");
  Json* containers = spec ? jsonx::Array(*spec, "containers") : nullptr;
  if (containers == nullptr) return {};
  std::vector<std::string> notes;  // for the kubernetes.io/limit-ranger annotation
  for (const auto& lro : ranges->items) {
    const Json lr = Json::parse(lro->json, nullptr, false);
    const Json& limits = jsonx::At(lr, "spec.limits");
    if (!limits.is_array()) continue;
    for (const auto& item : limits) {
      if (jsonx::Str(item, "type") != "Container") continue;
      for (auto& c : *containers) {
        if (!c.is_object()) continue;
        Json* res = jsonx::Object(c, "resources");
        if (res == nullptr) continue;
        const std::string cname = jsonx::Str(c, "name");
        std::vector<std::string> set_req, set_lim;
        for (const auto& [field, target, names] :
             {std::tuple{"defaultRequest", "requests", &set_req}, std::tuple{"default", "limits", &set_lim}}) {
          const Json& defaults = jsonx::Child(item, field);
          if (!defaults.is_object()) continue;
          for (const auto& [rname, value] : defaults.items()) {
            Json* have = jsonx::Object(*res, target);
            if (have == nullptr || jsonx::Has(*have, rname)) continue;
            (*have)[rname] = value;
            names->push_back(rname);
          }
        }
        // A limit without a request: the request defaults to the limit (kube's pod defaulting).
        const Json& lim = jsonx::Child(*res, "limits");
        if (lim.is_object()) {
          for (const auto& [rname, value] : lim.items()) {
            Json* req = jsonx::Object(*res, "requests");
            if (req != nullptr && !jsonx::Has(*req, rname)) (*req)[rname] = value;
          }
        }
        auto join = [](const std::vector<std::string>& v) {
          std::string s;
          for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
          return s;
        };
        if (!set_req.empty()) notes.push_back(join(set_req) + " request for container " + cname);
        if (!set_lim.empty()) notes.push_back(join(set_lim) + " limit for container " + cname);
        // min / max, checked on the defaulted values.
        for (const auto& [bound, is_max] : {std::pair{"max", true}, std::pair{"min", false}}) {
          const Json& b = jsonx::Child(item, bound);
          if (!b.is_object()) continue;
          for (const auto& [rname, value] : b.items()) {
            auto q = Quantity::FromJson(value);
            if (!q) continue;
            const char* which = is_max ? "limits" : "requests";
            const Json& v = jsonx::Child(jsonx::Child(*res, which), rname);
            auto have = Quantity::FromJson(v);
            const std::string what = is_max ? "limit" : "request";
            if (!have) {
              if (is_max) return Forbidden(request, "maximum " + rname + " usage per Container is " + q->String() + ".  No limit is specified");
              continue;
            }
            if (is_max ? *have > *q : *have < *q) {
              return Forbidden(request, std::string(is_max ? "maximum " : "minimum ") + rname +
                                            " usage per Container is " + q->String() + ", but " + what + " is " +
                                            have->String());
            }
          }
        }
      }
    }
  }
  if (!notes.empty()) {
    std::string text = "LimitRanger plugin set: ";
    for (std::size_t i = 0; i < notes.size(); ++i) text += (i ? "; " : "") + notes[i];
    Json* md = jsonx::Object(pod, "metadata");
    if (md != nullptr) {
      Json* ann = jsonx::Object(*md, "annotations");
      if (ann != nullptr) (*ann)["kubernetes.io/limit-ranger"] = text;
    }
  }
  return {};
}

}  // namespace vkube::registry
