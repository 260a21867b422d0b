#pragma once
// Watch over a streaming response: one JSON event per line ({"type":..., "object":...}), as
// kube-apiserver sends them. Lines are bounded (a line longer than `max_line_bytes` fails the
// watch instead of growing memory without limit).
#include <cstddef>
#include <memory>
#include <string>

#include "libs/kubeclient/transport.h"
#include "libs/kubeclient/watch.h"

namespace vkube::kube {

class JsonLineWatch final : public Watch {
 public:
  JsonLineWatch(std::unique_ptr<BodyStream> body, std::size_t max_line_bytes);
  boost::asio::awaitable<Result<std::optional<WatchEvent>>> Next() override;

 private:
  std::unique_ptr<BodyStream> body_;
  std::size_t max_line_bytes_;
  // buffer_[pos_, size) is unparsed; consumed bytes are dropped only before the next read, so a
  // chunk holding thousands of small events costs one copy, not one per event.
  std::string buffer_;
  std::size_t pos_ = 0;
  std::size_t scan_from_ = 0;  // bytes of buffer_ before this are known to hold no newline
  bool ended_ = false;
};

// Parses one watch line ("" lines are not events: callers skip them).
Result<WatchEvent> ParseWatchLine(std::string_view line);

}  // namespace vkube::kube
