#pragma once
// Streams out of a running pod: what a kubelet serves and kube-apiserver proxies (pods/log today;
// exec/attach/portforward later). The API server routes GET .../pods/NAME/log here; whoever runs
// the pods implements it — the host simulator (hostsim/) with synthetic output, a tenant's proxy by
// forwarding to the translated pod on its host cluster.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "apiserver-proxy/request_info.h"
#include "libs/core/result.h"
#include "libs/core/time.h"
#include "libs/http/handler.h"

namespace vkube::apiserver {

// core/v1 PodLogOptions (the query of pods/log).
struct PodLogOptions {
  std::string container;  // empty: the pod's only container (or its default-container annotation)
  bool follow = false;
  bool previous = false;    // the previous, terminated instance of the container
  bool timestamps = false;  // prefix every line with its RFC 3339 (nanosecond) time and a space
  std::optional<std::int64_t> tail_lines;
  std::optional<std::int64_t> since_seconds;
  std::optional<SystemTime> since_time;
  std::optional<std::int64_t> limit_bytes;  // stop after this many bytes (mid-line if need be)
};

// One open stream. Driven by a single coroutine on one executor; Cancel() from that same executor.
class ChunkStream {
 public:
  virtual ~ChunkStream() = default;
  // The next bytes of the stream, waiting for them when following; std::nullopt ends the stream.
  virtual boost::asio::awaitable<std::optional<std::string>> Next() = 0;
  // The client went away: a pending or later Next() returns std::nullopt promptly.
  virtual void Cancel() = 0;
};

class PodStreams {
 public:
  virtual ~PodStreams() = default;
  // Opens the log of a container of pod ns/name. Errors (kube's words and codes) come before any
  // byte: NotFound for the pod, BadRequest for an unknown container ("container x is not valid
  // for pod p") or one that has not started ("container \"c\" in pod \"p\" is waiting to start:
  // ContainerCreating").
  virtual boost::asio::awaitable<Result<std::shared_ptr<ChunkStream>>> Logs(std::string ns, std::string pod,
                                                                            PodLogOptions options) = 0;
};

// The query of a pods/log request, validated as kube-apiserver does (Invalid PodLogOptions).
Result<PodLogOptions> ParsePodLogOptions(const Query& query, const std::string& pod);

// Serves GET .../pods/NAME/log: options from the query, then the stream as text/plain (chunked
// on HTTP/1.1, DATA frames on HTTP/2) until it ends or the client goes away.
boost::asio::awaitable<void> ServePodLogs(PodStreams& streams, std::string ns, std::string pod, const Query& query,
                                          http::ResponseWriter& writer);

}  // namespace vkube::apiserver
