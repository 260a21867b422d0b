#pragma once
// The schemas vkube serves: Kubernetes 1.13's OpenAPI `definitions` (Debian's swagger.json, the
// newest upstream document available here) brought to the 1.32 API by vkube's own additions
// (apiserver-proxy/openapi/schemas/*.json, compiled in). Pure: the caller reads files.
//
// An additions document:
//   {"copy": [{"from": "io.k8s.api.batch.v1beta1", "to": "io.k8s.api.batch.v1",
//              "group": "batch", "version": "v1",
//              "names": ["CronJob", ...]  or  {"Webhook": "MutatingWebhook", ...}}],
//    "definitions": {"<name>": <schema>},   // new (or wholly replaced) definitions
//    "patch": {"<name>": <merge patch>},    // RFC 7386 merge into an existing definition
//    "remove": ["<name>"]}
// Copies retarget the references between the definitions of one copy (a family that 1.13 only
// had as beta becomes GA), and rewrite x-kubernetes-group-version-kind. Documents apply in order
// (the embedded files sorted by name), each one's copies, then definitions, then patches, then
// removals, so a later file may derive from what an earlier one patched.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"

namespace vkube::apiserver {

Status ApplySchemaAdditions(nlohmann::json& definitions, const std::vector<nlohmann::json>& documents);

// Brings 1.13-style definitions closer to what kube-apiserver 1.32 serves: `type: object` where
// properties are given, x-kubernetes-list-type/-list-map-keys from patch merge keys, int-or-string.
void NormalizeDefinitions(nlohmann::json& definitions);

// `swagger`: a parsed OpenAPI v2 document. Applies the compiled-in additions and normalizes.
Result<nlohmann::json> BuildDefinitions(const nlohmann::json& swagger);

}  // namespace vkube::apiserver
