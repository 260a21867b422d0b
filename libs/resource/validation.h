#pragma once
// The building blocks of kube-apiserver's validation, with its exact wording:
// k8s.io/apimachinery/pkg/util/validation (IsQualifiedName, IsDNS1123Label, ...) return the
// detail messages, and the field-error builders below render them as field.Error.ErrorBody()
// does ("Invalid value: \"Foo\": <detail>"), ready to become metav1.StatusCause entries.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"

namespace vkube::resource::validation {

// --- apimachinery/pkg/util/validation: empty result = valid -----------------------------------
std::vector<std::string> IsDns1123Label(std::string_view value);
std::vector<std::string> IsDns1123Subdomain(std::string_view value);
std::vector<std::string> IsDns1035Label(std::string_view value);
// Label keys, annotation keys, finalizers: optional DNS-subdomain prefix + "/" + name part.
std::vector<std::string> IsQualifiedName(std::string_view value);
std::vector<std::string> IsValidLabelValue(std::string_view value);
// apimachinery/pkg/api/validation/path: names that are safe as one URL path segment.
std::vector<std::string> IsValidPathSegmentName(std::string_view value);
std::vector<std::string> IsConfigMapKey(std::string_view value);
std::vector<std::string> IsEnvVarName(std::string_view value);
std::vector<std::string> IsValidPortNum(std::int64_t port);
std::vector<std::string> IsValidPortName(std::string_view name);  // IANA_SVC_NAME
// IPv4 or IPv6 literal; "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)" otherwise.
std::vector<std::string> IsValidIp(std::string_view value);
bool IsIpv6(std::string_view value);
// Go's base64.StdEncoding decoding of a JSON []byte field: the decoded size, or the error offset
// kube reports ("illegal base64 data at input byte N").
struct Base64Result {
  bool ok = false;
  std::size_t decoded_size = 0;
  std::size_t error_offset = 0;
};
Base64Result DecodeBase64Size(std::string_view in);
// kube's generateName masking: a prefix may end in '-' (the random suffix follows).
std::string MaskTrailingDash(std::string_view prefix);

// --- Go value rendering, as fmt prints the value inside "Invalid value: ..." -----------------
std::string GoQuote(std::string_view s);  // strconv.Quote
// %#v of map[string]string (keys sorted): map[string]string{"a":"b", "c":"d"}, nil → (nil).
std::string GoStringMap(const nlohmann::json& map);
// %#v of a metav1.LabelSelector (the "field is immutable" message of workload selectors).
std::string GoLabelSelector(const nlohmann::json& selector);
// %#v of an intstr.IntOrString (maxSurge, targetPort): intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}.
std::string GoIntOrString(const nlohmann::json& v);
// %v of a JSON scalar the way kube prints the typed field: strings quoted, numbers plain.
std::string GoValue(const nlohmann::json& v);

// --- field.Error builders (FieldCause{type, ErrorBody(), field}) ------------------------------
FieldCause Required(std::string field, std::string_view detail = "");
FieldCause Forbidden(std::string field, std::string_view detail);
// value_repr is already rendered (GoQuote / GoValue / std::to_string).
FieldCause Invalid(std::string field, std::string_view value_repr, std::string_view detail);
FieldCause NotSupported(std::string field, std::string_view value_repr, const std::vector<std::string>& supported);
FieldCause Duplicate(std::string field, std::string_view value_repr);
FieldCause NotFoundValue(std::string field, std::string_view value_repr);
FieldCause TooLong(std::string field, std::int64_t max_bytes);
FieldCause TooMany(std::string field, std::int64_t actual, std::int64_t max_items);

// --- apimachinery/pkg/api/validation & metav1 validation --------------------------------------
using Errors = std::vector<FieldCause>;
// metadata.labels / selector.matchLabels: keys and values.
void ValidateLabels(const nlohmann::json& labels, const std::string& path, Errors& errs);
// metadata.annotations: keys, and their total size (256 KiB).
void ValidateAnnotations(const nlohmann::json& annotations, const std::string& path, Errors& errs);
// metav1.LabelSelector (matchLabels + matchExpressions) as ValidateLabelSelector does.
void ValidateLabelSelector(const nlohmann::json& selector, const std::string& path, Errors& errs);
// Nonnegative integer field (replicas, minReadySeconds, ...); absent or non-integer is ignored.
void ValidateNonnegative(const nlohmann::json& obj, std::string_view key, const std::string& path, Errors& errs);

inline constexpr std::int64_t kMaxAnnotationsBytes = 256 * 1024;
inline constexpr std::int64_t kMaxConfigDataBytes = 1024 * 1024;  // ConfigMap / Secret payload

}  // namespace vkube::resource::validation
