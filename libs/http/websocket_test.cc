// WebSocket frame codec and message layer (in memory); the TLS path with Beast's client as the
// independent peer is in upgrade_test.cc.
#include "libs/http/websocket.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "libs/http/testing/pipe_stream.h"

namespace vkube::http::websocket {
namespace {

namespace asio = boost::asio;
using testing::PipeStream;

template <class T>
T RunOn(asio::io_context& io, asio::awaitable<T> task) {
  auto f = asio::co_spawn(io, std::move(task), asio::use_future);
  io.run_for(std::chrono::seconds(5));
  io.restart();
  return f.get();
}

TEST(WebSocketHandshake, AcceptKeyMatchesRfc6455Example) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, RecognizesRequestsAndOfferedProtocols) {
  Request r;
  r.method = "GET";
  r.headers = {{"connection", "keep-alive, Upgrade"},
               {"upgrade", "websocket"},
               {"sec-websocket-version", "13"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"sec-websocket-protocol", "v5.channel.k8s.io, v4.channel.k8s.io"},
               {"sec-websocket-protocol", "base64.channel.k8s.io"}};
  EXPECT_TRUE(IsWebSocketRequest(r));
  EXPECT_EQ(OfferedProtocols(r),
            (std::vector<std::string>{"v5.channel.k8s.io", "v4.channel.k8s.io", "base64.channel.k8s.io"}));
  Response resp = SwitchingProtocols(r, "v5.channel.k8s.io");
  EXPECT_EQ(resp.status, 101);
  bool accept = false, proto = false;
  for (const auto& h : resp.headers) {
    accept = accept || (h.name == "sec-websocket-accept" && h.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    proto = proto || (h.name == "sec-websocket-protocol" && h.value == "v5.channel.k8s.io");
  }
  EXPECT_TRUE(accept && proto);
  r.headers[2].value = "8";  // an old draft
  EXPECT_FALSE(IsWebSocketRequest(r));
  r.headers[2].value = "13";
  r.headers[0].value = "keep-alive";
  EXPECT_FALSE(IsWebSocketRequest(r));
}

TEST(WebSocketFrames, RoundTripsEveryLengthEncoding) {
  const std::array<std::uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  for (std::size_t n : {0u, 5u, 125u, 126u, 65535u, 65536u, 200000u}) {
    std::string payload(n, 'x');
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
    for (bool masked : {false, true}) {
      std::string frame = EncodeFrame(Opcode::kBinary, payload, true, masked ? &mask : nullptr);
      auto h = ParseFrameHeader(frame);
      ASSERT_TRUE(h.ok()) << n;
      ASSERT_TRUE(h->has_value()) << n;
      const FrameHeader fh = **h;
      EXPECT_EQ(fh.length, n);
      EXPECT_EQ(fh.masked, masked);
      EXPECT_EQ(fh.header_bytes, (n < 126 ? 2u : n <= 65535 ? 4u : 10u) + (masked ? 4u : 0u));
      ASSERT_EQ(frame.size(), fh.header_bytes + n);
      std::string body = frame.substr(fh.header_bytes);
      if (masked) {
        if (n > 0) {
          EXPECT_NE(body, payload);
        }
        ApplyMask(body.data(), body.size(), fh.mask);
      }
      EXPECT_EQ(body, payload);
      // Every strict prefix of the header is "incomplete", not an error.
      for (std::size_t k = 0; k < fh.header_bytes; ++k) {
        auto partial = ParseFrameHeader(std::string_view(frame).substr(0, k));
        ASSERT_TRUE(partial.ok());
        EXPECT_FALSE(partial->has_value());
      }
    }
  }
}

TEST(WebSocketFrames, RejectsProtocolViolations) {
  EXPECT_FALSE(ParseFrameHeader(std::string("\xC2\x00", 2)).ok());  // RSV1 without an extension
  EXPECT_FALSE(ParseFrameHeader(std::string("\x83\x00", 2)).ok());  // opcode 3 is reserved
  EXPECT_FALSE(ParseFrameHeader(std::string("\x09\x00", 2)).ok());  // fragmented ping
  std::string long_ping = EncodeFrame(Opcode::kPing, std::string(126, 'p'));
  EXPECT_FALSE(ParseFrameHeader(long_ping).ok());
  std::string huge("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);  // 64-bit length with the top bit
  EXPECT_FALSE(ParseFrameHeader(huge).ok());
}

TEST(WebSocketConnection, ServerAndClientExchangeFragmentedMessagesPingsAndClose) {
  asio::io_context io;
  auto ends = PipeStream::Make(io.get_executor());  // (no structured bindings: clang 14 lambdas)
  auto& server_end = ends.first;
  auto& client_end = ends.second;
  Limits limits;
  limits.max_message_bytes = 64;
  Connection server(*server_end, Role::kServer, limits);
  Connection client(*client_end, Role::kClient, limits);
  // A client frame arrives fragmented (with a ping in between) and unmasked frames are refused.
  const std::array<std::uint8_t, 4> mask{1, 2, 3, 4};
  std::string raw = EncodeFrame(Opcode::kText, "hel", false, &mask) + EncodeFrame(Opcode::kPing, "p!", true, &mask) +
                    EncodeFrame(Opcode::kContinuation, "lo", true, &mask);
  RunOn(io, [&]() -> asio::awaitable<int> {
    co_await client_end->Write(asio::buffer(raw));
    Message m;
    EXPECT_FALSE(co_await server.Read(m));
    EXPECT_EQ(m.opcode, Opcode::kText);
    EXPECT_EQ(m.data, "hello");
    // The server answered the ping with a pong the client skips; then a binary reply.
    EXPECT_FALSE(co_await server.Write(Opcode::kBinary, std::string("\x01out", 4)));
    EXPECT_FALSE(co_await client.Read(m));
    EXPECT_EQ(m.opcode, Opcode::kBinary);
    EXPECT_EQ(m.data, std::string("\x01out", 4));
    // Over the message limit: 1009 and the stream closes.
    EXPECT_FALSE(co_await client.Write(Opcode::kBinary, std::string(65, 'x')));
    EXPECT_EQ(co_await server.Read(m), asio::error::message_size);
    EXPECT_EQ(co_await client.Read(m), asio::error::eof);
    EXPECT_EQ(client.peer_close_code(), kCloseTooBig);
    co_return 0;
  }());
}

TEST(WebSocketConnection, CloseHandshakeAndTunnel) {
  asio::io_context io;
  auto ends = PipeStream::Make(io.get_executor());  // (no structured bindings: clang 14 lambdas)
  auto& server_end = ends.first;
  auto& client_end = ends.second;
  Connection server(*server_end, Role::kServer);
  Connection client(*client_end, Role::kClient);
  Tunnel tunnel(server);
  RunOn(io, [&]() -> asio::awaitable<int> {
    // Bytes split across messages read back as one stream through the tunnel.
    EXPECT_FALSE(co_await client.Write(Opcode::kBinary, "abc"));
    EXPECT_FALSE(co_await client.Write(Opcode::kBinary, "defg"));
    std::string got;
    char buf[5];
    while (got.size() < 7) {
      IoResult r = co_await tunnel.ReadSome(asio::buffer(buf));
      EXPECT_FALSE(r.ec);
      got.append(buf, r.bytes);
    }
    EXPECT_EQ(got, "abcdefg");
    EXPECT_FALSE(co_await tunnel.Write(asio::buffer(std::string_view("xyz"))));
    Message m;
    EXPECT_FALSE(co_await client.Read(m));
    EXPECT_EQ(m.data, "xyz");
    // The client closes: the server's reader answers and reports eof; the client sees the echo.
    EXPECT_FALSE(co_await client.SendClose(kCloseNormal, "bye"));
    IoResult r = co_await tunnel.ReadSome(asio::buffer(buf));
    EXPECT_EQ(r.ec, asio::error::eof);
    EXPECT_EQ(server.peer_close_code(), kCloseNormal);
    EXPECT_EQ(co_await client.Read(m), asio::error::eof);
    EXPECT_EQ(client.peer_close_code(), kCloseNormal);
    co_return 0;
  }());
}

}  // namespace
}  // namespace vkube::http::websocket
