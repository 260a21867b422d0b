// SPDY/3.1 framing, header compression and the server session, in memory.
#include "libs/http/spdy.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "libs/http/testing/pipe_stream.h"

namespace vkube::http::spdy {
namespace {

namespace asio = boost::asio;
using testing::PipeStream;

TEST(SpdyHeaders, DictionaryIsTheSpdy3One) {
  const std::string& d = HeaderDictionary();
  EXPECT_EQ(d.size(), 1423u);  // draft-mbelshe-httpbis-spdy-00 §2.6.10.1
  // zlib identifies a preset dictionary by its Adler-32; peers refuse any other.
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())), 0xe3c6a7c2u);
  EXPECT_EQ(d.substr(0, 11), std::string("\0\0\0\x07options", 11));
  EXPECT_TRUE(d.ends_with(",*,enq=0."));
}

TEST(SpdyHeaders, BlocksShareOneCompressionContext) {
  HeaderCompressor c;
  HeaderDecompressor d(64 * 1024);
  Headers first = {{"StreamType", "error"}, {"port", "80"}, {"requestid", "0"}};
  Headers second = {{"streamtype", "data"}, {"port", "80"}, {"requestid", "0"}};
  auto b1 = c.Compress(first);
  auto b2 = c.Compress(second);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_LT(b2->size(), b1->size());  // the second block refers back to the first
  auto h1 = d.Decompress(*b1);
  ASSERT_TRUE(h1.ok()) << h1.error().message;
  ASSERT_EQ(h1->size(), 3u);
  EXPECT_EQ((*h1)[0].name, "streamtype");  // names are lower-case on the wire
  EXPECT_EQ((*h1)[0].value, "error");
  auto h2 = d.Decompress(*b2);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ((*h2)[0].value, "data");
  // A second decompressor that missed the first block cannot read the second.
  HeaderDecompressor late(64 * 1024);
  EXPECT_FALSE(late.Decompress(*b2).ok());
}

TEST(SpdyHeaders, DecompressedSizeIsBounded) {
  HeaderCompressor c;
  HeaderDecompressor d(1024);
  auto b = c.Compress(Headers{{"x", std::string(4096, 'a')}});
  ASSERT_TRUE(b.ok());
  EXPECT_LT(b->size(), 200u);  // highly compressible: the limit is on the inflated size
  EXPECT_FALSE(d.Decompress(*b).ok());
}

TEST(SpdyFrames, EncodeAndParse) {
  std::string wire = EncodeData(7, "hello", true) + EncodeRstStream(9, kCancel) + EncodePing(3);
  std::size_t pos = 0;
  auto f1 = ParseFrame(std::string_view(wire).substr(pos), 1024);
  ASSERT_TRUE(f1.ok() && f1->has_value());
  EXPECT_FALSE((*f1)->first.control);
  EXPECT_EQ((*f1)->first.stream_id, 7u);
  EXPECT_EQ((*f1)->first.flags, kFlagFin);
  EXPECT_EQ((*f1)->first.payload, "hello");
  pos += (*f1)->second;
  auto f2 = ParseFrame(std::string_view(wire).substr(pos), 1024);
  ASSERT_TRUE(f2.ok() && f2->has_value());
  EXPECT_TRUE((*f2)->first.control);
  EXPECT_EQ((*f2)->first.type, FrameType::kRstStream);
  EXPECT_EQ(ReadU32((*f2)->first.payload, 0), 9u);
  EXPECT_EQ(ReadU32((*f2)->first.payload, 4), kCancel);
  pos += (*f2)->second;
  auto f3 = ParseFrame(std::string_view(wire).substr(pos, 5), 1024);  // incomplete
  ASSERT_TRUE(f3.ok());
  EXPECT_FALSE(f3->has_value());
  EXPECT_FALSE(ParseFrame(EncodeData(1, std::string(2000, 'x'), false), 1024).ok());  // over the limit
  std::string v2 = EncodePing(1);
  v2[1] = 2;  // SPDY/2
  EXPECT_FALSE(ParseFrame(v2, 1024).ok());
}

// Echoes data back on the stream it came from and half-closes when the peer does.
class EchoHandler final : public StreamHandler {
 public:
  explicit EchoHandler(Session*& s) : session_(s) {}
  asio::awaitable<void> OnStream(std::uint32_t id, const Headers& headers, bool) override {
    for (const auto& h : headers) seen[id][h.name] = h.value;
    if (seen[id]["refuse"] == "yes") co_await session_->Reset(id, kRefusedStream);
  }
  asio::awaitable<void> OnData(std::uint32_t id, std::string_view data, bool fin) override {
    const std::string copy = "echo:" + std::string(data);
    co_await session_->SendData(id, copy, fin);
  }
  void OnReset(std::uint32_t id) override { resets.push_back(id); }
  std::map<std::uint32_t, std::map<std::string, std::string>> seen;
  std::vector<std::uint32_t> resets;

 private:
  Session*& session_;
};

// A minimal client side: its own compressor, frames parsed from the pipe.
struct Client {
  explicit Client(PipeStream& stream) : s(stream) {}
  PipeStream& s;
  HeaderCompressor c;
  HeaderDecompressor d{64 * 1024};
  std::string in;

  asio::awaitable<Frame> Next() {
    for (;;) {
      auto f = ParseFrame(in, 1 << 20);
      if (f.ok() && f->has_value()) {
        Frame out = std::move((*f)->first);
        in.erase(0, (*f)->second);
        co_return out;
      }
      std::array<char, 4096> buf;
      IoResult r = co_await s.ReadSome(asio::buffer(buf));
      if (r.bytes == 0) {
        Frame none;
        co_return none;
      }
      in.append(buf.data(), r.bytes);
    }
  }
  asio::awaitable<void> Open(std::uint32_t id, Headers h) {
    auto block = c.Compress(h);
    co_await s.Write(asio::buffer(EncodeSynStream(id, *block, false)));
  }
};

// Built outside coroutines (GCC 12 and brace-initialized aggregates holding strings).
Headers One(std::string name, std::string value) {
  Headers h;
  h.push_back(Header{std::move(name), std::move(value)});
  return h;
}

TEST(SpdySession, RepliesEchoesPingsAndResets) {
  asio::io_context io;
  auto ends = PipeStream::Make(io.get_executor());
  Session* sp = nullptr;
  Session session(*ends.first);
  sp = &session;
  EchoHandler handler(sp);
  Client client(*ends.second);
  auto run = asio::co_spawn(io, session.Run(handler), asio::use_future);
  auto body = [&]() -> asio::awaitable<int> {
    co_await client.Open(1, One("port", "80"));
    Frame reply = co_await client.Next();
    EXPECT_TRUE(reply.control);
    EXPECT_EQ(reply.type, FrameType::kSynReply);
    EXPECT_EQ(ReadU32(reply.payload, 0), 1u);
    auto headers = client.d.Decompress(std::string_view(reply.payload).substr(4));
    EXPECT_TRUE(headers.ok() && headers->empty());
    co_await client.s.Write(asio::buffer(EncodeData(1, "hi", true)));
    Frame data = co_await client.Next();
    EXPECT_FALSE(data.control);
    EXPECT_EQ(data.payload, "echo:hi");
    EXPECT_EQ(data.flags, kFlagFin);
    co_await client.s.Write(asio::buffer(EncodePing(5)));
    Frame pong = co_await client.Next();
    EXPECT_EQ(pong.type, FrameType::kPing);
    EXPECT_EQ(ReadU32(pong.payload, 0), 5u);
    // A refused stream: SYN_REPLY then RST_STREAM; ids must grow.
    co_await client.Open(3, One("refuse", "yes"));
    EXPECT_EQ((co_await client.Next()).type, FrameType::kSynReply);
    Frame rst = co_await client.Next();
    EXPECT_EQ(rst.type, FrameType::kRstStream);
    EXPECT_EQ(ReadU32(rst.payload, 4), kRefusedStream);
    co_await client.Open(3, One("again", "yes"));
    rst = co_await client.Next();
    EXPECT_EQ(rst.type, FrameType::kRstStream);
    EXPECT_EQ(ReadU32(rst.payload, 4), kProtocolError);
    co_await client.Open(5, One("streamtype", "error"));
    co_await client.Next();
    co_await client.s.Write(asio::buffer(EncodeRstStream(5, kCancel)));
    co_await client.s.Write(asio::buffer(EncodeGoAway(5, 0)));
    co_return 0;
  };
  auto test = asio::co_spawn(io, body(), asio::use_future);
  io.run_for(std::chrono::seconds(5));
  test.get();
  EXPECT_EQ(run.get(), asio::error::eof);
  EXPECT_EQ(handler.seen[1]["port"], "80");
  EXPECT_EQ(handler.resets, std::vector<std::uint32_t>{5});
}

}  // namespace
}  // namespace vkube::http::spdy
