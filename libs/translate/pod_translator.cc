#include "libs/translate/pod_translator.h"

#include <functional>

#include "libs/translate/name_translator.h"

namespace vkube::translate {

using json = nlohmann::json;

namespace {

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// j[key] when it is an object, else an empty object: inputs come from API servers and tenants.
const json& Sub(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

StringMap ToMap(const json& j) {
  StringMap m;
  if (!j.is_object()) return m;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) m.emplace(k, v.get<std::string>());
  }
  return m;
}

json ToJson(const StringMap& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

// Calls fn(container) for every container list of a pod spec.
template <typename Fn>
void ForEachContainer(json& spec, Fn fn) {
  if (!spec.is_object()) return;
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    auto it = spec.find(list);
    if (it == spec.end() || !it->is_array()) continue;
    for (auto& c : *it) {
      if (c.is_object()) fn(c);
    }
  }
}

// Rewrites (or just collects, when `rename` is null) the names of referenced objects.
struct RefVisitor {
  PodReferences* refs = nullptr;
  std::function<std::string(const std::string&)> rename;

  void Visit(json& obj, const char* field, std::set<std::string>* into) const {
    if (!obj.is_object()) return;
    auto it = obj.find(field);
    if (it == obj.end() || !it->is_string() || it->get<std::string>().empty()) return;
    if (refs != nullptr && into != nullptr) into->insert(it->get<std::string>());
    if (rename) *it = rename(it->get<std::string>());
  }

  void Spec(json& spec) const {
    if (!spec.is_object()) return;
    std::set<std::string>* cms = refs ? &refs->configmaps : nullptr;
    std::set<std::string>* secrets = refs ? &refs->secrets : nullptr;
    std::set<std::string>* pvcs = refs ? &refs->pvcs : nullptr;
    if (auto v = spec.find("volumes"); v != spec.end() && v->is_array()) {
      for (auto& vol : *v) {
        if (!vol.is_object()) continue;
        if (vol.contains("configMap")) Visit(vol["configMap"], "name", cms);
        if (vol.contains("secret")) Visit(vol["secret"], "secretName", secrets);
        if (vol.contains("persistentVolumeClaim")) Visit(vol["persistentVolumeClaim"], "claimName", pvcs);
        if (auto p = vol.find("projected"); p != vol.end() && p->is_object()) {
          if (auto s = p->find("sources"); s != p->end() && s->is_array()) {
            for (auto& src : *s) {
              if (!src.is_object()) continue;
              if (src.contains("configMap")) Visit(src["configMap"], "name", cms);
              if (src.contains("secret")) Visit(src["secret"], "name", secrets);
            }
          }
        }
      }
    }
    if (auto ips = spec.find("imagePullSecrets"); ips != spec.end() && ips->is_array()) {
      for (auto& s : *ips) Visit(s, "name", secrets);
    }
    ForEachContainer(spec, [&](json& c) {
      if (auto env = c.find("env"); env != c.end() && env->is_array()) {
        for (auto& e : *env) {
          auto vf = e.find("valueFrom");
          if (vf == e.end() || !vf->is_object()) continue;
          if (vf->contains("configMapKeyRef")) Visit((*vf)["configMapKeyRef"], "name", cms);
          if (vf->contains("secretKeyRef")) Visit((*vf)["secretKeyRef"], "name", secrets);
        }
      }
      if (auto from = c.find("envFrom"); from != c.end() && from->is_array()) {
        for (auto& f : *from) {
          if (!f.is_object()) continue;
          if (f.contains("configMapRef")) Visit(f["configMapRef"], "name", cms);
          if (f.contains("secretRef")) Visit(f["secretRef"], "name", secrets);
        }
      }
    });
  }
};

// The downward API's identity fields, read from the annotations holding the virtual values.
void RewriteFieldRefs(json& spec) {
  auto rewrite = [](json& field_ref) {
    if (!field_ref.is_object()) return;
    const std::string path = Str(field_ref, "fieldPath");
    std::string_view annotation;
    if (path == "metadata.name") annotation = kNameAnnotation;
    if (path == "metadata.namespace") annotation = kNamespaceAnnotation;
    if (path == "metadata.uid") annotation = kUidAnnotation;
    if (!annotation.empty()) field_ref["fieldPath"] = "metadata.annotations['" + std::string(annotation) + "']";
  };
  ForEachContainer(spec, [&](json& c) {
    if (auto env = c.find("env"); env != c.end() && env->is_array()) {
      for (auto& e : *env) {
        if (e.is_object() && e.contains("valueFrom") && e["valueFrom"].contains("fieldRef")) {
          rewrite(e["valueFrom"]["fieldRef"]);
        }
      }
    }
  });
  auto rewrite_items = [&](json& items) {
    if (!items.is_array()) return;
    for (auto& item : items) {
      if (item.is_object() && item.contains("fieldRef")) rewrite(item["fieldRef"]);
    }
  };
  if (auto v = spec.find("volumes"); v != spec.end() && v->is_array()) {
    for (auto& vol : *v) {
      if (!vol.is_object()) continue;
      if (vol.contains("downwardAPI") && vol["downwardAPI"].contains("items"))
        rewrite_items(vol["downwardAPI"]["items"]);
      if (vol.contains("projected") && vol["projected"].contains("sources") && vol["projected"]["sources"].is_array()) {
        for (auto& src : vol["projected"]["sources"]) {
          if (src.is_object() && src.contains("downwardAPI") && src["downwardAPI"].contains("items")) {
            rewrite_items(src["downwardAPI"]["items"]);
          }
        }
      }
    }
  }
}

// Calls fn(source) for every serviceAccountToken source of the spec's projected volumes.
template <typename Spec, typename Fn>
void ForEachTokenSource(Spec& spec, Fn fn) {
  if (!spec.is_object()) return;
  auto v = spec.find("volumes");
  if (v == spec.end() || !v->is_array()) return;
  for (auto& vol : *v) {
    if (!vol.is_object()) continue;
    auto p = vol.find("projected");
    if (p == vol.end() || !p->is_object()) continue;
    auto sources = p->find("sources");
    if (sources == p->end() || !sources->is_array()) continue;
    for (auto& src : *sources) {
      if (src.is_object() && src.contains("serviceAccountToken") && src["serviceAccountToken"].is_object()) fn(src);
    }
  }
}

std::string TokenKey(std::size_t index) { return index == 0 ? "token" : "token-" + std::to_string(index); }

// Projected service account tokens would be the HOST's tokens: each becomes the matching item of
// the pod's token Secret, which holds the tenant's token.
void ProjectTenantTokens(json& spec, const std::string& secret) {
  std::size_t index = 0;
  ForEachTokenSource(spec, [&](json& src) {
    std::string path = Str(src["serviceAccountToken"], "path");
    src = {{"secret", {{"name", secret}, {"items", json::array({{{"key", TokenKey(index++)}, {"path", path}}})}}}};
  });
}

// The tenant API's in-cluster address for every container (explicit env beats the kubelet's;
// what the tenant set itself is kept).
void PointAtTenantApi(json& spec, const PodTranslateOptions& o) {
  if (o.api_host.empty()) return;
  const std::string tcp = "tcp://" + o.api_host + ":" + o.api_port;
  const std::pair<const char*, std::string> vars[] = {{"KUBERNETES_SERVICE_HOST", o.api_host},
                                                      {"KUBERNETES_SERVICE_PORT", o.api_port},
                                                      {"KUBERNETES_SERVICE_PORT_HTTPS", o.api_port},
                                                      {"KUBERNETES_PORT", tcp},
                                                      {"KUBERNETES_PORT_443_TCP", tcp},
                                                      {"KUBERNETES_PORT_443_TCP_ADDR", o.api_host},
                                                      {"KUBERNETES_PORT_443_TCP_PORT", o.api_port},
                                                      {"KUBERNETES_PORT_443_TCP_PROTO", "tcp"}};
  ForEachContainer(spec, [&](json& c) {
    if (!c.contains("env") || !c["env"].is_array()) c["env"] = json::array();
    json env = json::array();
    for (const auto& [name, value] : vars) {
      bool set = false;  // a value the tenant wrote itself stays
      for (const auto& e : c["env"]) set = set || Str(e, "name") == name;
      if (!set) env.push_back({{"name", name}, {"value", value}});
    }
    for (auto& e : c["env"]) env.push_back(std::move(e));
    c["env"] = std::move(env);
  });
}

std::string HostnameOf(const std::string& pod_name) {
  // kube: a pod's hostname is its name cut to 63 characters, without a trailing '-' or '.'.
  std::string h = pod_name.substr(0, 63);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  return h;
}

}  // namespace

json HostMetadata(const json& vobj, const std::string& kind, const PodTranslateOptions& o) {
  const json& meta = Sub(vobj, "metadata");
  const std::string name = Str(meta, "name");
  const std::string ns = Str(meta, "namespace");
  VirtualRef ref{kind, ns, name, Str(meta, "uid")};
  json out = json::object();
  out["name"] = HostName(name, ns, o.tenant);
  out["namespace"] = o.host_namespace;
  out["labels"] = ToJson(HostLabels(ToMap(Sub(meta, "labels")), ns, o.tenant));
  StringMap ann = ToMap(Sub(meta, "annotations"));
  ann.erase("kubectl.kubernetes.io/last-applied-configuration");  // the tenant's, not the host's
  out["annotations"] = ToJson(HostAnnotations(ann, ref));
  if (o.host_owner.is_object()) out["ownerReferences"] = json::array({o.host_owner});
  return out;
}

PodReferences ReferencesOf(const json& virtual_pod) {
  PodReferences refs;
  json spec = Sub(virtual_pod, "spec");
  RefVisitor{&refs, nullptr}.Spec(spec);
  return refs;
}

json TranslatePod(const json& vpod, const PodTranslateOptions& o) {
  const json& meta = Sub(vpod, "metadata");
  const std::string ns = Str(meta, "namespace");
  json spec = Sub(vpod, "spec");
  RefVisitor{nullptr, [&](const std::string& n) { return HostName(n, ns, o.tenant); }}.Spec(spec);
  RewriteFieldRefs(spec);
  ProjectTenantTokens(spec, TokenSecretName(HostName(Str(meta, "name"), ns, o.tenant)));
  PointAtTenantApi(spec, o);
  spec.erase("serviceAccountName");
  spec.erase("serviceAccount");
  spec["automountServiceAccountToken"] = false;
  spec["enableServiceLinks"] = false;
  if (Str(spec, "hostname").empty()) spec["hostname"] = HostnameOf(Str(meta, "name"));
  spec.erase("subdomain");
  spec.erase("priorityClassName");
  spec.erase("priority");
  spec.erase("schedulerName");
  spec.erase("preemptionPolicy");
  if (!o.dns_server.empty() && (Str(spec, "dnsPolicy").empty() || Str(spec, "dnsPolicy") == "ClusterFirst")) {
    spec["dnsPolicy"] = "None";
    spec["dnsConfig"] = {{"nameservers", {o.dns_server}},
                         {"searches", {ns + ".svc." + o.cluster_domain, "svc." + o.cluster_domain, o.cluster_domain}},
                         {"options", {{{"name", "ndots"}, {"value", "5"}}}}};
  }
  json out = {
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", HostMetadata(vpod, "Pod", o)}, {"spec", std::move(spec)}};
  return out;
}

json TranslateMutablePodFields(const json& vpod, const PodTranslateOptions& o) {
  const json& vspec = Sub(vpod, "spec");
  json spec = json::object();
  if (vspec.contains("activeDeadlineSeconds")) spec["activeDeadlineSeconds"] = vspec["activeDeadlineSeconds"];
  for (const char* list : {"containers", "initContainers"}) {
    if (!vspec.contains(list) || !vspec[list].is_array()) continue;
    json& out = spec[list] = json::array();
    for (const auto& c : vspec[list]) out.push_back({{"name", Str(c, "name")}, {"image", Str(c, "image")}});
  }
  return {{"metadata", HostMetadata(vpod, "Pod", o)}, {"spec", std::move(spec)}};
}

std::optional<json> UpdatedHostPod(const json& current, const json& desired) {
  if (!current.is_object() || !Sub(current, "spec").size()) return std::nullopt;
  std::optional<json> next;  // copied from `current` at the first difference only
  auto edit = [&]() -> json& {
    if (!next) next = current;
    return *next;
  };
  for (const char* field : {"labels", "annotations"}) {
    const json& want = Sub(Sub(desired, "metadata"), field);
    if (Sub(Sub(current, "metadata"), field) != want) edit()["metadata"][field] = want;
  }
  const json& dspec = Sub(desired, "spec");
  const json& cspec = Sub(current, "spec");
  if (dspec.contains("activeDeadlineSeconds") &&
      (!cspec.contains("activeDeadlineSeconds") || dspec["activeDeadlineSeconds"] != cspec["activeDeadlineSeconds"])) {
    edit()["spec"]["activeDeadlineSeconds"] = dspec["activeDeadlineSeconds"];
  }
  for (const char* list : {"containers", "initContainers"}) {
    if (!dspec.contains(list) || !dspec[list].is_array() || !cspec.contains(list) || !cspec[list].is_array()) continue;
    const json& have = cspec[list];
    for (const auto& want : dspec[list]) {
      for (std::size_t i = 0; i < have.size(); ++i) {
        if (Str(have[i], "name") == Str(want, "name") && Str(have[i], "image") != Str(want, "image")) {
          edit()["spec"][list][i]["image"] = Str(want, "image");
        }
      }
    }
  }
  return next;
}

std::vector<TokenProjection> ServiceAccountTokensOf(const json& virtual_pod) {
  std::vector<TokenProjection> out;
  const json& spec = Sub(virtual_pod, "spec");
  ForEachTokenSource(spec, [&](const json& src) {
    const json& t = src["serviceAccountToken"];
    TokenProjection p{TokenKey(out.size()), Str(t, "audience"), 3600};
    if (auto e = t.find("expirationSeconds"); e != t.end() && e->is_number_integer()) {
      p.expiration_seconds = e->get<std::int64_t>();
    }
    out.push_back(std::move(p));
  });
  return out;
}

std::string TokenSecretName(std::string_view host_pod_name) { return std::string(host_pod_name) + ".sa-token"; }

json VirtualPodStatus(const json& host_pod) {
  json status = Sub(host_pod, "status");
  // Conditions, IPs and container states are the pod's own; nominatedNodeName names a host
  // scheduling decision the tenant has no part in.
  status.erase("nominatedNodeName");
  return status;
}

json TranslateDependent(const json& vobj, const PodTranslateOptions& o) {
  const std::string kind = Str(vobj, "kind");
  json out = {{"apiVersion", Str(vobj, "apiVersion")}, {"kind", kind}, {"metadata", HostMetadata(vobj, kind, o)}};
  for (const char* field : {"data", "binaryData", "stringData", "type", "immutable"}) {
    if (vobj.contains(field)) out[field] = vobj[field];
  }
  if (Str(out, "type") == "kubernetes.io/service-account-token") {
    // The host's token controller would treat it as a token of a host service account (and
    // delete it, that account being absent): on the host it is plain data.
    out["type"] = "Opaque";
  }
  if (kind == "PersistentVolumeClaim") {
    json spec = Sub(vobj, "spec");
    spec.erase("volumeName");  // a tenant cannot pick (or see) the host's volumes
    out["spec"] = std::move(spec);
  }
  return out;
}

}  // namespace vkube::translate
