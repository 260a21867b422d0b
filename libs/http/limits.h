#pragma once
// Every transport limit in one immutable struct (defaults follow kube-apiserver / Go net/http).
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vkube::http {

struct Limits {
  std::size_t max_body_bytes = 3 * 1024 * 1024;      // kube-apiserver's 3 MiB; beyond → 413
  std::size_t max_header_bytes = 1024 * 1024;        // Go's DefaultMaxHeaderBytes; beyond → 431
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};   // whole header block must arrive (slowloris)
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{90'000};     // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{60'000};    // a peer that stops reading is dropped
  std::uint32_t h2_max_concurrent_streams = 250;
  std::uint32_t h2_initial_window_size = 1024 * 1024;
  std::uint32_t h2_max_resets_per_second = 200;       // rapid-reset (CVE-2023-44487) guard → GOAWAY
  std::size_t max_connections = 10'000;
  std::size_t write_high_watermark = 1024 * 1024;     // per connection; Write() suspends above
  std::size_t write_low_watermark = 256 * 1024;       // ... and resumes below
  std::chrono::milliseconds drain_timeout{10'000};    // SIGTERM: time for in-flight requests
  // An upgraded connection (exec, attach, port-forward) with no byte either way for this long is
  // closed (kubelet's --streaming-connection-idle-timeout default); writes keep write_timeout.
  std::chrono::milliseconds stream_idle_timeout{4 * 3600 * 1000};
};

}  // namespace vkube::http
