// exec / attach / portforward of simulated pods, end to end in memory: the API server's option
// parsing and target checks, the simulated process table, the remotecommand channel protocol and
// port-forward over SPDY tunnelled in WebSocket, each driven by a client-role peer over a pipe.
#include "hostsim/pod_connect.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <functional>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "apiserver-proxy/bootstrap.h"
#include "hostsim/sim_process.h"
#include "hostsim/stream_protocol.h"
#include "hostsim/synthetic_logs.h"
#include "libs/http/spdy.h"
#include "libs/http/testing/capturing_writer.h"
#include "libs/http/testing/pipe_stream.h"
#include "libs/http/websocket.h"
#include "libs/store/sqlite_store.h"

namespace vkube::hostsim {
namespace {

namespace asio = boost::asio;
namespace ws = http::websocket;
namespace spdy = http::spdy;
using apiserver::PodConnectOptions;
using http::testing::PipeStream;
using nlohmann::json;

// ---- options and target (the API server's half) ----------------------------------------------------

TEST(PodConnectOptions, ExecNeedsACommandAndAStream) {
  auto o = apiserver::ParsePodConnectOptions("exec", "command=sh&command=-c&command=exit+3&stdout=true&stderr=1&container=web");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->command, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(o->container, "web");
  EXPECT_TRUE(o->use_stdout && o->use_stderr && !o->use_stdin && !o->tty);
  auto none = apiserver::ParsePodConnectOptions("exec", "stdout=true");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "you must specify at least one command for the container");
  EXPECT_EQ(none.error().code, ErrorCode::kBadRequest);
  auto silent = apiserver::ParsePodConnectOptions("exec", "command=ls");
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().message, "you must specify at least 1 of stdin, stdout, stderr");
  auto tty = apiserver::ParsePodConnectOptions("attach", "stdin=true&stdout=true&stderr=true&tty=true");
  ASSERT_TRUE(tty.ok());
  EXPECT_FALSE(tty->use_stderr);  // the kubelet drops stderr with a TTY
  EXPECT_FALSE(apiserver::ParsePodConnectOptions("exec", "command=ls&stdout=maybe").ok());
  auto pct = apiserver::ParsePodConnectOptions("exec", "command=echo&command=a%2Bb%20c&stdout=1");
  ASSERT_TRUE(pct.ok());
  EXPECT_EQ(pct->command[1], "a+b c");
}

TEST(PodConnectOptions, PortForwardPorts) {
  auto o = apiserver::ParsePodConnectOptions("portforward", "ports=80,8080&ports=443");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->ports, (std::vector<std::uint16_t>{80, 8080, 443}));
  EXPECT_TRUE(apiserver::ParsePodConnectOptions("portforward", "").ok());  // SPDY clients name ports per stream
  EXPECT_FALSE(apiserver::ParsePodConnectOptions("portforward", "ports=0").ok());
  EXPECT_FALSE(apiserver::ParsePodConnectOptions("portforward", "ports=70000").ok());
  EXPECT_FALSE(apiserver::ParsePodConnectOptions("portforward", "ports=http").ok());
}

TEST(PodConnectTarget, ContainerAndNodeChecksUseKubesWords) {
  json pod = json::parse(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}],"initContainers":[{"name":"i"}]}})");
  PodConnectOptions o;
  o.subresource = "exec";
  auto st = apiserver::ResolveStreamTarget(pod, "p", o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]");
  o.container = "z";
  EXPECT_EQ(apiserver::ResolveStreamTarget(pod, "p", o).error().message, "container z is not valid for pod p");
  o.container = "i";
  EXPECT_EQ(apiserver::ResolveStreamTarget(pod, "p", o).error().message, "pod p does not have a host assigned");
  pod["spec"]["nodeName"] = "vkube-node-0";
  EXPECT_TRUE(apiserver::ResolveStreamTarget(pod, "p", o).ok());
  json one = json::parse(R"({"spec":{"nodeName":"n","containers":[{"name":"only"}]}})");
  PodConnectOptions a;
  a.subresource = "attach";
  ASSERT_TRUE(apiserver::ResolveStreamTarget(one, "p", a).ok());
  EXPECT_EQ(a.container, "only");
}

// ---- wire formats and the process table ----------------------------------------------------------

TEST(StreamProtocol, SubprotocolsFramesAndStatus) {
  EXPECT_EQ(ChooseStreamProtocol({"v4.channel.k8s.io", "v5.channel.k8s.io"}), "v5.channel.k8s.io");
  EXPECT_EQ(ChooseStreamProtocol({"v4.channel.k8s.io", "channel.k8s.io"}), "v4.channel.k8s.io");
  EXPECT_FALSE(ChooseStreamProtocol({"channel.k8s.io"}));
  EXPECT_EQ(ChannelFrame(kChannelStderr, "x"), std::string("\x02x", 2));
  const std::string close_frame("\xff\x00", 2);  // the view in the result points into it
  auto m = ParseChannelFrame(close_frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, kChannelClose);
  EXPECT_EQ(m->payload, std::string("\x00", 1));
  EXPECT_FALSE(ParseChannelFrame(""));
  EXPECT_EQ(json::parse(ExitStatusJson(0, {"true"})), json::parse(R"({"metadata":{},"status":"Success"})"));
  json failed = json::parse(ExitStatusJson(3, {"sh", "-c", "exit 3"}));
  EXPECT_EQ(failed["status"], "Failure");
  EXPECT_EQ(failed["reason"], "NonZeroExitCode");
  EXPECT_EQ(failed["details"]["causes"][0], json::parse(R"({"reason":"ExitCode","message":"3"})"));
  EXPECT_EQ(PortPrefixFrame(2, 8080), std::string("\x02\x90\x1f", 3));  // little-endian
}

class FakeIo final : public ProcessIo {
 public:
  asio::awaitable<bool> Stdout(std::string d) override {
    out += d;
    co_return true;
  }
  asio::awaitable<bool> Stderr(std::string d) override {
    err += d;
    co_return true;
  }
  asio::awaitable<std::optional<std::string>> Stdin() override {
    if (in.empty()) co_return std::nullopt;
    std::string first = in.front();
    in.erase(in.begin());
    co_return std::optional<std::string>(first);
  }
  std::vector<std::string> in;
  std::string out, err;
};

int Exec(std::vector<std::string> argv, FakeIo& io) {
  asio::io_context ctx;
  ProcessContext pc;
  pc.pod = "web-1";
  pc.env = {{"GREETING", "hi there"}};
  auto f = asio::co_spawn(ctx, RunSimulatedCommand(std::move(argv), pc, io), asio::use_future);
  ctx.run();
  return f.get();
}

TEST(SimProcess, CommandTable) {
  FakeIo a;
  EXPECT_EQ(Exec({"echo", "hi", "there"}, a), 0);
  EXPECT_EQ(a.out, "hi there\n");
  FakeIo b;
  EXPECT_EQ(Exec({"sh", "-c", "exit 3"}, b), 3);
  FakeIo c;
  EXPECT_EQ(Exec({"/bin/false"}, c), 1);
  FakeIo d;
  d.in = {"abc", "def\n"};
  EXPECT_EQ(Exec({"cat"}, d), 0);
  EXPECT_EQ(d.out, "abcdef\n");
  FakeIo e;
  EXPECT_EQ(Exec({"hostname"}, e), 0);
  EXPECT_EQ(e.out, "web-1\n");
  FakeIo f;
  EXPECT_EQ(Exec({"env"}, f), 0);
  EXPECT_NE(f.out.find("\nGREETING=hi there\n"), std::string::npos);
  EXPECT_NE(f.out.find("HOSTNAME=web-1\n"), std::string::npos);
  FakeIo g;
  EXPECT_EQ(Exec({"nope", "x"}, g), kCommandNotFound);
  EXPECT_EQ(g.err, "sh: nope: not found\n");
  EXPECT_TRUE(g.out.empty());
  FakeIo h;
  EXPECT_EQ(Exec({"bash", "-c", "echo 'a  b' \"c d\" e\\ f"}, h), 0);
  EXPECT_EQ(h.out, "a  b c d e f\n");
  FakeIo i;
  EXPECT_EQ(Exec({"sh", "-c", "exit 300"}, i), 44);  // mod 256
  EXPECT_EQ(SplitWords("  one\t'two three'  "), (std::vector<std::string>{"one", "two three"}));
  FakeIo j;
  EXPECT_EQ(Exec({"ls"}, j), 0);
  EXPECT_EQ(j.out, "bin\ndev\netc\nhome\nproc\nroot\nsys\ntmp\nusr\nvar\n");
  FakeIo k;
  EXPECT_EQ(Exec({"ls", "/etc", "/nope"}, k), 2);
  EXPECT_EQ(k.err, "ls: cannot access '/nope': No such file or directory\n");
  FakeIo l;
  EXPECT_EQ(Exec({"date"}, l), 0);
  EXPECT_EQ(l.out.size(), std::string("Mon Jan  2 15:04:05 UTC 2006\n").size()) << l.out;
  EXPECT_NE(l.out.find(" UTC 20"), std::string::npos);
  FakeIo m;
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(Exec({"sleep", "0.2"}, m), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(190));
  FakeIo n;
  EXPECT_EQ(Exec({"sleep", "soon"}, n), 1);
  EXPECT_EQ(n.err, "sleep: invalid time interval 'soon'\n");
  FakeIo o;
  EXPECT_EQ(Exec({"sh", "-c", "sh -c 'exit 7'"}, o), 7);
}

// ---- sessions over an in-memory connection ---------------------------------------------------------

// Hands the server end of a pipe to the handler as "the upgraded connection".
class PipeUpgrader final : public http::Upgrader {
 public:
  explicit PipeUpgrader(std::unique_ptr<PipeStream> end) : end_(std::move(end)) {}
  asio::awaitable<std::unique_ptr<http::UpgradedStream>> Upgrade(http::Response r) override {
    switched = std::move(r);
    co_return std::unique_ptr<http::UpgradedStream>(std::move(end_));
  }
  http::Response switched;

 private:
  std::unique_ptr<PipeStream> end_;
};

http::Request WebSocketRequest(std::string protocol, http::Upgrader* up) {
  http::Request r;
  r.method = "GET";
  r.headers = {{"connection", "Upgrade"},
               {"upgrade", "websocket"},
               {"sec-websocket-version", "13"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"sec-websocket-protocol", std::move(protocol)}};
  r.upgrader = up;
  return r;
}

class PodConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vkube-podconnect-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto st = store::SqliteStore::Open({.path = dir_ + "/store.db"});
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    auto kinds = resource::Registry::BuiltIn();
    ASSERT_TRUE(apiserver::EnsureSystemNamespaces(*store_, *kinds).ok());
    objects_ = std::make_shared<registry::GenericRegistry>(store_, kinds);
    logs_ = std::make_unique<SyntheticPodStreams>(objects_, std::make_shared<SimConfig>());
    const resource::Kind* pods = objects_->Find("", "pods");
    json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},
      "spec":{"nodeName":"vkube-node-0","containers":[{"name":"web","image":"nginx",
        "ports":[{"containerPort":80}],"env":[{"name":"MODE","value":"test"}]}]}})");
    ASSERT_TRUE(objects_->Create(*pods, "default", pod).ok());
    auto running = objects_->GuaranteedUpdate(
        *pods, "default", "web",
        [](const json& cur) -> Result<json> {
          json p = cur;
          p["status"]["phase"] = "Running";
          p["status"]["containerStatuses"] = json::parse(
              R"([{"name":"web","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}])");
          return p;
        },
        registry::WriteOptions{.subresource = "status"});
    ASSERT_TRUE(running.ok()) << running.error().message;
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // Runs the kubelet side for `request` against `client` (a coroutine on the client end): a
  // WebSocket upgrade offering `protocol`, or with `spdy` a SPDY/3.1 upgrade asking for it.
  template <class Client>
  http::Response Session(PodConnectOptions o, std::string protocol, Client client, bool spdy = false,
                         ConnectLimits limits = {}) {
    asio::io_context io;
    auto ends = PipeStream::Make(io.get_executor());
    PipeStream& client_end = *ends.second;
    PipeUpgrader up(std::move(ends.first));
    http::Request req = WebSocketRequest(protocol, &up);
    if (spdy) {
      req.method = "POST";
      req.headers = {{"connection", "Upgrade"}, {"upgrade", "SPDY/3.1"}, {"x-stream-protocol-version", protocol},
                     {"x-stream-protocol-version", "v3.channel.k8s.io"}};
    }
    http::testing::CapturingWriter w;
    auto server = asio::co_spawn(
        io, ServePodConnect(*objects_, *logs_, "default", "web", std::move(o), req, w, limits), asio::use_future);
    auto peer = asio::co_spawn(io, client(client_end), asio::use_future);
    io.run_for(std::chrono::seconds(10));
    const bool ended = server.wait_for(std::chrono::seconds(0)) == std::future_status::ready &&
                       peer.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    EXPECT_TRUE(ended) << "a session did not end";
    if (ended) {
      server.get();
      peer.get();
    }
    return w.done ? w.response : up.switched;
  }

  std::string dir_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<registry::GenericRegistry> objects_;
  std::unique_ptr<SyntheticPodStreams> logs_;
};

PodConnectOptions ExecOptions(std::vector<std::string> argv, bool in) {
  PodConnectOptions o;
  o.subresource = "exec";
  o.container = "web";
  o.command = std::move(argv);
  o.use_stdin = in;
  o.use_stdout = o.use_stderr = true;
  return o;
}

// Reads every message until the server closes: stdout, stderr and the status, by channel.
asio::awaitable<std::map<int, std::string>> Collect(ws::Connection& c) {
  std::map<int, std::string> by_channel;
  ws::Message m;
  while (!co_await c.Read(m)) {
    if (auto f = ParseChannelFrame(m.data)) by_channel[f->channel] += std::string(f->payload);
  }
  co_return by_channel;
}

TEST_F(PodConnectTest, ExecEchoExitCodesAndStdinOverV5) {
  std::map<int, std::string> got;
  auto echo = [&](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    got = co_await Collect(c);
  };
  http::Response r = Session(ExecOptions({"echo", "hi"}, false), "v5.channel.k8s.io", echo);
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(got[kChannelStdout], "hi\n");
  EXPECT_EQ(json::parse(got[kChannelError])["status"], "Success");

  Session(ExecOptions({"sh", "-c", "exit 3"}, false), "v4.channel.k8s.io", echo);
  EXPECT_EQ(json::parse(got[kChannelError])["details"]["causes"][0]["message"], "3");

  Session(ExecOptions({"kubectl-not-here"}, false), "v5.channel.k8s.io", echo);
  EXPECT_EQ(got[kChannelStderr], "sh: kubectl-not-here: not found\n");
  EXPECT_EQ(json::parse(got[kChannelError])["details"]["causes"][0]["message"], "127");

  auto cat = [&](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    co_await c.Write(ws::Opcode::kBinary, ChannelFrame(kChannelStdin, "line 1\n"));
    co_await c.Write(ws::Opcode::kBinary, ChannelFrame(kChannelResize, R"({"Width":80,"Height":24})"));
    co_await c.Write(ws::Opcode::kBinary, ChannelFrame(kChannelStdin, "line 2\n"));
    co_await c.Write(ws::Opcode::kBinary, ChannelFrame(kChannelClose, std::string(1, '\0')));  // v5: stdin ends
    got = co_await Collect(c);
  };
  Session(ExecOptions({"cat"}, true), "v5.channel.k8s.io", cat);
  EXPECT_EQ(got[kChannelStdout], "line 1\nline 2\n");
  EXPECT_EQ(json::parse(got[kChannelError])["status"], "Success");
}

TEST_F(PodConnectTest, RefusalsComeBeforeTheUpgrade) {
  auto nothing = [](PipeStream&) -> asio::awaitable<void> { co_return; };
  http::Response r = Session(ExecOptions({"ls"}, false), "base64.channel.k8s.io", nothing);
  EXPECT_EQ(r.status, 403);  // a failed subprotocol negotiation (x/net/websocket, httpstream.Handshake)
  PodConnectOptions wrong = ExecOptions({"ls"}, false);
  wrong.container = "sidecar";  // not running (no status): the kubelet's words
  r = Session(wrong, "v5.channel.k8s.io", nothing);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "container not found (\"sidecar\")");
}

TEST_F(PodConnectTest, PortForwardOverSpdyTunnel) {
  std::map<std::uint32_t, std::string> data;
  std::map<std::uint32_t, bool> fin;
  int replies = 0;
  auto client = [&](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    ws::Tunnel t(c);
    spdy::HeaderCompressor hc;
    auto open = [&](std::uint32_t id, std::string type, std::string port, std::string rid) {
      http::Headers h;
      h.push_back(http::Header{"streamtype", std::move(type)});
      h.push_back(http::Header{"port", std::move(port)});
      h.push_back(http::Header{"requestid", std::move(rid)});
      return spdy::EncodeSynStream(id, *hc.Compress(h), false);
    };
    // One statement each: the header blocks share one zlib context, so their order matters (the
    // operands of + are evaluated in no fixed order).
    std::string out = open(1, "error", "80", "0");
    out += spdy::EncodeData(1, "", true);
    out += open(3, "data", "80", "0");
    out += spdy::EncodeData(3, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", false);
    out += open(5, "error", "81", "1");
    out += open(7, "data", "81", "1");
    co_await t.Write(asio::buffer(out));
    std::string in;
    std::array<char, 4096> buf;
    // Until both pairs are answered: four FINs.
    while (fin.size() < 4) {
      auto f = spdy::ParseFrame(in, 1 << 20);
      if (f.ok() && f->has_value()) {
        spdy::Frame frame = std::move((*f)->first);
        in.erase(0, (*f)->second);
        if (frame.control) {
          replies += frame.type == spdy::FrameType::kSynReply;
        } else {
          data[frame.stream_id] += frame.payload;
          if (frame.flags & spdy::kFlagFin) fin[frame.stream_id] = true;
        }
        continue;
      }
      http::IoResult r = co_await t.ReadSome(asio::buffer(buf));
      if (r.ec) break;
      in.append(buf.data(), r.bytes);
    }
    co_await t.Write(asio::buffer(spdy::EncodeGoAway(7, 0)));
    co_await c.Close();
  };
  PodConnectOptions o;
  o.subresource = "portforward";
  http::Response r = Session(o, "SPDY/3.1+portforward.k8s.io", client);
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(replies, 4);
  EXPECT_NE(data[3].find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_TRUE(data[3].ends_with("\r\n\r\nhello from web:80\n")) << data[3];
  EXPECT_EQ(data[1], "");  // no error on port 80
  EXPECT_EQ(data[7], "");
  EXPECT_NE(data[5].find("error forwarding port 81 to pod "), std::string::npos) << data[5];
  EXPECT_NE(data[5].find("connect: connection refused"), std::string::npos);
}


// ---- SPDY remotecommand (kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false) ----------------------

// The client half of a SPDY session over a raw stream: streams opened with a streamtype header,
// DATA collected per stream until a condition holds or the connection ends.
class SpdyClient {
 public:
  explicit SpdyClient(http::UpgradedStream& s) : s_(s) {}
  // One header block per call: they share a zlib context, so the order of calls is the wire order.
  std::string Open(std::uint32_t id, std::string type, bool fin = false) {
    http::Headers h;
    h.push_back(http::Header{"streamtype", std::move(type)});
    return spdy::EncodeSynStream(id, *hc_.Compress(h), fin);
  }
  asio::awaitable<bool> Send(std::string bytes) {
    const boost::system::error_code ec = co_await s_.Write(asio::buffer(bytes));
    co_return !ec;
  }
  // Until `done()` holds or the connection ends.
  asio::awaitable<void> ReadUntil(std::function<bool()> done) {
    std::array<char, 4096> buf;
    while (!done()) {
      auto f = spdy::ParseFrame(in_, 1 << 20);
      if (!f.ok()) break;
      if (f->has_value()) {
        spdy::Frame frame = std::move((*f)->first);
        in_.erase(0, (*f)->second);
        if (frame.control) {
          replies += frame.type == spdy::FrameType::kSynReply;
          resets += frame.type == spdy::FrameType::kRstStream;
          goaway = goaway || frame.type == spdy::FrameType::kGoAway;
        } else {
          data[frame.stream_id] += frame.payload;
          if (frame.flags & spdy::kFlagFin) fin.insert(frame.stream_id);
        }
        continue;
      }
      http::IoResult r = co_await s_.ReadSome(asio::buffer(buf));
      if (r.ec) {
        ended = true;
        break;
      }
      in_.append(buf.data(), r.bytes);
    }
  }

  std::map<std::uint32_t, std::string> data;
  std::set<std::uint32_t> fin;
  int replies = 0, resets = 0;
  bool goaway = false, ended = false;

 private:
  http::UpgradedStream& s_;
  spdy::HeaderCompressor hc_;
  std::string in_;
};

TEST_F(PodConnectTest, ExecOverSpdyV4) {
  std::unique_ptr<SpdyClient> c;
  std::string stdin_data;
  // kubectl's order: error, stdin (with -i), stdout, stderr; the session ends with the error stream.
  auto exec = [&](PipeStream& end) -> asio::awaitable<void> {
    c = std::make_unique<SpdyClient>(end);
    std::string out = c->Open(1, "error");
    if (!stdin_data.empty()) {
      out += c->Open(3, "stdin");
      out += spdy::EncodeData(3, stdin_data, true);
    }
    out += c->Open(5, "stdout");
    out += c->Open(7, "stderr");
    co_await c->Send(std::move(out));
    SpdyClient* client = c.get();
    co_await c->ReadUntil([client] { return client->fin.count(1) > 0; });
    co_await c->Send(spdy::EncodeGoAway(7, 0));
    end.Close();
  };
  http::Response r = Session(ExecOptions({"echo", "hi"}, false), "v4.channel.k8s.io", exec, true);
  EXPECT_EQ(r.status, 101);
  std::string version;
  for (const auto& h : r.headers) {
    if (h.name == "x-stream-protocol-version") version = h.value;
  }
  EXPECT_EQ(version, "v4.channel.k8s.io");
  EXPECT_EQ(c->replies, 3);
  EXPECT_EQ(c->data[5], "hi\n");
  EXPECT_EQ(c->data[7], "");
  EXPECT_EQ(json::parse(c->data[1])["status"], "Success");
  EXPECT_EQ(c->fin, (std::set<std::uint32_t>{1, 5, 7}));  // stdout and stderr end before the status

  Session(ExecOptions({"sh", "-c", "exit 3"}, false), "v4.channel.k8s.io", exec, true);
  EXPECT_EQ(json::parse(c->data[1])["details"]["causes"][0]["message"], "3");
  Session(ExecOptions({"nope"}, false), "v4.channel.k8s.io", exec, true);
  EXPECT_EQ(c->data[7], "sh: nope: not found\n");

  stdin_data = "one\ntwo\n";
  Session(ExecOptions({"cat"}, true), "v4.channel.k8s.io", exec, true);
  EXPECT_EQ(c->data[5], "one\ntwo\n");
  EXPECT_EQ(json::parse(c->data[1])["status"], "Success");

  // Only v1..v3 offered: refused before the upgrade, as httpstream.Handshake does.
  auto nothing = [](PipeStream&) -> asio::awaitable<void> { co_return; };
  r = Session(ExecOptions({"ls"}, false), "v2.channel.k8s.io", nothing, true);
  EXPECT_EQ(r.status, 403);
}

TEST_F(PodConnectTest, SpdyClientThatNeverOpensItsStreamsIsDropped) {
  bool ended = false;
  auto lazy = [&](PipeStream& end) -> asio::awaitable<void> {
    SpdyClient c(end);
    co_await c.Send(c.Open(1, "error"));  // no stdout stream, which the options ask for
    co_await c.ReadUntil([] { return false; });
    ended = c.ended;
  };
  ConnectLimits limits;
  limits.stream_creation_timeout = std::chrono::milliseconds(100);
  const auto before = std::chrono::steady_clock::now();
  Session(ExecOptions({"echo", "x"}, false), "v4.channel.k8s.io", lazy, true, limits);
  EXPECT_TRUE(ended);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));
}

// ---- bad input and clients that leave ----------------------------------------------------------------

TEST_F(PodConnectTest, OversizedMessageClosesWith1009) {
  std::uint16_t code = 0;
  auto big = [&](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    co_await c.Write(ws::Opcode::kBinary, ChannelFrame(kChannelStdin, std::string(4096, 'x')));
    co_await Collect(c);
    code = c.peer_close_code();
  };
  ConnectLimits limits;
  limits.max_message_bytes = 1024;
  Session(ExecOptions({"cat"}, true), "v5.channel.k8s.io", big, false, limits);
  EXPECT_EQ(code, ws::kCloseTooBig);
}

TEST_F(PodConnectTest, MalformedFramesEndTheSession) {
  // Not WebSocket frames at all (unmasked, reserved bits): a protocol error, the session ends.
  std::string seen;
  auto garbage = [&](PipeStream& end) -> asio::awaitable<void> {
    const std::string junk = "\xff\xff\xff\xff GET / HTTP/1.1\r\n\r\n";
    co_await end.Write(asio::buffer(junk));
    std::array<char, 256> buf;
    for (;;) {
      http::IoResult r = co_await end.ReadSome(asio::buffer(buf));
      if (r.ec) break;
      seen.append(buf.data(), r.bytes);
    }
  };
  Session(ExecOptions({"cat"}, true), "v5.channel.k8s.io", garbage);
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(static_cast<std::uint8_t>(seen[0]), 0x88);  // a close frame
  EXPECT_EQ((static_cast<std::uint8_t>(seen[2]) << 8) | static_cast<std::uint8_t>(seen[3]), ws::kCloseProtocolError);

  // SPDY: a frame of an unknown version, then a frame larger than the limit.
  for (std::string junk : {std::string("\x80\x07\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01", 12),
                           std::string("\x80\x03\x00\x01\x00\xff\xff\xff", 8) + std::string(64, '\0')}) {
    bool goaway = false;
    auto bad = [&](PipeStream& end) -> asio::awaitable<void> {
      SpdyClient c(end);
      co_await c.Send(junk);
      co_await c.ReadUntil([] { return false; });
      goaway = c.goaway;
    };
    ConnectLimits limits;
    limits.max_message_bytes = 4096;
    Session(ExecOptions({"cat"}, true), "v4.channel.k8s.io", bad, true, limits);
    EXPECT_TRUE(goaway);
  }
}

TEST_F(PodConnectTest, ClientLeavingMidSessionEndsIt) {
  // A long command and an attach: the client goes away, both end promptly.
  auto leave = [](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(150));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    end.Close();
  };
  auto before = std::chrono::steady_clock::now();
  Session(ExecOptions({"sleep", "3600"}, true), "v5.channel.k8s.io", leave);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  PodConnectOptions attach;
  attach.subresource = "attach";
  attach.container = "web";
  attach.use_stdout = true;
  before = std::chrono::steady_clock::now();
  Session(attach, "v5.channel.k8s.io", leave);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  // Port-forward: half a request, then gone.
  auto half = [](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    ws::Tunnel t(c);
    SpdyClient sc(t);
    std::string out = sc.Open(1, "error");
    out += sc.Open(3, "data");
    out += spdy::EncodeData(3, "GET / HT", false);
    co_await sc.Send(std::move(out));
    end.Close();
  };
  PodConnectOptions pf;
  pf.subresource = "portforward";
  Session(pf, "SPDY/3.1+portforward.k8s.io", half);
}

TEST_F(PodConnectTest, AttachStreamsTheContainersOutput) {
  std::string out;
  auto watch = [&](PipeStream& end) -> asio::awaitable<void> {
    ws::Connection c(end, ws::Role::kClient);
    ws::Message m;
    // The first line the container prints after attaching.
    while (out.find('\n') == std::string::npos) {
      if (co_await c.Read(m)) break;
      if (auto f = ParseChannelFrame(m.data); f && f->channel == kChannelStdout) out += std::string(f->payload);
    }
    end.Close();
  };
  PodConnectOptions attach;
  attach.subresource = "attach";
  attach.container = "web";
  attach.use_stdout = true;
  Session(attach, "v5.channel.k8s.io", watch);
  EXPECT_NE(out.find("pod web container web line "), std::string::npos) << out;
}

}  // namespace
}  // namespace vkube::hostsim
