#pragma once
// Serves /openapi/v2 and /openapi/v3[/<group-version>] for the kinds of a Registry, built once at
// start-up from a base schema document (Debian's upstream swagger.json) plus vkube's additions.
#include <memory>
#include <optional>
#include <string>

#include "libs/core/result.h"
#include "libs/http/message.h"
#include "libs/resource/registry.h"

namespace vkube::apiserver {

class OpenApiService {
 public:
  // `swagger_path`: an OpenAPI v2 document whose `definitions` supply the kinds' schemas.
  static Result<std::shared_ptr<OpenApiService>> Create(const resource::Registry& registry,
                                                       const std::string& swagger_path);
  virtual ~OpenApiService() = default;

  // GET /openapi/v2, /openapi/v3, /openapi/v3/api/v1, /openapi/v3/apis/apps/v1 (?hash=...).
  // nullopt when the path is not an OpenAPI path; otherwise a complete response (200/404/406/304).
  virtual std::optional<http::Response> Handle(const http::Request& request) const = 0;
};

}  // namespace vkube::apiserver
