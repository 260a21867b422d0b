// core/v1 ResourceQuota: ValidateResourceQuota (quota resource names, quantities, scopes),
// status subresource, printResourceQuota (used/hard per resource, requests and limits apart).
#include <algorithm>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/quantity.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

// helper.IsStandardQuotaResourceName plus the object counts kube lists.
bool IsStandardQuotaResource(const std::string& name) {
  static const std::vector<std::string> kNames = {
      "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
      "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", "cpu", "memory", "ephemeral-storage",
      "storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage", "limits.cpu",
      "limits.memory", "limits.ephemeral-storage"};
  if (std::find(kNames.begin(), kNames.end(), name) != kNames.end()) return true;
  return name.rfind("hugepages-", 0) == 0 || name.rfind("requests.hugepages-", 0) == 0;
}

// Quota on object counts must be whole numbers.
bool IsIntegerResource(const std::string& name) {
  static const std::vector<std::string> kNames = {"pods", "services", "replicationcontrollers", "resourcequotas",
                                                   "secrets", "configmaps", "persistentvolumeclaims",
                                                   "services.nodeports", "services.loadbalancers"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end() || name.rfind("count/", 0) == 0;
}

const std::vector<std::string> kScopes = {"BestEffort", "CrossNamespacePodAffinity", "NotBestEffort",
                                          "NotTerminating", "PriorityClass", "Terminating"};

void ValidateHard(const json& hard, const std::string& path, std::vector<FieldCause>& errs) {
  if (!hard.is_object()) return;
  for (auto& [name, q] : hard.items()) {
    const std::string p = path + "[" + name + "]";
    auto name_errs = v::IsQualifiedName(name);
    for (auto& m : name_errs) errs.push_back(v::Invalid(p, v::GoQuote(name), m));
    if (name_errs.empty() && name.find('/') == std::string::npos && !IsStandardQuotaResource(name)) {
      errs.push_back(v::Invalid(p, v::GoQuote(name), "must be a standard resource for quota"));
    }
    auto parsed = Quantity::FromJson(q);
    if (!parsed) {
      errs.push_back(v::Invalid(p, v::GoValue(q), kQuantityRegexMessage));
      continue;
    }
    if (*parsed < *Quantity::Parse("0")) {
      errs.push_back(v::Invalid(p, v::GoQuote(parsed->String()), "must be greater than or equal to 0"));
    } else if (const std::string text = parsed->String();
               IsIntegerResource(name) && !text.empty() && (text.back() == 'm' || text.back() == 'u' || text.back() == 'n')) {
      // Canonical text keeps a sub-unit suffix only for fractional values.
      errs.push_back(v::Invalid(p, v::GoQuote(text), "must be an integer"));
    }
  }
}

class ResourceQuotaStrategy final : public Strategy {
 public:
  ResourceQuotaStrategy() : Strategy({.has_status = true, .kind = "ResourceQuota"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the quota, unique within its namespace."), print::AgeColumn(),
        print::Column("Request", "Usage against the hard limit of each resource that is not a limits.* resource."),
        print::Column("Limit", "Usage against the hard limit of each limits.* resource.")};
    return kCols;
  }

  json Cells(const json& rq, SystemTime now) const override {
    std::string request, limit;
    const json& hard = jsonx::At(rq, "status.hard");
    const json& used = jsonx::At(rq, "status.used");
    if (hard.is_object()) {
      for (auto& [name, h] : hard.items()) {  // keys iterate sorted, as kube sorts resource names
        auto text = [](const json& q) {
          auto parsed = Quantity::FromJson(q);
          return parsed ? parsed->String() : std::string("0");
        };
        std::string entry = name + ": " + text(jsonx::Child(used, name)) + "/" + text(h) + ", ";
        (name.rfind("limits.", 0) == 0 ? limit : request) += entry;
      }
    }
    for (std::string* s : {&request, &limit}) {
      if (s->size() >= 2) s->resize(s->size() - 2);
    }
    return json::array({Str(rq, "metadata.name"), print::Age(rq, now), request, limit});
  }

 protected:
  void PrepareCreate(json& rq) const override { rq["status"] = json::object(); }

  void ValidateSpec(const json& rq, std::vector<FieldCause>& errs) const override {
    ValidateHard(jsonx::At(rq, "spec.hard"), "spec.hard", errs);
    const json& scopes = jsonx::At(rq, "spec.scopes");
    if (scopes.is_array()) {
      for (const auto& s : scopes) {
        if (!s.is_string() || std::find(kScopes.begin(), kScopes.end(), s.get<std::string>()) == kScopes.end()) {
          errs.push_back(v::Invalid("spec.scopes", v::GoValue(s), "unsupported scope"));
        }
      }
    }
    const json& exprs = jsonx::At(rq, "spec.scopeSelector.matchExpressions");
    if (exprs.is_array()) {
      for (std::size_t i = 0; i < exprs.size(); ++i) {
        const std::string p = "spec.scopeSelector.matchExpressions[" + std::to_string(i) + "]";
        const std::string scope = Str(exprs[i], "scopeName");
        if (std::find(kScopes.begin(), kScopes.end(), scope) == kScopes.end()) {
          errs.push_back(v::Invalid(p + ".scopeName", v::GoQuote(scope), "unsupported scope"));
        }
        const json& op = jsonx::Child(exprs[i], "operator");
        static const std::vector<std::string> kOps = {"In", "NotIn", "Exists", "DoesNotExist"};
        if (!op.is_string() || std::find(kOps.begin(), kOps.end(), op.get<std::string>()) == kOps.end()) {
          errs.push_back(v::NotSupported(p + ".operator", v::GoValue(op), kOps));
        }
      }
    }
    ValidateHard(jsonx::At(rq, "status.hard"), "status.hard", errs);
    ValidateHard(jsonx::At(rq, "status.used"), "status.used", errs);
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeResourceQuotaStrategy() { return std::make_shared<ResourceQuotaStrategy>(); }

}  // namespace vkube::resource
