#include "controllers/framework/pod_control.h"

#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

Json PodFromTemplate(const Json& pod_template, const Json& owner, const std::string& ns,
                     const std::string& generate_name, const std::string& name) {
  Json meta = Json::object();
  const Json& tmeta = jsonx::Child(pod_template, "metadata");
  for (const char* k : {"labels", "annotations", "finalizers"}) {
    if (jsonx::Has(tmeta, k)) meta[k] = tmeta[k];
  }
  if (name.empty()) {
    meta["generateName"] = generate_name;
  } else {
    meta["name"] = name;
  }
  meta["namespace"] = ns;
  meta["ownerReferences"] = Json::array({NewControllerRef(owner)});
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", std::move(meta)}};
  const Json& spec = jsonx::Child(pod_template, "spec");
  pod["spec"] = spec.is_object() ? spec : Json::object();
  return pod;
}

Result<store::ObjectPtr> CreatePod(registry::GenericRegistry& objects, const std::string& ns, Json pod) {
  const resource::Kind* kind = objects.Find("", "pods");
  return objects.Create(*kind, ns, std::move(pod));
}

Status DeletePod(registry::GenericRegistry& objects, const std::string& ns, const std::string& name,
                 const std::string& uid) {
  const resource::Kind* kind = objects.Find("", "pods");
  auto res = objects.Delete(*kind, ns, name, registry::DeleteOptions{.uid_precondition = uid});
  if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
  return {};
}

}  // namespace vkube::controllers
