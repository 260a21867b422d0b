#pragma once
// Response encoding: Accept negotiation (JSON, Table), metav1.Table construction, Status errors.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "libs/core/error.h"
#include "libs/http/message.h"
#include "libs/resource/registry.h"
#include "libs/store/store.h"

namespace vkube::apiserver {

struct Negotiated {
  bool acceptable = true;  // false → 406
  bool table = false;      // meta.k8s.io Table requested (and preferred)
  std::string table_version = "v1";
};

Negotiated NegotiateAccept(std::string_view accept);

// Discovery documents: legacy (APIGroupList, APIVersions, APIResourceList) or aggregated
// (apidiscovery.k8s.io APIGroupDiscoveryList, served only for /api and /apis).
enum class DiscoveryFormat { kLegacy, kAggregatedV2, kAggregatedV2Beta1, kNotAcceptable };
inline constexpr std::string_view kAggregatedDiscoveryV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr std::string_view kAggregatedDiscoveryV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
// First acceptable format in the client's order of preference (q values honoured, q=0 refuses).
// `aggregated_allowed` false (paths other than /api and /apis): aggregated types do not match.
DiscoveryFormat NegotiateDiscovery(std::string_view accept, bool aggregated_allowed);

enum class IncludeObject { kNone, kMetadata, kObject };
IncludeObject ParseIncludeObject(std::string_view v);

// One Table row for a stored object.
nlohmann::json TableRow(const resource::Kind& kind, const nlohmann::json& obj, IncludeObject include, SystemTime now);
nlohmann::json TableColumns(const resource::Kind& kind);
// {"kind":"Table",...} with rows; `with_columns` false for watch events after the first.
nlohmann::json MakeTable(const std::string& version, nlohmann::json columns, nlohmann::json rows,
                         const std::string& resource_version, const std::string& cont, std::size_t remaining);

http::Response JsonResponse(int status, std::string body);
// kube-apiserver's response compression: bodies of 128 KiB and more go out gzip-encoded when
// the client's Accept-Encoding admits it (Go clients always send it); smaller ones are not worth
// the CPU.
inline constexpr std::size_t kGzipThresholdBytes = 128 * 1024;
http::Response CompressForClient(std::string_view accept_encoding, http::Response response);
http::Response ErrorResponse(const Error& error);

}  // namespace vkube::apiserver
