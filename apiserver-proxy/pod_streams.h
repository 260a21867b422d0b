#pragma once
// Streams out of a running pod: what a kubelet serves and kube-apiserver proxies — pods/log, and
// the protocol upgrades of pods/exec, pods/attach and pods/portforward. The API server routes those
// subresources here after kube-apiserver's own checks; whoever runs the pods implements it — the
// host simulator (hostsim/) with synthetic processes, a tenant's proxy by forwarding to the
// translated pod on its host cluster.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver-proxy/request_info.h"
#include "libs/core/result.h"
#include "libs/core/time.h"
#include "libs/http/handler.h"
#include "libs/http/upgrade.h"

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

// The query of pods/exec and pods/attach (core/v1 PodExecOptions, PodAttachOptions) and of
// pods/portforward (PodPortForwardOptions), as the API server validated it.
struct PodConnectOptions {
  std::string subresource;           // "exec", "attach" or "portforward"
  std::string container;             // exec/attach: an existing container of the pod (resolved); portforward: ""
  std::vector<std::string> command;  // exec: argv, never empty; attach/portforward: empty
  bool use_stdin = false;            // ?stdin= (the three are "at least one" for exec/attach)
  bool use_stdout = false;
  bool use_stderr = false;           // false whenever tty (kubelet drops stderr with a TTY)
  bool tty = false;
  std::vector<std::uint16_t> ports;  // portforward ?ports= (the WebSocket channel protocol needs them)
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

  // GET or POST .../pods/NAME/{exec,attach,portforward}. Called only after the API server has
  // authenticated the request for this tenant, validated `options` (ParsePodConnectOptions), found
  // the pod, resolved the container and checked that the pod has a node (ResolveStreamTarget), and
  // checked that `request` asks for a protocol upgrade over HTTP/1.1 (request.upgrader is set).
  //
  // The implementation answers exactly once: either an error through `writer` (a kube Status:
  // kubelet-side failures such as a container that is not running), or
  // http::AcceptUpgrade(request, 101) and then the whole session on the returned stream, before it
  // returns. It negotiates the client's protocol itself: WebSocket subprotocols
  // (v5.channel.k8s.io, v4.channel.k8s.io; SPDY/3.1+portforward.k8s.io, portforward.k8s.io) or
  // SPDY (`Upgrade: SPDY/3.1`, X-Stream-Protocol-Version). A proxy forwards instead:
  // http::DialUpgrade to the host pod's path with its own credentials (request.method, the query
  // and the protocol headers — Upgrade, Sec-WebSocket-*, X-Stream-Protocol-Version — copied), a
  // non-101 answer relayed through `writer`, a 101 passed to AcceptUpgrade and the two streams
  // joined with http::Splice.
  //
  // Default: no node agent runs this pod — kube's answer for a pod without a node.
  virtual boost::asio::awaitable<void> Connect(std::string ns, std::string pod, PodConnectOptions options,
                                               http::Request& request, http::ResponseWriter& writer);
};

// The query of a pods/log request, validated as kube-apiserver does (Invalid PodLogOptions).
Result<PodLogOptions> ParsePodLogOptions(const Query& query, const std::string& pod);

// The query of pods/exec|attach|portforward, validated as kube-apiserver and the kubelet do:
// exec needs a command ("you must specify at least one command for the container"), exec/attach
// at least one of stdin/stdout/stderr, ports are 1..65535. `command` may repeat (Go's url.Values).
Result<PodConnectOptions> ParsePodConnectOptions(std::string_view subresource, std::string_view raw_query);

// kube-apiserver's streamLocation: the container to use (the only one when none was named; kube's
// BadRequest messages otherwise) and a node to reach ("pod P does not have a host assigned").
// Fills options.container for exec/attach.
Status ResolveStreamTarget(const nlohmann::json& pod, const std::string& pod_name, PodConnectOptions& options);

// kube's BadRequest for a pod that is on no node.
Error NoHostAssigned(const std::string& pod);

// Serves GET .../pods/NAME/log: options from the query, then the stream as text/plain (chunked
// on HTTP/1.1, DATA frames on HTTP/2) until it ends or the client goes away.
boost::asio::awaitable<void> ServePodLogs(PodStreams& streams, std::string ns, std::string pod, const Query& query,
                                          http::ResponseWriter& writer);

}  // namespace vkube::apiserver
