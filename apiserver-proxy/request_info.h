#pragma once
// Parses a request path + query into what it asks for (k8s.io/apiserver's RequestInfoFactory).
// Pure and fuzzable: no store, no registry.
#include <map>
#include <string>
#include <string_view>

#include "libs/core/result.h"

namespace vkube::apiserver {

struct RequestInfo {
  bool is_resource_request = false;
  std::string path;         // decoded, for non-resource requests
  std::string verb;         // get list watch create update patch delete deletecollection (or lower-case HTTP method)
  std::string api_prefix;   // "api" | "apis"
  std::string group;        // "" for core
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
};

// Decoded query parameters (last value wins, like Go's url.Values.Get for first... kube uses first).
class Query {
 public:
  static Result<Query> Parse(std::string_view raw);
  std::string_view Get(std::string_view key) const;
  bool Has(std::string_view key) const { return values_.count(std::string(key)) != 0; }
  bool Bool(std::string_view key) const;  // "1", "true" → true

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

Result<std::string> PercentDecode(std::string_view s);
Result<RequestInfo> ParseRequestInfo(std::string_view method, std::string_view path, const Query& query);

}  // namespace vkube::apiserver
