// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration, stored only (vkube does not call webhooks): kube's webhook
// defaults, validateValidatingWebhook / validateMutatingWebhook in kube's words, generation on
// webhook changes, printValidatingWebhookConfiguration (the number of webhooks).
#include <algorithm>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr std::int64_t kDefaultTimeoutSeconds = 10;
constexpr std::int64_t kDefaultServicePort = 443;

std::string Idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool In(const json& val, const std::vector<std::string>& set) {
  if (!val.is_string()) return false;
  for (const auto& s : set) {
    if (val == s) return true;
  }
  return false;
}

void CheckEnum(const json& obj, const char* key, const std::string& path, const std::vector<std::string>& allowed,
               std::vector<FieldCause>& errs) {
  const json& val = jsonx::Child(obj, key);
  if (!val.is_null() && !In(val, allowed)) errs.push_back(v::NotSupported(path, v::GoValue(val), allowed));
}

// webhook.ValidateWebhookURL with https forced.
void ValidateUrl(const std::string& url, const std::string& path, std::vector<FieldCause>& errs) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "'https' is the only allowed URL scheme"));
    return;
  }
  if (url.substr(0, scheme_end) != "https") {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "'https' is the only allowed URL scheme"));
  }
  std::string rest = url.substr(scheme_end + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') == authority.size() - 1) {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "host must be specified"));
  }
  if (authority.find('@') != std::string::npos) {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "user information is not permitted in the URL"));
  }
  if (rest.find('#') != std::string::npos) {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "fragments are not permitted in the URL"));
  }
  if (rest.find('?') != std::string::npos) {
    errs.push_back(v::Invalid(path, v::GoQuote(url), "query parameters are not permitted in the URL"));
  }
}

void ValidateService(const json& svc, const std::string& path, std::vector<FieldCause>& errs) {
  const std::string name = Str(svc, "name"), ns = Str(svc, "namespace");
  if (name.empty()) {
    errs.push_back(v::Required(path + ".name", "service name is required"));
  } else {
    for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(path + ".name", v::GoQuote(name), m));
  }
  if (ns.empty()) {
    errs.push_back(v::Required(path + ".namespace", "service namespace is required"));
  } else {
    for (auto& m : v::IsDns1123Label(ns)) errs.push_back(v::Invalid(path + ".namespace", v::GoQuote(ns), m));
  }
  const json& p = jsonx::Child(svc, "path");
  if (p.is_string()) {
    const std::string s = p.get<std::string>();
    if (s.empty() || s[0] != '/') errs.push_back(v::Invalid(path + ".path", v::GoQuote(s), "must start with a '/'"));
  }
  for (auto& m : v::IsValidPortNum(jsonx::Int(svc, "port", kDefaultServicePort))) {
    errs.push_back(v::Invalid(path + ".port", std::to_string(jsonx::Int(svc, "port")), "port is not valid: " + m));
  }
}

void ValidateRule(const json& rule, const std::string& path, std::vector<FieldCause>& errs) {
  const json& ops = jsonx::Child(rule, "operations");
  if (!ops.is_array() || ops.empty()) {
    errs.push_back(v::Required(path + ".operations"));
  } else {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops.size() > 1 && ops[i] == "*") {
        errs.push_back(v::Invalid(path + ".operations", ops.dump(), "if '*' is present, must not specify other operations"));
      }
      if (!In(ops[i], {"*", "CONNECT", "CREATE", "DELETE", "UPDATE"})) {
        errs.push_back(
            v::NotSupported(Idx(path + ".operations", i), v::GoValue(ops[i]), {"*", "CONNECT", "CREATE", "DELETE", "UPDATE"}));
      }
    }
  }
  if (jsonx::Size(rule, "apiGroups") == 0) errs.push_back(v::Required(path + ".apiGroups"));
  if (jsonx::Size(rule, "apiVersions") == 0) errs.push_back(v::Required(path + ".apiVersions"));
  if (jsonx::Size(rule, "resources") == 0) errs.push_back(v::Required(path + ".resources"));
  CheckEnum(rule, "scope", path + ".scope", {"*", "Cluster", "Namespaced"}, errs);
}

class WebhookConfigurationStrategy final : public Strategy {
 public:
  explicit WebhookConfigurationStrategy(bool mutating)
      : Strategy({.tracks_generation = true,
                  .kind = mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
                  .namespaced = false}),
        mutating_(mutating) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the webhook configuration."),
        print::Column("Webhooks", "Number of webhooks the configuration declares.", 0, "integer"), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& wc, SystemTime now) const override {
    return json::array(
        {Str(wc, "metadata.name"), static_cast<std::int64_t>(jsonx::Size(wc, "webhooks")), print::Age(wc, now)});
  }

 protected:
  bool GenerationChanged(const json& wc, const json& old) const override {
    return jsonx::Child(wc, "webhooks") != jsonx::Child(old, "webhooks");
  }

  void Default(json& wc) const override {
    json* hooks = wc.is_object() ? jsonx::Array(wc, "webhooks") : nullptr;
    if (hooks == nullptr) return;
    for (auto& hook : *hooks) {
      if (!hook.is_object()) continue;
      jsonx::Default(hook, "failurePolicy", "Fail");
      jsonx::Default(hook, "matchPolicy", "Equivalent");
      jsonx::Default(hook, "namespaceSelector", json::object());
      jsonx::Default(hook, "objectSelector", json::object());
      jsonx::Default(hook, "timeoutSeconds", kDefaultTimeoutSeconds);
      if (mutating_) jsonx::Default(hook, "reinvocationPolicy", "Never");
      if (json* rules = jsonx::Array(hook, "rules")) {
        for (auto& r : *rules) {
          if (r.is_object()) jsonx::Default(r, "scope", "*");
        }
      }
      if (jsonx::Has(jsonx::Child(hook, "clientConfig"), "service")) {
        if (json* svc = jsonx::Object(hook["clientConfig"], "service")) jsonx::Default(*svc, "port", kDefaultServicePort);
      }
    }
  }

  void ValidateSpec(const json& wc, std::vector<FieldCause>& errs) const override {
    const json& hooks = jsonx::Child(wc, "webhooks");
    if (!hooks.is_array()) return;
    std::set<std::string> names;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
      const std::string p = Idx("webhooks", i);
      const json& hook = hooks[i];
      const std::string name = Str(hook, "name");
      if (!names.insert(name).second) errs.push_back(v::Duplicate(p + ".name", v::GoQuote(name)));
      // IsFullyQualifiedName.
      if (name.empty()) {
        errs.push_back(v::Required(p + ".name"));
      } else if (auto dns = v::IsDns1123Subdomain(name); !dns.empty()) {
        std::string joined;
        for (std::size_t k = 0; k < dns.size(); ++k) joined += (k ? "," : "") + dns[k];
        errs.push_back(v::Invalid(p + ".name", v::GoQuote(name), joined));
      } else if (std::count(name.begin(), name.end(), '.') < 2) {
        errs.push_back(v::Invalid(p + ".name", v::GoQuote(name), "should be a domain with at least three segments separated by dots"));
      }
      const json& rules = jsonx::Child(hook, "rules");
      if (rules.is_array()) {
        for (std::size_t r = 0; r < rules.size(); ++r) ValidateRule(rules[r], Idx(p + ".rules", r), errs);
      }
      CheckEnum(hook, "failurePolicy", p + ".failurePolicy", {"Fail", "Ignore"}, errs);
      CheckEnum(hook, "matchPolicy", p + ".matchPolicy", {"Equivalent", "Exact"}, errs);
      if (jsonx::Child(hook, "sideEffects").is_null()) {
        errs.push_back(v::Required(p + ".sideEffects", "must specify one of None, NoneOnDryRun"));
      } else {
        CheckEnum(hook, "sideEffects", p + ".sideEffects", {"None", "NoneOnDryRun"}, errs);
      }
      const json& timeout = jsonx::Child(hook, "timeoutSeconds");
      if (timeout.is_number_integer() && (timeout.get<std::int64_t>() > 30 || timeout.get<std::int64_t>() < 1)) {
        errs.push_back(v::Invalid(p + ".timeoutSeconds", timeout.dump(), "the timeout value must be between 1 and 30 seconds"));
      }
      v::ValidateLabelSelector(jsonx::Child(hook, "namespaceSelector"), p + ".namespaceSelector", errs);
      v::ValidateLabelSelector(jsonx::Child(hook, "objectSelector"), p + ".objectSelector", errs);
      if (mutating_) CheckEnum(hook, "reinvocationPolicy", p + ".reinvocationPolicy", {"IfNeeded", "Never"}, errs);
      const json& cc = jsonx::Child(hook, "clientConfig");
      const bool url = jsonx::Has(cc, "url"), service = jsonx::Has(cc, "service");
      if (url == service) {
        errs.push_back(v::Required(p + ".clientConfig", "exactly one of url or service is required"));
      } else if (url) {
        ValidateUrl(Str(cc, "url"), p + ".clientConfig.url", errs);
      } else {
        ValidateService(jsonx::Child(cc, "service"), p + ".clientConfig.service", errs);
      }
      // validateAdmissionReviewVersions.
      const json& versions = jsonx::Child(hook, "admissionReviewVersions");
      const std::string vp = p + ".admissionReviewVersions";
      if (!versions.is_array() || versions.empty()) {
        errs.push_back(v::Required(vp, "must specify one of v1, v1beta1"));
      } else {
        std::set<std::string> seen;
        bool accepted = false;
        for (std::size_t k = 0; k < versions.size(); ++k) {
          std::string ver = versions[k].is_string() ? versions[k].get<std::string>() : "";
          if (!seen.insert(ver).second) {
            errs.push_back(v::Invalid(Idx(vp, k), v::GoQuote(ver), "duplicate version"));
            continue;
          }
          for (auto& m : v::IsDns1035Label(ver)) errs.push_back(v::Invalid(Idx(vp, k), v::GoQuote(ver), m));
          accepted = accepted || ver == "v1" || ver == "v1beta1";
        }
        if (!accepted) errs.push_back(v::Invalid(vp, versions.dump(), "must include at least one of v1, v1beta1"));
      }
    }
  }

 private:
  bool mutating_;
};

}  // namespace

std::shared_ptr<const Strategy> MakeValidatingWebhookConfigurationStrategy() {
  return std::make_shared<WebhookConfigurationStrategy>(false);
}
std::shared_ptr<const Strategy> MakeMutatingWebhookConfigurationStrategy() {
  return std::make_shared<WebhookConfigurationStrategy>(true);
}

}  // namespace vkube::resource
