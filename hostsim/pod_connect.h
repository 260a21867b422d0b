#pragma once
// pods/exec, pods/attach and pods/portforward of the simulated pods: the kubelet's side of the
// protocol upgrade (PodStreams::Connect), after the API server's checks.
//
//   exec     WebSocket v5.channel.k8s.io (v4 too), or SPDY/3.1 with v4.channel.k8s.io (kubectl with
//            KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false): the command runs in the simulated process
//            table (sim_process.h); stdout/stderr on channels 1/2 (SPDY: the stdout/stderr streams),
//            stdin from channel 0 until the v5 close signal (SPDY: the stdin stream's FIN), the exit
//            status as a metav1.Status on channel 3 (SPDY: the error stream, then FIN).
//   attach   the same protocols, attached to the container's main process: its synthetic output
//            (the lines `kubectl logs -f` shows, from now on) until the container stops or the
//            client leaves; stdin, when the container has `stdin: true`, is echoed to stdout.
//   portforward
//            SPDY/3.1 tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io, kubectl's default),
//            plain SPDY/3.1 (`Upgrade: SPDY/3.1`, X-Stream-Protocol-Version: portforward.k8s.io)
//            or the WebSocket channel protocol (portforward.k8s.io / v4.channel.k8s.io, ?ports=).
//            Every port a container of the pod declares (containerPort) is served by a tiny
//            HTTP/1.1 responder: any request gets `200 OK`, body "hello from POD:PORT\n",
//            Connection: close. Other ports get the kubelet's "error forwarding port" message on
//            the error stream, as when nothing listens there.
//
// Kubelet-side refusals come before the upgrade, as plain-text 500s like the kubelet's (kubectl then
// says "unable to upgrade connection: ..."): a container that has not started
// (`container not found ("c")`) or has exited.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "apiserver-proxy/pod_streams.h"
#include "hostsim/sim_config.h"
#include "libs/http/handler.h"
#include "libs/registry/generic_registry.h"

namespace vkube::hostsim {

class SyntheticPodStreams;

// Explicit limits of one session.
struct ConnectLimits {
  std::size_t max_message_bytes = 1024 * 1024;     // one WebSocket message from the client
  std::size_t max_stdin_buffered = 1024 * 1024;    // stdin received but not yet read by the process
  std::size_t max_http_request_bytes = 64 * 1024;  // the simulated HTTP server's request head
  std::chrono::milliseconds close_timeout{2000};   // after our close, for the client's
  // SPDY: the client opens one stream per channel; the kubelet waits this long for them.
  std::chrono::milliseconds stream_creation_timeout{std::chrono::seconds(30)};
};

boost::asio::awaitable<void> ServePodConnect(const registry::GenericRegistry& objects, const SyntheticPodStreams& logs,
                                             std::string ns, std::string pod, apiserver::PodConnectOptions options,
                                             http::Request& request, http::ResponseWriter& writer,
                                             ConnectLimits limits = {});

}  // namespace vkube::hostsim
