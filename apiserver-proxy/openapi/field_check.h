#pragma once
// `?fieldValidation=` for one write, in one call: the directive, the kind's compiled schema
// (OpenApiService::FieldTreeFor) and the body give either a ready error (Strict with unknown or
// duplicate fields → 400; a bad directive → 422) or the Warning header values (Warn).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver-proxy/openapi/openapi_service.h"
#include "libs/core/error.h"
#include "libs/resource/field_validation.h"

namespace vkube::apiserver {

enum class FieldCheckBody {
  kObject,               // create / update: the whole object
  kMergePatch,           // application/merge-patch+json
  kStrategicMergePatch,  // application/strategic-merge-patch+json ($ directives are not fields)
};

struct FieldCheck {
  std::optional<Error> error;
  std::vector<std::string> warnings;  // each one value of a `Warning` response header
  // The kind's schema, to prune unknown fields from what is stored; null without schema.
  std::shared_ptr<const resource::FieldTree> tree;
};

// `options_kind` names the request's options type in the 422 for a bad directive: CreateOptions,
// UpdateOptions or PatchOptions. A value of the wrong JSON type for a built-in field is a 400
// whatever the directive (kube cannot decode it). Ignore, a kind without schema, or a null
// service: no field issues.
FieldCheck CheckFields(const OpenApiService* openapi, std::string_view group, std::string_view version,
                       std::string_view kind, std::string_view directive, std::string_view body, FieldCheckBody what,
                       std::string_view options_kind);

}  // namespace vkube::apiserver
