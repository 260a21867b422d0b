#pragma once
// A small synchronous client for etcd v3's JSON gRPC-gateway (`POST /v3/kv/range`, `/v3/kv/txn`,
// `/v3/watch`, ...) over HTTP/1.1 (Boost.Beast), with TLS (OpenSSL) for https endpoints. No gRPC
// dependency: requests and answers are the gateway's JSON (keys and values base64, int64 as
// strings). Unary calls share a small pool of keep-alive connections; a watch gets a connection of
// its own (EtcdClient::Stream). Every failure is an Error value, never an exception.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"

namespace boost::asio::ssl {
class context;
}

namespace vkube::store {

struct EtcdClientOptions {
  // "http://HOST:PORT" or "https://HOST:PORT"; tried in order, the last one that worked first.
  std::vector<std::string> endpoints;
  std::string ca_file;    // trust for https endpoints ("" = the system's default paths)
  std::string cert_file;  // client certificate and key (etcd --client-cert-auth); "" = none
  std::string key_file;
  std::chrono::milliseconds dial_timeout{3000};      // resolve + connect + TLS handshake
  std::chrono::milliseconds request_timeout{10000};  // one unary call: send + whole answer
  std::size_t max_idle_connections = 8;              // kept-alive connections for unary calls
  std::size_t max_connections = 64;                  // unary calls in flight at once (more wait)
  std::size_t max_response_bytes = 256u << 20;       // one unary answer / one watch message
};

class EtcdClient {
 public:
  struct Connection;  // one HTTP/1.1 connection (internal)

  // A long-lived streaming call (the watch): one connection, newline-delimited JSON messages.
  // Used by one thread, except Cancel() which any thread may call.
  class Stream {
   public:
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    // The next message, waiting at most `wait`: nullopt if none arrived in time (the stream is
    // still open); an error once the stream ended or failed (reconnect).
    Result<std::optional<nlohmann::json>> Next(std::chrono::milliseconds wait);
    // Makes a pending or later Next() fail promptly. Thread-safe.
    void Cancel();

   private:
    friend class EtcdClient;
    Stream(std::unique_ptr<Connection> conn, std::size_t max_message_bytes);
    struct State;
    std::unique_ptr<Connection> conn_;
    std::unique_ptr<State> state_;
  };

  static Result<std::shared_ptr<EtcdClient>> Create(EtcdClientOptions options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POST `path` (e.g. "/v3/kv/range") with a JSON body; the decoded answer, or etcd's error mapped
  // to an ErrorCode (compacted revision → kGone, request too large → kRequestEntityTooLarge,
  // no leader / unreachable → kServiceUnavailable, deadline → kTimeout). `idempotent` calls are
  // retried once on another connection when the connection broke after the request was sent;
  // others are not (their outcome is unknown: kServiceUnavailable saying so).
  Result<nlohmann::json> Call(std::string_view path, const nlohmann::json& body, bool idempotent);
  // Starts a streaming call (POST `path` with `body`) and waits for its response header.
  Result<std::unique_ptr<Stream>> OpenStream(std::string_view path, const nlohmann::json& body);

  const EtcdClientOptions& options() const { return options_; }

  static std::string Base64Encode(std::string_view in);
  static Result<std::string> Base64Decode(std::string_view in);
  // The smallest key greater than every key starting with `prefix` (etcd's range_end for a prefix).
  static std::string PrefixEnd(std::string prefix);
  // An int64 field of a gateway answer (int64 travel as JSON strings; absent = 0).
  static std::int64_t Int(const nlohmann::json& obj, std::string_view field);

 private:
  struct Endpoint {
    bool tls = false;
    std::string host;
    std::string port;
  };
  explicit EtcdClient(EtcdClientOptions options);
  Status Init();
  // A fresh connection to the first reachable endpoint, starting with the last one that worked.
  Result<std::unique_ptr<Connection>> Dial();
  Result<std::unique_ptr<Connection>> DialEndpoint(std::size_t index);
  // A connection for one unary call: an idle one, else a new one while fewer than
  // max_connections exist (waits up to request_timeout for one otherwise).
  Result<std::unique_ptr<Connection>> Acquire();
  // Back to the pool if `reusable`, else closed; frees its slot either way.
  void Release(std::unique_ptr<Connection> conn, bool reusable);

  EtcdClientOptions options_;
  std::vector<Endpoint> endpoints_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::atomic<std::size_t> preferred_{0};
  std::mutex mu_;
  std::condition_variable slot_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t connections_ = 0;  // idle + in use by unary calls
};

}  // namespace vkube::store
