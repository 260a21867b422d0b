// libFuzzer: hostile request paths and query strings through the request-info parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apiserver-proxy/request_info.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto q = in.find('?');
  auto query = vkube::apiserver::Query::Parse(q == std::string_view::npos ? "" : in.substr(q + 1));
  if (!query.ok()) return 0;
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    auto info = vkube::apiserver::ParseRequestInfo(method, in.substr(0, q), *query);
    if (info.ok() && info->is_resource_request && info->resource.empty()) __builtin_trap();  // invariant
  }
  return 0;
}
