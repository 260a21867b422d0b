#include "controllers/framework/status_update.h"

#include "libs/resource/json_access.h"

namespace vkube::controllers {

namespace jsonx = resource::jsonx;

Status UpdateStatus(registry::GenericRegistry& objects, const resource::Kind& kind, const Json& cached,
                    const Json& status, const std::function<void(Json&)>& also) {
  const std::string rv = jsonx::Str(cached, "metadata.resourceVersion");
  auto res = objects.GuaranteedUpdate(
      kind, jsonx::Str(cached, "metadata.namespace"), jsonx::Str(cached, "metadata.name"),
      [&](const Json& cur) -> Result<Json> {
        Json n = cur;
        n["status"] = status;
        if (also) also(n);
        n["metadata"]["resourceVersion"] = rv;  // precondition: the state we computed from
        return n;
      },
      registry::WriteOptions{.subresource = "status"});
  if (!res && res.error().code != ErrorCode::kNotFound) return res.take_error();
  return {};
}

}  // namespace vkube::controllers
