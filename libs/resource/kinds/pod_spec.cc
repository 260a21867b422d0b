#include "libs/resource/kinds/pod_spec.h"

#include <map>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/quantity.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
namespace v = validation;

constexpr const char* kContainerLists[] = {"initContainers", "containers", "ephemeralContainers"};

// The tag of an image reference, as docker's reference parser sees it ("" when only a digest).
bool PullsLatest(const std::string& image) {
  std::string ref = image;
  bool has_digest = false;
  if (auto at = ref.find('@'); at != std::string::npos) {
    ref.resize(at);
    has_digest = true;
  }
  auto slash = ref.rfind('/');
  std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  auto colon = last.rfind(':');
  std::string tag = colon == std::string::npos ? "" : last.substr(colon + 1);
  if (tag.empty()) return !has_digest;  // no tag and no digest means ":latest"
  return tag == "latest";
}

void DefaultHttpGet(json& handler) {
  if (json* get = handler.is_object() && jsonx::Has(handler, "httpGet") ? jsonx::Object(handler, "httpGet") : nullptr) {
    jsonx::Default(*get, "path", "/");
    jsonx::Default(*get, "scheme", "HTTP");
  }
}

void DefaultProbe(json& container, const char* key) {
  if (!jsonx::Has(container, key)) return;
  json* probe = jsonx::Object(container, key);
  if (!probe) return;
  // Zero counts as unset for these int32 fields (they are not pointers in the Go type).
  for (auto [field, value] : {std::pair{"timeoutSeconds", 1}, {"periodSeconds", 10}, {"successThreshold", 1},
                              {"failureThreshold", 3}}) {
    if (jsonx::Int(*probe, field) == 0) (*probe)[field] = value;
  }
  DefaultHttpGet(*probe);
}

void DefaultFieldRefs(json& items) {
  if (!items.is_array()) return;
  for (auto& item : items) {
    json& from = item.is_object() && jsonx::Has(item, "valueFrom") ? item["valueFrom"] : item;
    if (!from.is_object()) continue;
    if (jsonx::Has(from, "fieldRef")) {
      if (json* ref = jsonx::Object(from, "fieldRef")) jsonx::Default(*ref, "apiVersion", "v1");
    }
    if (jsonx::Has(from, "resourceFieldRef")) {
      if (json* ref = jsonx::Object(from, "resourceFieldRef")) jsonx::Default(*ref, "divisor", "0");
    }
  }
}

void DefaultContainer(json& c, bool host_network) {
  if (!c.is_object()) return;
  if (!jsonx::Has(c, "imagePullPolicy")) c["imagePullPolicy"] = PullsLatest(jsonx::Str(c, "image")) ? "Always" : "IfNotPresent";
  jsonx::Default(c, "terminationMessagePath", "/dev/termination-log");
  jsonx::Default(c, "terminationMessagePolicy", "File");
  jsonx::Default(c, "resources", json::object());
  if (json* ports = jsonx::Array(c, "ports")) {
    for (auto& p : *ports) {
      jsonx::Default(p, "protocol", "TCP");
      if (host_network && p.is_object() && jsonx::Int(p, "hostPort") == 0 && jsonx::Has(p, "containerPort")) {
        p["hostPort"] = p["containerPort"];
      }
    }
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) DefaultProbe(c, probe);
  if (jsonx::Has(c, "lifecycle")) {
    if (json* lc = jsonx::Object(c, "lifecycle")) {
      for (const char* hook : {"postStart", "preStop"}) {
        if (jsonx::Has(*lc, hook)) DefaultHttpGet((*lc)[hook]);
      }
    }
  }
  if (json* env = jsonx::Array(c, "env")) DefaultFieldRefs(*env);
}

void DefaultVolume(json& vol) {
  if (!vol.is_object()) return;
  static constexpr const char* kModeSources[] = {"secret", "configMap", "downwardAPI", "projected"};
  bool has_source = false;
  for (auto& [k, val] : vol.items()) {
    if (k != "name" && !val.is_null()) has_source = true;
  }
  if (!has_source) vol["emptyDir"] = json::object();  // a volume with no source is an emptyDir
  for (const char* src : kModeSources) {
    if (jsonx::Has(vol, src)) {
      if (json* s = jsonx::Object(vol, src)) jsonx::Default(*s, "defaultMode", 420);
    }
  }
  if (jsonx::Has(vol, "hostPath")) {
    if (json* hp = jsonx::Object(vol, "hostPath")) jsonx::Default(*hp, "type", "");
  }
  if (jsonx::Has(vol, "downwardAPI")) {
    if (json* items = jsonx::Array(vol["downwardAPI"], "items")) DefaultFieldRefs(*items);
  }
  if (json* proj = jsonx::Has(vol, "projected") ? jsonx::Object(vol, "projected") : nullptr) {
    if (json* sources = jsonx::Array(*proj, "sources")) {
      for (auto& s : *sources) {
        if (!s.is_object()) continue;
        if (jsonx::Has(s, "serviceAccountToken")) {
          if (json* t = jsonx::Object(s, "serviceAccountToken")) jsonx::Default(*t, "expirationSeconds", 3600);
        }
        if (jsonx::Has(s, "downwardAPI")) {
          if (json* items = jsonx::Array(s["downwardAPI"], "items")) DefaultFieldRefs(*items);
        }
      }
    }
  }
}

// SetDefaults_Pod: a request defaults to its limit.
void DefaultRequestsFromLimits(json& c) {
  json* res = c.is_object() && jsonx::Has(c, "resources") ? jsonx::Object(c, "resources") : nullptr;
  if (!res || !jsonx::At(*res, "limits").is_object()) return;
  json* req = jsonx::Object(*res, "requests");
  if (!req) return;
  for (auto& [name, q] : (*res)["limits"].items()) jsonx::Default(*req, name, q);
}

std::string Idx(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::vector<std::string> Sorted(std::initializer_list<const char*> values) {
  std::vector<std::string> out(values.begin(), values.end());
  return out;
}

void CheckEnum(const json& obj, const char* key, const std::string& path, const std::vector<std::string>& allowed,
               std::vector<FieldCause>& errs) {
  const json& val = jsonx::Child(obj, key);
  if (val.is_null()) return;
  std::string s = val.is_string() ? val.get<std::string>() : "";
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    errs.push_back(v::NotSupported(path, v::GoValue(val), allowed));
  }
}

void ValidateResources(const json& res, const std::string& path, std::vector<FieldCause>& errs) {
  if (!res.is_object()) return;
  std::map<std::string, Quantity> limits;
  for (const char* kind : {"limits", "requests"}) {
    const json& list = jsonx::Child(res, kind);
    if (!list.is_object()) continue;
    for (auto& [name, q] : list.items()) {
      std::string p = path + "." + kind + "[" + name + "]";
      auto parsed = Quantity::FromJson(q);
      if (!parsed) {
        errs.push_back(v::Invalid(p, v::GoValue(q), kQuantityRegexMessage));
        continue;
      }
      if (*parsed < Quantity::Parse("0").value()) {
        errs.push_back(v::Invalid(p, v::GoValue(q), "must be greater than or equal to 0"));
        continue;
      }
      if (std::string(kind) == "limits") {
        limits.emplace(name, *parsed);
      } else if (auto lim = limits.find(name); lim != limits.end() && *parsed > lim->second) {
        const json& lq = res["limits"][name];
        errs.push_back(v::Invalid(path + ".requests", v::GoValue(q.is_string() ? q : json(q.dump())),
                                  "must be less than or equal to " + name + " limit of " +
                                      (lq.is_string() ? lq.get<std::string>() : lq.dump())));
      }
    }
  }
}

void ValidateContainer(const json& c, const std::string& p, const std::set<std::string>& volumes,
                       std::set<std::string>& names, std::vector<FieldCause>& errs) {
  if (!c.is_object()) {
    errs.push_back(v::Invalid(p, v::GoValue(c), "must be an object"));
    return;
  }
  std::string name = jsonx::Str(c, "name");
  if (name.empty()) {
    errs.push_back(v::Required(p + ".name"));
  } else {
    for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(p + ".name", v::GoQuote(name), m));
    if (!names.insert(name).second) errs.push_back(v::Duplicate(p + ".name", v::GoQuote(name)));
  }
  std::string image = jsonx::Str(c, "image");
  if (image.empty()) {
    errs.push_back(v::Required(p + ".image"));
  } else if (image.find_first_of(" \t\n\r") == 0 || image.find_last_of(" \t\n\r") == image.size() - 1) {
    errs.push_back(v::Invalid(p + ".image", v::GoQuote(image), "must not have leading or trailing whitespace"));
  }
  CheckEnum(c, "imagePullPolicy", p + ".imagePullPolicy", Sorted({"Always", "IfNotPresent", "Never"}), errs);
  CheckEnum(c, "terminationMessagePolicy", p + ".terminationMessagePolicy", Sorted({"File", "FallbackToLogsOnError"}),
            errs);

  const json& ports = jsonx::Child(c, "ports");
  if (ports.is_array()) {
    std::set<std::string> port_names;
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const json& port = ports[i];
      std::string pp = Idx(p + ".ports", i);
      std::string pname = jsonx::Str(port, "name");
      if (!pname.empty()) {
        for (auto& m : v::IsValidPortName(pname)) errs.push_back(v::Invalid(pp + ".name", v::GoQuote(pname), m));
        if (!port_names.insert(pname).second) errs.push_back(v::Duplicate(pp + ".name", v::GoQuote(pname)));
      }
      std::int64_t cp = jsonx::Int(port, "containerPort");
      if (cp == 0) {
        errs.push_back(v::Required(pp + ".containerPort"));
      } else {
        for (auto& m : v::IsValidPortNum(cp)) errs.push_back(v::Invalid(pp + ".containerPort", std::to_string(cp), m));
      }
      if (std::int64_t hp = jsonx::Int(port, "hostPort"); hp != 0) {
        for (auto& m : v::IsValidPortNum(hp)) errs.push_back(v::Invalid(pp + ".hostPort", std::to_string(hp), m));
      }
      if (!jsonx::Has(port, "protocol")) {
        errs.push_back(v::Required(pp + ".protocol"));
      } else {
        CheckEnum(port, "protocol", pp + ".protocol", Sorted({"SCTP", "TCP", "UDP"}), errs);
      }
    }
  }
  const json& env = jsonx::Child(c, "env");
  if (env.is_array()) {
    for (std::size_t i = 0; i < env.size(); ++i) {
      std::string ep = Idx(p + ".env", i);
      std::string ename = jsonx::Str(env[i], "name");
      if (ename.empty()) {
        errs.push_back(v::Required(ep + ".name"));
      } else {
        for (auto& m : v::IsEnvVarName(ename)) errs.push_back(v::Invalid(ep + ".name", v::GoQuote(ename), m));
      }
    }
  }
  const json& mounts = jsonx::Child(c, "volumeMounts");
  if (mounts.is_array()) {
    std::set<std::string> paths;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
      std::string mp = Idx(p + ".volumeMounts", i);
      std::string vname = jsonx::Str(mounts[i], "name");
      if (vname.empty()) {
        errs.push_back(v::Required(mp + ".name"));
      } else if (!volumes.count(vname)) {
        errs.push_back(v::NotFoundValue(mp + ".name", v::GoQuote(vname)));
      }
      std::string path = jsonx::Str(mounts[i], "mountPath");
      if (path.empty()) {
        errs.push_back(v::Required(mp + ".mountPath"));
      } else if (!paths.insert(path).second) {
        errs.push_back(v::Invalid(mp + ".mountPath", v::GoQuote(path), "must be unique"));
      }
    }
  }
  ValidateResources(jsonx::Child(c, "resources"), p + ".resources", errs);
}

void ValidateTolerations(const json& tolerations, const std::string& path, std::vector<FieldCause>& errs) {
  if (!tolerations.is_array()) return;
  for (std::size_t i = 0; i < tolerations.size(); ++i) {
    const json& t = tolerations[i];
    std::string tp = Idx(path, i);
    std::string key = jsonx::Str(t, "key");
    if (!key.empty()) {
      for (auto& m : v::IsQualifiedName(key)) errs.push_back(v::Invalid(tp + ".key", v::GoQuote(key), m));
    }
    std::string op = jsonx::Str(t, "operator");
    if (key.empty() && op != "Exists") {
      errs.push_back(v::Invalid(tp + ".operator", v::GoQuote(op),
                                "operator must be Exists when `key` is empty, which means \"match all values and all "
                                "keys\""));
    }
    if (jsonx::Has(t, "tolerationSeconds") && jsonx::Str(t, "effect") != "NoExecute") {
      errs.push_back(v::Invalid(tp + ".effect", v::GoQuote(jsonx::Str(t, "effect")),
                                "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op == "Exists") {
      if (!jsonx::Str(t, "value").empty()) {
        errs.push_back(v::Invalid(tp + ".operator", v::GoQuote(jsonx::Str(t, "value")),
                                  "value must be empty when `operator` is 'Exists'"));
      }
    } else if (op != "" && op != "Equal") {
      errs.push_back(v::NotSupported(tp + ".operator", v::GoQuote(op), {"Equal", "Exists"}));
    } else if (!jsonx::Str(t, "value").empty()) {
      for (auto& m : v::IsValidLabelValue(jsonx::Str(t, "value"))) {
        errs.push_back(v::Invalid(tp + ".value", v::GoQuote(jsonx::Str(t, "value")), m));
      }
    }
    std::string effect = jsonx::Str(t, "effect");
    if (!effect.empty() && effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute") {
      errs.push_back(v::NotSupported(tp + ".effect", v::GoQuote(effect), {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
    }
  }
}

}  // namespace

void DefaultPodSpec(json& spec, bool is_pod) {
  if (!spec.is_object()) return;
  jsonx::Default(spec, "dnsPolicy", "ClusterFirst");
  jsonx::Default(spec, "restartPolicy", "Always");
  jsonx::Default(spec, "securityContext", json::object());
  jsonx::Default(spec, "terminationGracePeriodSeconds", 30);
  jsonx::Default(spec, "schedulerName", "default-scheduler");
  const bool host_network = is_pod && jsonx::Bool(spec, "hostNetwork");
  for (const char* list : kContainerLists) {
    if (json* cs = jsonx::Array(spec, list)) {
      for (auto& c : *cs) {
        DefaultContainer(c, host_network);
        if (is_pod && std::string(list) != "ephemeralContainers") DefaultRequestsFromLimits(c);
      }
    }
  }
  if (json* vols = jsonx::Array(spec, "volumes")) {
    for (auto& vol : *vols) DefaultVolume(vol);
  }
  if (is_pod) jsonx::Default(spec, "enableServiceLinks", true);
}

void ValidatePodSpec(const json& spec, const std::string& path, std::vector<FieldCause>& errs) {
  if (!spec.is_object()) {
    errs.push_back(v::Required(path + ".containers"));
    return;
  }
  // Volumes first, as kube does: container mounts refer to them.
  std::set<std::string> volumes;
  const json& vols = jsonx::Child(spec, "volumes");
  if (vols.is_array()) {
    for (std::size_t i = 0; i < vols.size(); ++i) {
      std::string vp = Idx(path + ".volumes", i);
      std::string name = jsonx::Str(vols[i], "name");
      if (name.empty()) {
        errs.push_back(v::Required(vp + ".name"));
      } else {
        for (auto& m : v::IsDns1123Label(name)) errs.push_back(v::Invalid(vp + ".name", v::GoQuote(name), m));
        if (!volumes.insert(name).second) errs.push_back(v::Duplicate(vp + ".name", v::GoQuote(name)));
      }
      if (vols[i].is_object()) {
        std::size_t sources = 0;
        for (auto& [k, val] : vols[i].items()) {
          if (k == "name" || val.is_null()) continue;
          if (++sources > 1) errs.push_back(v::Forbidden(vp + "." + k, "may not specify more than 1 volume type"));
        }
      }
    }
  }
  std::set<std::string> names;  // container names are unique across all container lists
  const json& cs = jsonx::Child(spec, "containers");
  if (!cs.is_array() || cs.empty()) {
    errs.push_back(v::Required(path + ".containers"));
  } else {
    for (std::size_t i = 0; i < cs.size(); ++i) ValidateContainer(cs[i], Idx(path + ".containers", i), volumes, names, errs);
  }
  const json& init = jsonx::Child(spec, "initContainers");
  if (init.is_array()) {
    for (std::size_t i = 0; i < init.size(); ++i) {
      ValidateContainer(init[i], Idx(path + ".initContainers", i), volumes, names, errs);
      CheckEnum(init[i], "restartPolicy", Idx(path + ".initContainers", i) + ".restartPolicy", {"Always"}, errs);
    }
  }
  const json& rp = jsonx::Child(spec, "restartPolicy");
  if (rp.is_null() || (rp.is_string() && rp.get<std::string>().empty())) {
    errs.push_back(v::Required(path + ".restartPolicy"));
  } else {
    CheckEnum(spec, "restartPolicy", path + ".restartPolicy", {"Always", "OnFailure", "Never"}, errs);
  }
  CheckEnum(spec, "dnsPolicy", path + ".dnsPolicy", {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
            errs);
  if (jsonx::Has(spec, "activeDeadlineSeconds")) {
    std::int64_t ads = jsonx::Int(spec, "activeDeadlineSeconds");
    if (ads < 1 || ads > 2147483647) {
      errs.push_back(v::Invalid(path + ".activeDeadlineSeconds", std::to_string(ads),
                                "must be between 1 and 2147483647, inclusive"));
    }
  }
  v::ValidateLabels(jsonx::Child(spec, "nodeSelector"), path + ".nodeSelector", errs);
  for (auto [key, label] : {std::pair{"serviceAccountName", false}, {"nodeName", false}, {"priorityClassName", false},
                            {"hostname", true}, {"subdomain", true}}) {
    std::string val = jsonx::Str(spec, key);
    if (val.empty()) continue;
    for (auto& m : label ? v::IsDns1123Label(val) : v::IsDns1123Subdomain(val)) {
      errs.push_back(v::Invalid(path + "." + key, v::GoQuote(val), m));
    }
  }
  ValidateTolerations(jsonx::Child(spec, "tolerations"), path + ".tolerations", errs);
}

void DefaultPodTemplateSpec(json& tpl) {
  if (!tpl.is_object()) return;
  if (json* meta = jsonx::Object(tpl, "metadata")) {
    if (!meta->contains("creationTimestamp")) (*meta)["creationTimestamp"] = nullptr;
  }
  if (json* spec = jsonx::Object(tpl, "spec")) DefaultPodSpec(*spec, /*is_pod=*/false);
}

void ValidatePodTemplateSpec(const json& tpl, const std::string& path, std::vector<FieldCause>& errs) {
  const json& meta = jsonx::Child(tpl, "metadata");
  v::ValidateLabels(jsonx::Child(meta, "labels"), path + ".labels", errs);
  v::ValidateAnnotations(jsonx::Child(meta, "annotations"), path + ".annotations", errs);
  const json& spec = jsonx::Child(tpl, "spec");
  ValidatePodSpec(spec, path + ".spec", errs);
  if (jsonx::Size(spec, "ephemeralContainers") > 0) {
    errs.push_back(v::Forbidden(path + ".spec.ephemeralContainers", "ephemeral containers not allowed in pod template"));
  }
}

std::string PodQosClass(const json& spec) {
  std::map<std::string, Quantity> requests, limits;
  bool guaranteed = true;
  const Quantity zero = *Quantity::Parse("0");
  for (const char* list : {"containers", "initContainers"}) {
    const json& cs = jsonx::Child(spec, list);
    if (!cs.is_array()) continue;
    for (const auto& c : cs) {
      std::set<std::string> limits_found;
      for (const char* kind : {"requests", "limits"}) {
        const json& rl = jsonx::At(c, std::string("resources.") + kind);
        if (!rl.is_object()) continue;
        for (auto& [name, q] : rl.items()) {
          if (name != "cpu" && name != "memory") continue;  // only these decide the QoS class
          auto parsed = Quantity::FromJson(q);
          if (!parsed || !(*parsed > zero)) continue;
          auto& sum = std::string(kind) == "requests" ? requests : limits;
          if (std::string(kind) == "limits") limits_found.insert(name);
          auto [it, inserted] = sum.emplace(name, *parsed);
          if (!inserted) it->second += *parsed;
        }
      }
      if (!limits_found.count("cpu") || !limits_found.count("memory")) guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, req] : requests) {
      auto lim = limits.find(name);
      if (lim == limits.end() || !(lim->second == req)) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
}

}  // namespace vkube::resource
