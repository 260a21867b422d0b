#pragma once
// The bearer token to send: a static one, or one re-read from a file at most every `refresh`
// (projected service account tokens rotate; client-go re-reads them every minute). A failed
// re-read keeps the last good token. Thread-safe.
#include <chrono>
#include <mutex>
#include <string>

namespace vkube::kube {

class TokenSource {
 public:
  TokenSource(std::string static_token, std::string file, std::chrono::milliseconds refresh);
  // "" when there is no token at all.
  std::string Token();
  bool empty() const { return static_token_.empty() && file_.empty(); }

 private:
  const std::string static_token_;
  const std::string file_;
  const std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::string cached_;
  std::chrono::steady_clock::time_point read_at_{};
  bool read_once_ = false;
};

}  // namespace vkube::kube
