#include "apiserver-proxy/openapi/field_check.h"

#include "libs/resource/field_validation.h"
#include "libs/resource/status.h"

namespace vkube::apiserver {

FieldCheck CheckFields(const OpenApiService* openapi, std::string_view group, std::string_view version,
                       std::string_view kind, std::string_view directive, std::string_view body, FieldCheckBody what,
                       std::string_view options_kind) {
  FieldCheck out;
  auto mode = resource::ParseFieldValidation(directive);
  if (!mode) {
    // kube-apiserver validates the options object: `CreateOptions.meta.k8s.io "" is invalid: ...`.
    out.error = resource::Invalid(
        "meta.k8s.io", options_kind, "",
        {{"FieldValueNotSupported",
          "Unsupported value: \"" + std::string(directive) + "\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"",
          "fieldValidation"}});
    return out;
  }
  if (openapi == nullptr) return out;
  out.tree = openapi->FieldTreeFor(group, version, kind);
  if (!out.tree) return out;
  resource::FieldIssueOptions options;
  options.strategic_merge_patch = what == FieldCheckBody::kStrategicMergePatch;
  resource::FieldIssues issues = resource::FindFieldIssues(body, *out.tree, options);
  if (!issues.type_error.empty()) {
    out.error = resource::BadRequest(resource::CannotBeDecodedMessage(kind, version, issues.type_error));
    return out;
  }
  if (*mode == resource::FieldValidation::kIgnore) return out;
  if (issues.empty()) return out;
  if (*mode == resource::FieldValidation::kStrict) {
    // Objects: the decoder's wording; patches: the strict error of the patched object alone.
    out.error = resource::BadRequest(what == FieldCheckBody::kObject
                                         ? resource::CannotBeHandledMessage(kind, version, issues)
                                         : resource::StrictDecodingError(issues));
    return out;
  }
  for (const auto& m : issues.messages) out.warnings.push_back(resource::WarningHeaderValue(m));
  return out;
}

}  // namespace vkube::apiserver
