// exec / attach / portforward of simulated pods, end to end in memory: the API server's option
// parsing and target checks, the simulated process table, the remotecommand channel protocol and
// port-forward over SPDY tunnelled in WebSocket, each driven by a client-role peer over a pipe.
#include "hostsim/pod_connect.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
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
  auto m = ParseChannelFrame(std::string("\xff\x00", 2));
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

  // Runs the kubelet side for `request` against `client` (a coroutine on the client end).
  template <class Client>
  http::Response Session(PodConnectOptions o, std::string protocol, Client client) {
    asio::io_context io;
    auto ends = PipeStream::Make(io.get_executor());
    PipeStream& client_end = *ends.second;
    PipeUpgrader up(std::move(ends.first));
    http::Request req = WebSocketRequest(std::move(protocol), &up);
    http::testing::CapturingWriter w;
    auto server = asio::co_spawn(io, ServePodConnect(*objects_, *logs_, "default", "web", std::move(o), req, w),
                                 asio::use_future);
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
  EXPECT_EQ(r.status, 400);
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

}  // namespace
}  // namespace vkube::hostsim
