#include "apiserver-proxy/api_surface.h"

#include "apiserver-proxy/openapi/openapi_builder.h"
#include "libs/resource/custom_resource_kinds.h"
#include "libs/resource/json_access.h"

namespace vkube::apiserver {

namespace jsonx = resource::jsonx;

std::shared_ptr<const ApiSurface> ApiSurface::Make(std::shared_ptr<const resource::Registry> kinds,
                                                   std::shared_ptr<const OpenApiService> openapi) {
  auto s = std::make_shared<ApiSurface>();
  s->discovery = std::make_shared<const Discovery>(*kinds);
  s->kinds = std::move(kinds);
  s->openapi = std::move(openapi);
  return s;
}

std::shared_ptr<const ApiSurface> ApiSurface::WithCustomResources(const std::shared_ptr<const ApiSurface>& base,
                                                                  const std::vector<nlohmann::json>& crds) {
  std::vector<resource::Kind> extra;
  nlohmann::json defs = nlohmann::json::object();
  for (const auto& crd : crds) {
    for (auto& k : resource::CustomResourceKinds(crd)) {
      const auto& i = k.info;
      // Two CRDs cannot claim one plural of a group (names acceptance), but one could shadow a
      // built-in kind: the built-in wins, as kube's delegation order has it.
      if (base->kinds->Find(i.group, i.version, i.resource) != nullptr) continue;
      bool dup = false;
      for (const auto& e : extra)
        dup = dup || (e.info.group == i.group && e.info.version == i.version && e.info.resource == i.resource);
      if (dup) continue;
      if (base->openapi) {
        const nlohmann::json* schema = nullptr;
        for (const auto& ver : jsonx::At(crd, "spec.versions")) {
          if (jsonx::Str(ver, "name") == i.version) schema = &jsonx::At(ver, "schema.openAPIV3Schema");
        }
        static const nlohmann::json kNone;
        defs.update(CustomResourceDefinitions(i.group, i.version, i.kind, i.ListKind(), schema ? *schema : kNone));
      }
      extra.push_back(std::move(k));
    }
  }
  if (extra.empty()) return base;
  auto s = std::make_shared<ApiSurface>();
  s->kinds = std::make_shared<const resource::Registry>(base->kinds, std::move(extra));
  s->discovery = std::make_shared<const Discovery>(*s->kinds);
  if (base->openapi) s->openapi = base->openapi->Rebuild(*s->kinds, std::move(defs));
  s->base = base;
  return s;
}

}  // namespace vkube::apiserver
