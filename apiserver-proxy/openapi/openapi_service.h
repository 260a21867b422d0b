#pragma once
// Serves /openapi/v2 and /openapi/v3[/<group-version>] for the kinds of a Registry, and hands out
// the compiled field trees that server-side field validation walks.
//
// Immutable once built: a registry change (custom resources) makes a new service with Rebuild(),
// which the caller swaps in atomically. Everything derived from the built-in schemas alone (their
// definitions, the v3 documents of built-in group-versions, their field trees) is shared by every
// service rebuilt from the same origin, so per-tenant copies cost only their custom resources.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"
#include "libs/http/message.h"
#include "libs/resource/field_validation.h"
#include "libs/resource/registry.h"

namespace vkube::apiserver {

class OpenApiService {
 public:
  // `swagger_path`: Kubernetes' OpenAPI v2 document whose `definitions` are the base schemas
  // (Debian's golang-k8s-kube-openapi-dev swagger.json); vkube's additions are compiled in.
  static Result<std::shared_ptr<OpenApiService>> Create(const resource::Registry& registry,
                                                       const std::string& swagger_path);
  // Same, from a parsed v2 document (tests; a caller that already has it).
  static Result<std::shared_ptr<OpenApiService>> FromSwagger(const resource::Registry& registry,
                                                            const nlohmann::json& swagger);

  // A service for a new registry snapshot (built-in kinds plus custom resources) sharing this
  // one's base schemas and every unchanged built-in document. `extra_definitions`: v2-form schemas
  // ("#/definitions/..." references) of the custom kinds and their lists, each carrying
  // x-kubernetes-group-version-kind; names as kube gives them (com.example.stable.v1.CronTab).
  std::shared_ptr<OpenApiService> Rebuild(const resource::Registry& registry,
                                          nlohmann::json extra_definitions = nlohmann::json::object()) const;

  ~OpenApiService();

  // GET /openapi/v2, /openapi/v3, /openapi/v3/api/v1, /openapi/v3/apis/apps/v1 (?hash=...).
  // nullopt when the path is not an OpenAPI path; otherwise a complete response
  // (200, 304 on If-None-Match, 301 for a stale ?hash=, 404, 406).
  std::optional<http::Response> Handle(const http::Request& request) const;

  // Compiled schema of a served kind for FindFieldIssues; nullptr if the kind has no schema.
  // Built-in kinds compile once per origin (thread-safe, cached); custom kinds use the structural
  // rules (unknown fields are pruned unless x-kubernetes-preserve-unknown-fields).
  std::shared_ptr<const resource::FieldTree> FieldTreeFor(std::string_view group, std::string_view version,
                                                          std::string_view kind) const;

  // A definition by name (extra first, then built-in); nullptr if unknown.
  const nlohmann::json* Definition(std::string_view name) const;
  // Group-version keys served under /openapi/v3/ ("api/v1", "apis/apps/v1").
  std::vector<std::string> GroupVersions() const;
  // The v3 document body of a group-version key, "" if none.
  std::string GroupVersionDocument(std::string_view key) const;

  struct Shared;
  struct State;

 private:
  explicit OpenApiService(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace vkube::apiserver
