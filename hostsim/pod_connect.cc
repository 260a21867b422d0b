#include "hostsim/pod_connect.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hostsim/sim_process.h"
#include "hostsim/stream_protocol.h"
#include "hostsim/synthetic_logs.h"
#include "libs/http/spdy.h"
#include "libs/http/upgrade.h"
#include "libs/http/websocket.h"
#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace asio = boost::asio;
namespace jsonx = resource::jsonx;
namespace ws = http::websocket;
namespace spdy = http::spdy;
using apiserver::PodConnectOptions;
using boost::system::error_code;
using nlohmann::json;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// ---- the pod as the kubelet sees it --------------------------------------------------------------

const json* FindContainer(const json& pod, const std::string& name) {
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    const json& cs = jsonx::Child(jsonx::Child(pod, "spec"), list);
    if (!cs.is_array()) continue;
    for (const auto& c : cs) {
      if (jsonx::Str(c, "name") == name) return &c;
    }
  }
  return nullptr;
}

const json* FindStatus(const json& pod, const std::string& name) {
  for (const char* list : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    const json& ss = jsonx::Child(jsonx::Child(pod, "status"), list);
    if (!ss.is_array()) continue;
    for (const auto& s : ss) {
      if (jsonx::Str(s, "name") == name) return &s;
    }
  }
  return nullptr;
}

std::set<std::uint16_t> DeclaredPorts(const json& pod) {
  std::set<std::uint16_t> out;
  for (const char* list : {"containers", "initContainers"}) {
    const json& cs = jsonx::Child(jsonx::Child(pod, "spec"), list);
    if (!cs.is_array()) continue;
    for (const auto& c : cs) {
      const json& ports = jsonx::Child(c, "ports");
      if (!ports.is_array()) continue;
      for (const auto& p : ports) {
        const std::int64_t n = jsonx::Int(p, "containerPort");
        if (n > 0 && n <= 65535) out.insert(static_cast<std::uint16_t>(n));
      }
    }
  }
  return out;
}

ProcessContext ContextOf(const json& pod, const json& container) {
  ProcessContext ctx;
  ctx.pod = jsonx::Str(pod, "metadata.name");
  ctx.working_dir = jsonx::Str(container, "workingDir");
  const json& env = jsonx::Child(container, "env");
  if (env.is_array()) {
    for (const auto& e : env) {
      if (jsonx::Has(e, "value") || !jsonx::Has(e, "valueFrom")) ctx.env.emplace_back(jsonx::Str(e, "name"), jsonx::Str(e, "value"));
    }
  }
  return ctx;
}

// The kubelet answers its own refusals in plain text (kubectl: "unable to upgrade connection: ...").
http::Response KubeletError(int status, std::string text) {
  http::Response r;
  r.status = status;
  r.headers.push_back(http::Header{"content-type", "text/plain; charset=utf-8"});
  r.body = std::move(text);
  return r;
}

// kube's SPDY upgrade answer (apimachinery httpstream/spdy).
http::Response SpdySwitch(std::string_view protocol) {
  http::Response r;
  r.status = 101;
  r.headers.push_back(http::Header{"connection", "Upgrade"});
  r.headers.push_back(http::Header{"upgrade", "SPDY/3.1"});
  r.headers.push_back(http::Header{"x-stream-protocol-version", std::string(protocol)});
  return r;
}

bool HeaderHasToken(const http::Request& r, std::string_view name, std::string_view token) {
  for (const auto& h : r.headers) {
    if (h.name != name) continue;
    std::string_view list = h.value;
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view t = list.substr(0, comma);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
      if (t.size() == token.size() &&
          std::equal(t.begin(), t.end(), token.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        return true;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

// ---- exec / attach: the process's side, common to both transports ---------------------------------

// A remotecommand session as the simulated process sees it: stdout/stderr out, stdin in (buffered
// with a bound: a process that does not read holds the client back), the status at the end.
class RemoteSession : public ProcessIo {
 public:
  RemoteSession(asio::any_io_executor ex, const PodConnectOptions& o, const ConnectLimits& limits)
      : o_(o), limits_(limits), stdin_wake_(ex, kNever), drained_(ex, kNever) {}

  asio::awaitable<bool> Stdout(std::string data) override {
    if (!o_.use_stdout) co_return !gone_;
    co_return co_await Send(kChannelStdout, std::move(data));
  }
  asio::awaitable<bool> Stderr(std::string data) override {
    if (o_.tty) co_return co_await Send(kChannelStdout, std::move(data));  // one stream with a terminal
    if (!o_.use_stderr) co_return !gone_;
    co_return co_await Send(kChannelStderr, std::move(data));
  }
  asio::awaitable<std::optional<std::string>> Stdin() override {
    while (stdin_.empty() && !stdin_eof_) co_await stdin_wake_.async_wait(kTuple);
    if (stdin_.empty()) co_return std::nullopt;
    std::string out = std::move(stdin_.front());
    stdin_.pop_front();
    buffered_ -= out.size();
    drained_.cancel();
    co_return std::optional<std::string>(std::move(out));
  }

  // The session's last words: the status (metav1.Status JSON) on the error channel, then the end
  // of the session as the transport has it.
  virtual asio::awaitable<void> Finish(std::string status) = 0;

  void EndStdin() {
    stdin_eof_ = true;
    stdin_wake_.cancel();
    drained_.cancel();
  }
  bool gone() const { return gone_; }
  bool closed() const override { return gone_; }
  void on_gone(std::function<void()> fn) { on_gone_ = std::move(fn); }

 protected:
  static constexpr auto kNever = asio::steady_timer::time_point::max();

  // One chunk out on a remotecommand channel (stdout, stderr, error); false once the client is gone.
  virtual asio::awaitable<bool> Send(std::uint8_t channel, std::string data) = 0;

  // Stdin bytes from the client; waits while too much is buffered.
  asio::awaitable<void> PushStdin(std::string_view data) {
    if (!o_.use_stdin || stdin_eof_ || data.empty()) co_return;
    buffered_ += data.size();
    stdin_.emplace_back(data);
    stdin_wake_.cancel();
    while (buffered_ > limits_.max_stdin_buffered && !stdin_eof_) co_await drained_.async_wait(kTuple);
  }
  // The client left (or the connection failed): the process sees stdin end and output fail.
  void Gone() {
    if (gone_) return;
    gone_ = true;
    EndStdin();
    if (on_gone_) on_gone_();
  }

  const PodConnectOptions& o_;
  const ConnectLimits& limits_;

 private:
  std::deque<std::string> stdin_;
  std::size_t buffered_ = 0;
  bool stdin_eof_ = false;
  bool gone_ = false;
  std::function<void()> on_gone_;
  asio::steady_timer stdin_wake_;
  asio::steady_timer drained_;
};

asio::awaitable<void> RunExec(RemoteSession& s, std::vector<std::string> argv, ProcessContext ctx) {
  const std::vector<std::string> shown = argv;
  const int code = co_await RunSimulatedCommand(std::move(argv), ctx, s);
  co_await s.Finish(ExitStatusJson(code, shown));
}

asio::awaitable<void> PumpOutput(RemoteSession& s, std::shared_ptr<apiserver::ChunkStream> out) {
  for (;;) {
    std::optional<std::string> chunk = co_await out->Next();
    if (!chunk) break;
    const bool more = co_await s.Stdout(std::move(*chunk));  // (never co_await in a || operand: GCC 12)
    if (!more) break;
  }
  s.EndStdin();  // the main process ended: its stdin with it
}

asio::awaitable<void> EchoStdin(RemoteSession& s) {
  for (;;) {
    std::optional<std::string> in = co_await s.Stdin();
    if (!in) break;
    const bool more = co_await s.Stdout(std::move(*in));
    if (!more) break;
  }
}

asio::awaitable<void> RunAttach(RemoteSession& s, std::shared_ptr<apiserver::ChunkStream> out, bool echo_stdin) {
  std::weak_ptr<apiserver::ChunkStream> weak = out;
  s.on_gone([weak] {
    if (auto o = weak.lock()) o->Cancel();
  });
  if (s.gone()) out->Cancel();
  if (echo_stdin) {
    asio::awaitable<void> pump = PumpOutput(s, out);  // named: no temporaries in the co_await (GCC 12)
    asio::awaitable<void> echo = EchoStdin(s);
    co_await (std::move(pump) && std::move(echo));
  } else {
    co_await PumpOutput(s, out);
  }
  s.on_gone(nullptr);
  co_await s.Finish(ExitStatusJson(0, {}));
}

// ---- exec / attach over the remotecommand WebSocket protocol (v5, v4) -----------------------------

class ChannelSession final : public RemoteSession {
 public:
  ChannelSession(ws::Connection& conn, bool v5, const PodConnectOptions& o, const ConnectLimits& limits)
      : RemoteSession(conn.stream().get_executor(), o, limits), ws_(conn), v5_(v5) {}

  // Client → server until the connection ends: stdin, resize (ignored), v5 close signals.
  asio::awaitable<void> ReadLoop() {
    ws::Message m;
    while (!co_await ws_.Read(m)) {
      auto f = ParseChannelFrame(m.data);
      if (!f) continue;
      if (f->channel == kChannelStdin) {
        co_await PushStdin(f->payload);
      } else if (v5_ && f->channel == kChannelClose && !f->payload.empty() &&
                 static_cast<std::uint8_t>(f->payload[0]) == kChannelStdin) {
        EndStdin();
      }
    }
    Gone();
  }

  // The status, then the close handshake (the reader sees the client's answer; a client that never
  // answers is dropped after close_timeout).
  asio::awaitable<void> Finish(std::string status) override {
    if (gone()) co_return;
    co_await Send(kChannelError, std::move(status));
    co_await ws_.SendClose(ws::kCloseNormal);
    http::StreamLimits quick;
    quick.idle_timeout = limits_.close_timeout;
    quick.write_timeout = limits_.close_timeout;
    ws_.stream().set_limits(quick);
  }

 private:
  asio::awaitable<bool> Send(std::uint8_t channel, std::string data) override {
    if (gone()) co_return false;
    // A named frame and result: GCC 12 mishandles temporaries in a co_await inside a condition.
    const std::string frame = ChannelFrame(channel, data);
    const error_code ec = co_await ws_.Write(ws::Opcode::kBinary, frame);
    if (ec) {
      Gone();
      co_return false;
    }
    co_return true;
  }

  ws::Connection& ws_;
  const bool v5_;
};

// ---- exec / attach over SPDY/3.1 (v4.channel.k8s.io; kubectl with WebSockets off) ----------------

// The client opens one stream per channel (header streamType: error, stdin, stdout, stderr,
// resize); the process starts once every stream the options ask for exists, as the kubelet waits.
class SpdySession final : public RemoteSession, public spdy::StreamHandler {
 public:
  SpdySession(spdy::Session& session, const PodConnectOptions& o, const ConnectLimits& limits)
      : RemoteSession(session.stream().get_executor(), o, limits),
        session_(session),
        ready_wake_(session.stream().get_executor(), kNever) {}

  asio::awaitable<void> OnStream(std::uint32_t id, const http::Headers& headers, bool fin) override {
    std::string type;
    for (const auto& h : headers) {
      if (h.name == "streamtype") type = h.value;
    }
    std::uint32_t* slot = Slot(type);
    if (slot == nullptr || *slot != 0) {  // unknown or repeated: refused, as the kubelet does
      co_await session_.Reset(id, spdy::kProtocolError);
      co_return;
    }
    *slot = id;
    if (type == "stdin" && fin) EndStdin();
    if (Ready()) ready_wake_.cancel();
  }

  asio::awaitable<void> OnData(std::uint32_t id, std::string_view data, bool fin) override {
    if (id != stdin_) co_return;  // resize: ignored (no terminal to size); nothing else is read
    co_await PushStdin(data);
    if (fin) EndStdin();
  }

  void OnReset(std::uint32_t id) override {
    if (id == stdin_) EndStdin();
    if (id == error_ || id == stdout_ || id == stderr_) Gone();  // nobody reads the results any more
  }

  // Until the session ends (the client's GOAWAY or EOF, an error, a protocol violation).
  asio::awaitable<void> ReadLoop() {
    co_await session_.Run(*this);
    Gone();
    ready_wake_.cancel();
  }

  // The streams the options need, within the kubelet's stream creation timeout.
  asio::awaitable<bool> WaitReady() {
    asio::steady_timer deadline(session_.stream().get_executor(), limits_.stream_creation_timeout);
    ready_wake_.expires_at(kNever);
    auto* wake = &ready_wake_;
    deadline.async_wait([wake](const error_code& ec) {
      if (!ec) wake->cancel();
    });
    while (!Ready() && !gone() && deadline.expiry() > asio::steady_timer::clock_type::now()) {
      co_await ready_wake_.async_wait(kTuple);
    }
    deadline.cancel();
    co_return Ready() && !gone();
  }

  // Output streams end (FIN), the status goes on the error stream and it ends too (the client reads
  // it to EOF); then the client closes the connection, or is dropped after close_timeout.
  asio::awaitable<void> Finish(std::string status) override {
    if (gone()) co_return;
    if (stdout_ != 0) co_await session_.SendData(stdout_, "", true);
    if (stderr_ != 0) co_await session_.SendData(stderr_, "", true);
    if (error_ != 0) co_await session_.SendData(error_, status, true);
    Close();
  }

  // The connection ends now (the reader returns).
  void Drop() { session_.stream().Close(); }

  // A client that does not hang up is dropped after close_timeout.
  void Close() {
    http::StreamLimits quick;
    quick.idle_timeout = limits_.close_timeout;
    quick.write_timeout = limits_.close_timeout;
    session_.stream().set_limits(quick);
  }

 private:
  std::uint32_t* Slot(const std::string& type) {
    if (type == "error") return &error_;
    if (type == "stdin" && o_.use_stdin) return &stdin_;
    if (type == "stdout" && o_.use_stdout) return &stdout_;
    if (type == "stderr" && o_.use_stderr) return &stderr_;
    if (type == "resize" && o_.tty) return &resize_;
    return nullptr;
  }
  bool Ready() const {
    return error_ != 0 && (!o_.use_stdin || stdin_ != 0) && (!o_.use_stdout || stdout_ != 0) &&
           (!o_.use_stderr || stderr_ != 0);  // resize is optional (older clients)
  }

  asio::awaitable<bool> Send(std::uint8_t channel, std::string data) override {
    if (gone()) co_return false;
    std::uint32_t id = error_;
    if (channel == kChannelStdout) id = stdout_;
    if (channel == kChannelStderr) id = stderr_;
    if (id == 0) co_return true;
    const error_code ec = co_await session_.SendData(id, data, false);
    if (ec) {
      Gone();
      co_return false;
    }
    co_return true;
  }

  spdy::Session& session_;
  asio::steady_timer ready_wake_;
  std::uint32_t error_ = 0, stdin_ = 0, stdout_ = 0, stderr_ = 0, resize_ = 0;
};

// ---- the simulated HTTP server behind every declared port ----------------------------------------

// A complete request head in `buf`, answered; nullopt while incomplete.
std::optional<std::string> HelloResponse(const std::string& buf, const std::string& pod, std::uint16_t port) {
  if (buf.find("\r\n\r\n") == std::string::npos && buf.find("\n\n") == std::string::npos) return std::nullopt;
  const std::string body = "hello from " + pod + ":" + std::to_string(port) + "\n";
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!buf.starts_with("HEAD ")) out += body;
  return out;
}

constexpr std::string_view kTooLarge =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// The kubelet's message when nothing listens on the port in the pod's network namespace.
std::string RefusedMessage(std::uint16_t port, const std::string& sandbox) {
  const std::string p = std::to_string(port);
  return "error forwarding port " + p + " to pod " + sandbox + ", uid : failed to execute portforward in network namespace \"/var/run/netns/cni-" +
         sandbox.substr(0, 8) + "\": failed to connect to localhost:" + p + " inside namespace \"" + sandbox +
         "\", IPv4: dial tcp4 127.0.0.1:" + p + ": connect: connection refused IPv6 dial tcp6 [::1]:" + p +
         ": connect: connection refused ";
}

struct ForwardTarget {
  std::string pod;
  std::string sandbox;  // the pod sandbox id the kubelet names in errors
  std::set<std::uint16_t> ports;
};

// ---- port-forward over SPDY (direct or tunnelled) ------------------------------------------------

class SpdyPortForward final : public spdy::StreamHandler {
 public:
  SpdyPortForward(spdy::Session& session, const ForwardTarget& target, const ConnectLimits& limits)
      : session_(session), target_(target), limits_(limits) {}

  // The kubelet pairs an error and a data stream by requestid, then forwards the data stream's port.
  asio::awaitable<void> OnStream(std::uint32_t id, const http::Headers& headers, bool) override {
    std::string type, port, request_id;
    for (const auto& h : headers) {
      if (h.name == "streamtype") type = h.value;
      if (h.name == "port") port = h.value;
      if (h.name == "requestid") request_id = h.value;
    }
    if (request_id.empty()) request_id = std::to_string(type == "data" && id > 2 ? id - 2 : id);  // pre-requestid clients
    if (type != "data" && type != "error") {
      co_await session_.Reset(id, spdy::kProtocolError);
      co_return;
    }
    Pair& p = pairs_[request_id];
    (type == "data" ? p.data_id : p.error_id) = id;
    if (type == "data") p.port = port;
    by_stream_[id] = request_id;
    if (p.data_id != 0 && p.error_id != 0) co_await Start(request_id);
  }

  asio::awaitable<void> OnData(std::uint32_t id, std::string_view data, bool fin) override {
    auto it = by_stream_.find(id);
    if (it == by_stream_.end()) co_return;
    const std::string request_id = it->second;
    auto pit = pairs_.find(request_id);
    if (pit == pairs_.end() || pit->second.data_id != id) co_return;  // the error stream carries nothing
    Pair& p = pit->second;
    if (p.request.size() + data.size() > limits_.max_http_request_bytes) {
      co_await End(request_id, std::string(kTooLarge), "");
      co_return;
    }
    p.request.append(data);
    if (p.serving) {
      if (auto reply = HelloResponse(p.request, target_.pod, p.number)) {
        co_await End(request_id, *reply, "");
        co_return;
      }
    }
    if (fin && p.serving) co_await End(request_id, "", "");
  }

  void OnReset(std::uint32_t id) override {
    auto it = by_stream_.find(id);
    if (it == by_stream_.end()) return;
    pairs_.erase(it->second);
    by_stream_.erase(it);
  }

 private:
  struct Pair {
    std::uint32_t data_id = 0, error_id = 0;
    std::string port;
    std::uint16_t number = 0;
    std::string request;
    bool serving = false;
  };

  asio::awaitable<void> Start(const std::string& request_id) {
    Pair& p = pairs_[request_id];
    unsigned n = 0;
    auto [ptr, ec] = std::from_chars(p.port.data(), p.port.data() + p.port.size(), n);
    if (ec != std::errc() || ptr != p.port.data() + p.port.size() || n == 0 || n > 65535) {
      co_await End(request_id, "", "invalid port " + p.port);
      co_return;
    }
    p.number = static_cast<std::uint16_t>(n);
    if (target_.ports.count(p.number) == 0) {
      co_await End(request_id, "", RefusedMessage(p.number, target_.sandbox));
      co_return;
    }
    p.serving = true;
    if (auto reply = HelloResponse(p.request, target_.pod, p.number)) co_await End(request_id, *reply, "");
  }

  // Answers and half-closes both streams (the connection to the "container" closed).
  asio::awaitable<void> End(std::string request_id, std::string data, std::string error) {
    auto it = pairs_.find(request_id);
    if (it == pairs_.end()) co_return;
    const std::uint32_t data_id = it->second.data_id, error_id = it->second.error_id;
    pairs_.erase(it);
    by_stream_.erase(data_id);
    by_stream_.erase(error_id);
    co_await session_.SendData(data_id, data, true);
    co_await session_.SendData(error_id, error, true);
  }

  spdy::Session& session_;
  const ForwardTarget& target_;
  const ConnectLimits& limits_;
  std::map<std::string, Pair> pairs_;
  std::map<std::uint32_t, std::string> by_stream_;
};

asio::awaitable<void> RunSpdyPortForward(http::UpgradedStream& stream, const ForwardTarget& target,
                                         const ConnectLimits& limits) {
  spdy::Limits sl;
  sl.max_frame_bytes = limits.max_message_bytes;
  spdy::Session session(stream, sl);
  SpdyPortForward handler(session, target, limits);
  co_await session.Run(handler);
}

// ---- port-forward over the WebSocket channel protocol ---------------------------------------------

// One binary message; false once the connection is gone. The payload is owned by this frame (GCC 12
// mishandles temporaries that a co_await expression's callee only views).
asio::awaitable<bool> SendBinary(ws::Connection& conn, std::string payload) {
  const error_code ec = co_await conn.Write(ws::Opcode::kBinary, payload);
  co_return !ec;
}

asio::awaitable<void> RunChannelPortForward(ws::Connection& conn, const std::vector<std::uint16_t>& ports,
                                            const ForwardTarget& target, const ConnectLimits& limits) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto data = static_cast<std::uint8_t>(2 * i);
    bool ok = co_await SendBinary(conn, PortPrefixFrame(data, ports[i]));
    if (ok) ok = co_await SendBinary(conn, PortPrefixFrame(data + 1, ports[i]));
    if (ok && target.ports.count(ports[i]) == 0) {
      ok = co_await SendBinary(conn, ChannelFrame(data + 1, RefusedMessage(ports[i], target.sandbox)));
    }
    if (!ok) co_return;
  }
  std::vector<std::string> requests(ports.size());
  ws::Message m;
  while (!co_await conn.Read(m)) {
    auto f = ParseChannelFrame(m.data);
    if (!f || f->channel % 2 != 0 || f->channel / 2 >= ports.size()) continue;
    const std::size_t i = f->channel / 2;
    if (target.ports.count(ports[i]) == 0) continue;
    requests[i].append(f->payload);
    std::optional<std::string> reply;
    if (requests[i].size() > limits.max_http_request_bytes) {
      reply = std::string(kTooLarge);
    } else {
      reply = HelloResponse(requests[i], target.pod, ports[i]);
    }
    if (!reply) continue;
    requests[i].clear();
    const bool ok = co_await SendBinary(conn, ChannelFrame(f->channel, *reply));
    if (!ok) break;
  }
}

std::string SandboxId(const json& pod) {
  std::string uid = jsonx::Str(pod, "metadata.uid");
  uid.erase(std::remove(uid.begin(), uid.end(), '-'), uid.end());
  return uid.empty() ? jsonx::Str(pod, "metadata.name") : uid;
}

asio::awaitable<void> PortForward(const json& pod, PodConnectOptions o, http::Request& req, http::ResponseWriter& w,
                                  const ConnectLimits& limits) {
  ForwardTarget target;
  target.pod = jsonx::Str(pod, "metadata.name");
  target.sandbox = SandboxId(pod);
  target.ports = DeclaredPorts(pod);
  if (ws::IsWebSocketRequest(req)) {
    const std::vector<std::string> offered = ws::OfferedProtocols(req);
    const bool tunnel = std::find(offered.begin(), offered.end(), kSpdyTunnelPortForward) != offered.end();
    std::string channel;
    for (const auto& p : offered) {
      if (p == kPortForwardV1 || p == kStreamV4) channel = p;
    }
    if (!tunnel && channel.empty() && !offered.empty()) {
      co_return co_await w.Send(KubeletError(400, "unable to upgrade: unable to negotiate protocol: client supports " +
                                                      std::to_string(offered.size()) + " protocols, none of [" +
                                                      std::string(kSpdyTunnelPortForward) + " " +
                                                      std::string(kPortForwardV1) + "]"));
    }
    if (!tunnel && o.ports.empty()) {
      co_return co_await w.Send(KubeletError(400, "query parameter \"port\" is required"));
    }
    std::string chosen = tunnel ? std::string(kSpdyTunnelPortForward) : channel;
    std::unique_ptr<http::UpgradedStream> stream = co_await http::AcceptUpgrade(req, ws::SwitchingProtocols(req, chosen));
    if (!stream) co_return co_await w.Send(KubeletError(400, "Upgrade request required"));
    ws::Limits wl;
    wl.max_message_bytes = limits.max_message_bytes;
    wl.close_timeout = limits.close_timeout;
    ws::Connection conn(*stream, ws::Role::kServer, wl);
    if (tunnel) {
      ws::Tunnel t(conn);
      co_await RunSpdyPortForward(t, target, limits);
    } else {
      co_await RunChannelPortForward(conn, o.ports, target, limits);
    }
    co_await conn.Close();
    co_return;
  }
  if (!HeaderHasToken(req, "upgrade", "SPDY/3.1") || !HeaderHasToken(req, "x-stream-protocol-version", kPortForwardV1)) {
    co_return co_await w.Send(KubeletError(400, "unable to upgrade: unable to negotiate protocol: server supports [" +
                                                    std::string(kPortForwardV1) + "]"));
  }
  std::unique_ptr<http::UpgradedStream> stream = co_await http::AcceptUpgrade(req, SpdySwitch(kPortForwardV1));
  if (!stream) co_return co_await w.Send(KubeletError(400, "Upgrade request required"));
  co_await RunSpdyPortForward(*stream, target, limits);
}

// The process of an exec (the command) or an attach (the container's main process).
asio::awaitable<void> RunProcess(RemoteSession& s, const PodConnectOptions& o, ProcessContext ctx,
                                 std::shared_ptr<apiserver::ChunkStream> output, bool echo_stdin) {
  if (o.subresource == "exec") {
    std::vector<std::string> argv = o.command;
    co_await RunExec(s, std::move(argv), std::move(ctx));
  } else {
    co_await RunAttach(s, std::move(output), echo_stdin);
  }
}

asio::awaitable<void> RunSpdyProcess(SpdySession& s, const PodConnectOptions& o, ProcessContext ctx,
                                     std::shared_ptr<apiserver::ChunkStream> output, bool echo_stdin) {
  const bool ready = co_await s.WaitReady();
  if (!ready) {
    // The kubelet gives up on a client that does not open its streams: the connection ends.
    if (output) output->Cancel();
    s.Drop();
    co_return;
  }
  co_await RunProcess(s, o, std::move(ctx), std::move(output), echo_stdin);
}

}  // namespace

asio::awaitable<void> ServePodConnect(const registry::GenericRegistry& objects, const SyntheticPodStreams& logs,
                                      std::string ns, std::string pod_name, PodConnectOptions o, http::Request& req,
                                      http::ResponseWriter& w, ConnectLimits limits) {
  const resource::Kind* kind = objects.Find("", "pods");
  if (kind == nullptr) co_return co_await w.Send(KubeletError(404, "pod does not exist"));
  auto got = objects.GetJson(*kind, ns, pod_name);
  if (!got) co_return co_await w.Send(KubeletError(404, "pod does not exist"));
  const json pod = std::move(*got);
  if (o.subresource == "portforward") co_return co_await PortForward(pod, std::move(o), req, w, limits);

  // exec / attach: the container must be running (the kubelet's findContainer, then the runtime).
  const json* status = FindStatus(pod, o.container);
  const json* container = FindContainer(pod, o.container);
  if (status == nullptr || container == nullptr || jsonx::At(*status, "state.waiting").is_object()) {
    co_return co_await w.Send(KubeletError(500, "container not found (\"" + o.container + "\")"));
  }
  if (!jsonx::At(*status, "state.running").is_object()) {
    co_return co_await w.Send(KubeletError(
        500, "rpc error: code = Unknown desc = failed to exec in container: container is in CONTAINER_EXITED state"));
  }
  const bool websocket = ws::IsWebSocketRequest(req);
  std::optional<std::string> protocol;
  if (websocket) {
    protocol = ChooseStreamProtocol(ws::OfferedProtocols(req));
  } else if (HeaderHasToken(req, "upgrade", "SPDY/3.1")) {
    // SPDY (kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, older clients): v4 only, the
    // version whose error stream carries a metav1.Status (exit codes).
    if (HeaderHasToken(req, "x-stream-protocol-version", kStreamV4)) protocol = std::string(kStreamV4);
  } else {
    co_return co_await w.Send(KubeletError(400, "Upgrade request required"));
  }
  if (!protocol) {
    co_return co_await w.Send(KubeletError(403, "unable to upgrade: unable to negotiate protocol: server supports [" +
                                                    std::string(kStreamV5) + " " + std::string(kStreamV4) + "]"));
  }
  // Attach follows the container's output from now on (what a freshly attached terminal sees).
  std::shared_ptr<apiserver::ChunkStream> output;
  if (o.subresource == "attach") {
    apiserver::PodLogOptions lo;
    lo.container = o.container;
    lo.follow = true;
    lo.tail_lines = 0;
    auto opened = logs.Open(ns, pod_name, lo);
    if (!opened) co_return co_await w.Send(KubeletError(500, opened.error().message));
    output = std::move(*opened);
  }
  http::Response switching = SpdySwitch(*protocol);  // (no ?: in a coroutine: GCC 12)
  if (websocket) switching = ws::SwitchingProtocols(req, *protocol);
  std::unique_ptr<http::UpgradedStream> stream = co_await http::AcceptUpgrade(req, std::move(switching));
  if (!stream) co_return co_await w.Send(KubeletError(400, "Upgrade request required"));
  ProcessContext ctx = ContextOf(pod, *container);
  const bool echo = o.use_stdin && jsonx::Bool(*container, "stdin");
  if (websocket) {
    ws::Limits wl;
    wl.max_message_bytes = limits.max_message_bytes;
    wl.close_timeout = limits.close_timeout;
    ws::Connection conn(*stream, ws::Role::kServer, wl);
    ChannelSession session(conn, *protocol == kStreamV5, o, limits);
    // Both halves as named awaitables: no temporaries inside the co_await expression (GCC 12).
    asio::awaitable<void> reader = session.ReadLoop();
    asio::awaitable<void> process = RunProcess(session, o, std::move(ctx), output, echo);
    co_await (std::move(reader) && std::move(process));
    co_return;
  }
  spdy::Limits sl;
  sl.max_frame_bytes = limits.max_message_bytes;
  spdy::Session conn(*stream, sl);
  SpdySession session(conn, o, limits);
  asio::awaitable<void> reader = session.ReadLoop();
  asio::awaitable<void> process = RunSpdyProcess(session, o, std::move(ctx), output, echo);
  co_await (std::move(reader) && std::move(process));
}

}  // namespace vkube::hostsim
