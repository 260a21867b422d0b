#pragma once
// Test-only: the virtual API server in this process (http::Server + apiserver::ApiServer over a
// private SQLite store), for what the binary does not expose: a small watch history (410 after a
// few writes), small watcher queues, an in-flight limit of 0 (every read → 429), HTTP/1.1 only.
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "libs/core/result.h"
#include "libs/http/testing/test_tls.h"
#include "libs/kubeclient/kube_config.h"
#include "libs/kubeclient/testing/vkube_process.h"

namespace vkube::http {
class Server;
}
namespace vkube::net {
class IoPool;
}
namespace vkube::store {
class Store;
}
namespace vkube::apiserver {
class ApiServer;
}

namespace vkube::kube::testing {

struct InProcessOptions {
  std::size_t history_size = 10000;
  std::size_t watch_queue_limit = 10000;
  std::size_t max_requests_inflight = 400;
  bool http2 = true;
  std::chrono::seconds bookmark_interval{60};
};

class InProcessServer {
 public:
  explicit InProcessServer(InProcessOptions options = {});
  ~InProcessServer();
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  Status Start();
  std::string url() const;
  // Bearer token "test-token", the serving certificate as trust anchor.
  KubeConfig config() const;

 private:
  InProcessOptions options_;
  TempDir dir_;
  http::testing::TestCert cert_;
  std::unique_ptr<net::IoPool> pool_;
  boost::asio::thread_pool blocking_{2};
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<apiserver::ApiServer> api_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace vkube::kube::testing
