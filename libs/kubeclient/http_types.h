#pragma once
// Protocol-neutral HTTP messages of the host client (internal to libs/kubeclient): what a
// KubeClient call becomes before the transport picks HTTP/2 or HTTP/1.1 for it.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace vkube::kube {

struct HttpHeader {
  std::string name;  // lower case (HTTP/2 requires it; HTTP/1.1 names are case-insensitive)
  std::string value;
};
using HttpHeaders = std::vector<HttpHeader>;

// First value of `name` (lower case), "" when absent.
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, already escaped
  HttpHeaders headers;
  std::string body;
  // Whole exchange for ordinary requests; only until the response head for streaming ones.
  std::chrono::milliseconds timeout{0};  // 0 = the transport's default
  // Streaming (watch): the body is handed out as it arrives, bounded by flow control instead of
  // the response size limit.
  bool streaming = false;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

}  // namespace vkube::kube
