#include "libs/kubeclient/token_source.h"

#include <fstream>

namespace vkube::kube {
namespace {
constexpr std::size_t kMaxTokenBytes = 64 * 1024;  // a JWT is a few KiB; anything larger is not a token
}  // namespace

TokenSource::TokenSource(std::string static_token, std::string file, std::chrono::milliseconds refresh)
    : static_token_(std::move(static_token)), file_(std::move(file)), refresh_(refresh) {}

std::string TokenSource::Token() {
  if (file_.empty()) return static_token_;
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!read_once_ || now - read_at_ >= refresh_) {
    std::ifstream in(file_, std::ios::binary);
    std::string token(kMaxTokenBytes + 1, '\0');
    if (in.is_open()) in.read(token.data(), static_cast<std::streamsize>(token.size()));
    token.resize(in.is_open() && !in.bad() ? static_cast<std::size_t>(in.gcount()) : 0);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (!token.empty() && token.size() <= kMaxTokenBytes) cached_ = std::move(token);
    // A failed read keeps the last good token and is retried after `refresh_`, not every call.
    read_once_ = true;
    read_at_ = now;
  }
  if (cached_.empty()) return static_token_;
  return cached_;
}

}  // namespace vkube::kube
