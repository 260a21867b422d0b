#include "libs/translate/endpoints_translator.h"

#include "libs/translate/name_translator.h"

namespace vkube::translate {

using json = nlohmann::json;

namespace {

json TranslateAddresses(const json& addresses, const std::string& ns, const PodTranslateOptions& o) {
  json out = json::array();
  if (!addresses.is_array()) return out;
  for (const auto& a : addresses) {
    if (!a.is_object() || !a.contains("ip") || !a["ip"].is_string()) continue;
    json h = {{"ip", a["ip"]}};
    for (const char* f : {"hostname", "nodeName"}) {
      if (a.contains(f) && a[f].is_string()) h[f] = a[f];
    }
    const json& ref = a.contains("targetRef") ? a["targetRef"] : json();
    if (ref.is_object() && ref.value("kind", "") == "Pod" && ref.contains("name") && ref["name"].is_string()) {
      const std::string pod_ns = ref.value("namespace", ns);
      h["targetRef"] = {{"kind", "Pod"},
                        {"namespace", o.host_namespace},
                        {"name", HostName(ref["name"].get<std::string>(), pod_ns, o.tenant)}};
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

bool HasManualEndpoints(const json& vsvc) {
  if (!vsvc.is_object() || !vsvc.contains("spec") || !vsvc["spec"].is_object()) return false;
  const json& spec = vsvc["spec"];
  if (spec.value("type", "") == "ExternalName") return false;
  const json& sel = spec.contains("selector") ? spec["selector"] : json();
  return !sel.is_object() || sel.empty();
}

json TranslateEndpoints(const json& vep, const PodTranslateOptions& o) {
  const std::string ns = vep.contains("metadata") ? vep["metadata"].value("namespace", "") : "";
  json subsets = json::array();
  if (vep.contains("subsets") && vep["subsets"].is_array()) {
    for (const auto& s : vep["subsets"]) {
      if (!s.is_object()) continue;
      json hs = json::object();
      for (const char* list : {"addresses", "notReadyAddresses"}) {
        json a = TranslateAddresses(s.contains(list) ? s[list] : json(), ns, o);
        if (!a.empty()) hs[list] = std::move(a);
      }
      if (s.contains("ports") && s["ports"].is_array()) hs["ports"] = s["ports"];
      if (!hs.empty()) subsets.push_back(std::move(hs));
    }
  }
  json out = {{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", HostMetadata(vep, "Endpoints", o)}};
  if (!subsets.empty()) out["subsets"] = std::move(subsets);
  return out;
}

std::optional<json> UpdatedHostEndpoints(const json& current, const json& desired) {
  if (!current.is_object()) return std::nullopt;
  json next = current;
  bool changed = false;
  const json want_subsets = desired.contains("subsets") ? desired["subsets"] : json::array();
  const json have_subsets =
      current.contains("subsets") && !current["subsets"].is_null() ? current["subsets"] : json::array();
  if (want_subsets != have_subsets) {
    next["subsets"] = want_subsets;
    changed = true;
  }
  for (const char* field : {"labels", "annotations"}) {
    const json want = desired["metadata"].value(field, json::object());
    const json have = current.contains("metadata") ? current["metadata"].value(field, json::object()) : json::object();
    if (want != have) {
      next["metadata"][field] = want;
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return next;
}

}  // namespace vkube::translate
