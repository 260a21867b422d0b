#pragma once
// What one tenant's API server serves at a moment: its kinds, their discovery documents and their
// OpenAPI. Immutable and shared: tenants without custom resources all serve the platform's
// built-in surface; a change of a tenant's CustomResourceDefinitions builds a new one that the
// tenant's API server and generic registry swap in atomically (requests in flight finish with the
// snapshot they started with).
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "apiserver-proxy/discovery.h"
#include "apiserver-proxy/openapi/openapi_service.h"
#include "libs/resource/registry.h"

namespace vkube::apiserver {

struct ApiSurface {
  std::shared_ptr<const resource::Registry> kinds;
  std::shared_ptr<const Discovery> discovery;
  std::shared_ptr<const OpenApiService> openapi;  // null: /openapi/* answers 404
  // The surface this one extends (null for the built-in one).
  std::shared_ptr<const ApiSurface> base;

  static std::shared_ptr<const ApiSurface> Make(std::shared_ptr<const resource::Registry> kinds,
                                                std::shared_ptr<const OpenApiService> openapi);
  // `base` plus the custom resources of `crds` (established ones; a kind clashing with one of
  // base's is left out). Returns `base` itself when the CRDs add nothing.
  static std::shared_ptr<const ApiSurface> WithCustomResources(const std::shared_ptr<const ApiSurface>& base,
                                                               const std::vector<nlohmann::json>& crds);
};

}  // namespace vkube::apiserver
