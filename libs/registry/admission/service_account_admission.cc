#include "libs/registry/admission/service_account_admission.h"

#include <random>

#include "libs/resource/json_access.h"

namespace vkube::registry {
namespace {

namespace jsonx = resource::jsonx;

// kube's utilrand.String(5): lower-case consonants and digits (no vowels: no accidental words).
std::string RandomSuffix() {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string s(5, ' ');
  for (char& c : s) c = kAlphabet[pick(rng)];
  return s;
}

Json ApiAccessVolume(const std::string& name) {
  return Json{
      {"name", name},
      {"projected",
       {{"defaultMode", 420},
        {"sources",
         Json::array(
             {Json{{"serviceAccountToken", {{"expirationSeconds", 3607}, {"path", "token"}}}},
              Json{{"configMap",
                    {{"name", "kube-root-ca.crt"}, {"items", Json::array({{{"key", "ca.crt"}, {"path", "ca.crt"}}})}}}},
              Json{{"downwardAPI",
                    {{"items", Json::array({{{"path", "namespace"},
                                             {"fieldRef",
                                              {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}})}}}}})}}}};
}

bool HasMountAt(const Json& container, std::string_view path) {
  const Json& mounts = jsonx::Child(container, "volumeMounts");
  if (!mounts.is_array()) return false;
  for (const auto& m : mounts) {
    if (jsonx::Str(m, "mountPath") == path) return true;
  }
  return false;
}

}  // namespace

Status ServiceAccountAdmission::Admit(AdmissionRequest& request) {
  if (request.operation != Operation::kCreate || !request.subresource.empty() || request.object == nullptr ||
      !request.kind->info.group.empty() || request.kind->info.resource != "pods") {
    return {};
  }
  Json* spec = jsonx::Object(*request.object, "spec");
  if (spec == nullptr) return {};
  if (jsonx::Str(*spec, "serviceAccountName").empty()) (*spec)["serviceAccountName"] = "default";
  const std::string sa_name = jsonx::Str(*spec, "serviceAccountName");
  (*spec)["serviceAccount"] = sa_name;  // v1 keeps the deprecated alias in step
  // The pod's own setting wins over the account's (kube's shouldAutomount).
  if (jsonx::Has(*spec, "automountServiceAccountToken")) {
    if (!jsonx::Bool(*spec, "automountServiceAccountToken")) return {};
  } else if (auto sa = store_->Get(store::Key{"serviceaccounts", request.ns, sa_name})) {
    const Json account = Json::parse((*sa)->json, nullptr, false);
    if (jsonx::Has(account, "automountServiceAccountToken") && !jsonx::Bool(account, "automountServiceAccountToken")) {
      return {};
    }
  }
  Json* containers = jsonx::Array(*spec, "containers");
  Json* init = jsonx::Array(*spec, "initContainers");
  bool wanted = false;
  for (Json* list : {init, containers}) {
    if (list == nullptr) continue;
    for (const auto& c : *list) wanted = wanted || (c.is_object() && !HasMountAt(c, kServiceAccountMountPath));
  }
  if (!wanted) return {};
  // One volume per pod; a pod that already carries one (a re-created copy of another pod's spec)
  // keeps it.
  std::string volume;
  Json* volumes = jsonx::Array(*spec, "volumes");
  if (volumes != nullptr) {
    for (const auto& v : *volumes) {
      if (jsonx::Str(v, "name").rfind("kube-api-access-", 0) == 0) volume = jsonx::Str(v, "name");
    }
  }
  if (volume.empty()) {
    volume = "kube-api-access-" + RandomSuffix();
    if (volumes == nullptr) (*spec)["volumes"] = Json::array();
    (*spec)["volumes"].push_back(ApiAccessVolume(volume));
  }
  for (Json* list : {init, containers}) {
    if (list == nullptr) continue;
    for (auto& c : *list) {
      if (!c.is_object() || HasMountAt(c, kServiceAccountMountPath)) continue;
      if (!c.contains("volumeMounts") || !c["volumeMounts"].is_array()) c["volumeMounts"] = Json::array();
      c["volumeMounts"].push_back(Json{{"name", volume}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}});
    }
  }
  return {};
}

}  // namespace vkube::registry
