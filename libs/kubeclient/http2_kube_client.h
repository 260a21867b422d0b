#pragma once
// KubeClient over the Transport: HTTP/2 over TLS (one shared connection, many streams), HTTP/1.1
// when the server offers no h2; bearer token (static or re-read from a file) or client
// certificate; a client-side token bucket; 429 answers retried after their Retry-After.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "libs/kubeclient/http_types.h"
#include "libs/kubeclient/kube_client.h"
#include "libs/kubeclient/kube_config.h"
#include "libs/kubeclient/token_bucket.h"
#include "libs/kubeclient/token_source.h"

namespace vkube::kube {

class Transport;

struct ClientOptions {
  // client-go's defaults (5 QPS, burst 10) starve a syncer; 0 disables the limit.
  double qps = 200;
  int burst = 400;
  int max_retries = 5;                       // 429 answers retried after Retry-After ...
  std::chrono::seconds max_retry_after{30};  // ... capped at this (1s when absent)
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  std::size_t max_watch_event_bytes = 16 * 1024 * 1024;
  std::uint32_t max_concurrent_streams = 250;        // per HTTP/2 connection (the server may lower it)
  std::size_t max_h2_connections = 32;               // opened as the others fill up (long-lived watches)
  std::uint32_t h2_stream_window = 4 * 1024 * 1024;  // unread bytes a watch may hold before its stream stops
  std::size_t max_http1_connections = 32;            // without h2
  bool enable_http2 = true;
  std::string user_agent = "vkube-syncer";
  std::chrono::milliseconds token_refresh{60'000};  // token file re-read period
  std::chrono::milliseconds ping_interval{30'000};  // HTTP/2 health check of an idle connection
  std::chrono::milliseconds ping_timeout{15'000};
};

class Http2KubeClient final : public KubeClient {
 public:
  // `executor` runs the connection (a strand on it); calls may come from any executor.
  static Result<std::unique_ptr<Http2KubeClient>> Create(boost::asio::any_io_executor executor,
                                                         const KubeConfig& config, ClientOptions options = {});
  ~Http2KubeClient() override;  // Shutdown()

  Task<nlohmann::json> Get(ResourceRef ref, std::string name, GetOptions options = {}) override;
  Task<ObjectList> List(ResourceRef ref, ListOptions options = {}) override;
  Task<nlohmann::json> Create(ResourceRef ref, nlohmann::json object, WriteOptions options = {}) override;
  Task<nlohmann::json> Update(ResourceRef ref, nlohmann::json object, WriteOptions options = {}) override;
  Task<nlohmann::json> Patch(ResourceRef ref, std::string name, PatchType type, std::string patch,
                             PatchOptions options = {}) override;
  Task<nlohmann::json> Delete(ResourceRef ref, std::string name, DeleteOptions options = {}) override;
  Task<std::unique_ptr<Watch>> StartWatch(ResourceRef ref, WatchOptions options = {}) override;
  Task<std::string> GetRaw(std::string path) override;
  Task<std::unique_ptr<BodyStream>> GetStream(std::string path) override;

  // Closes connections and waits for their tasks; calls in flight fail. Not from a thread that
  // runs `executor`.
  void Shutdown();
  std::uint64_t connections_opened() const;
  std::string protocol() const;  // "h2" | "http/1.1" | "" before the first connection
  const KubeConfig& config() const { return config_; }

 private:
  Http2KubeClient(KubeConfig config, ClientOptions options, std::unique_ptr<Transport> transport,
                  std::string path_prefix);
  HttpRequest MakeRequest(std::string method, std::string target, std::string body, std::string content_type);
  Task<HttpResponse> Send(HttpRequest request);
  Task<nlohmann::json> SendJson(HttpRequest request);
  Task<ObjectList> SendList(HttpRequest request);
  Task<std::unique_ptr<Watch>> OpenWatch(HttpRequest request);

  KubeConfig config_;
  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  std::string path_prefix_;  // path of the server URL ("" or "/tenants/a")
  TokenBucket limiter_;
  TokenSource token_;
};

}  // namespace vkube::kube
