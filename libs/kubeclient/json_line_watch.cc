#include "libs/kubeclient/json_line_watch.h"

#include <algorithm>

#include "libs/kubeclient/api_error.h"

namespace vkube::kube {

using nlohmann::json;

Result<WatchEvent> ParseWatchLine(std::string_view line) {
  json ev = json::parse(line, nullptr, false);
  if (!ev.is_object()) return Error::Make(ErrorCode::kInternal, "watch: malformed event line");
  auto type = ev.find("type");
  auto object = ev.find("object");
  if (type == ev.end() || !type->is_string() || object == ev.end()) {
    return Error::Make(ErrorCode::kInternal, "watch: event without type or object");
  }
  const auto& t = type->get_ref<const std::string&>();
  WatchEvent out;
  if (t == "ADDED") {
    out.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    out.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    out.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    out.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    return ErrorFromStatusJson(object->dump());
  } else {
    return Error::Make(ErrorCode::kInternal, "watch: unknown event type " + t);
  }
  out.object = std::move(*object);
  return out;
}

JsonLineWatch::JsonLineWatch(std::unique_ptr<BodyStream> body, std::size_t max_line_bytes)
    : body_(std::move(body)), max_line_bytes_(max_line_bytes) {}

boost::asio::awaitable<Result<std::optional<WatchEvent>>> JsonLineWatch::Next() {
  for (;;) {
    const auto nl = buffer_.find('\n', std::max(pos_, scan_from_));
    if (nl != std::string::npos) {
      const std::string_view line(buffer_.data() + pos_, nl - pos_);
      pos_ = nl + 1;
      scan_from_ = pos_;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;  // keep-alive blank line
      auto ev = ParseWatchLine(line);
      if (!ev) co_return ev.take_error();
      std::optional<WatchEvent> out(std::move(*ev));
      co_return out;
    }
    scan_from_ = buffer_.size();
    const std::size_t pending = buffer_.size() - pos_;
    if (ended_) {
      if (std::string_view(buffer_).substr(pos_).find_first_not_of(" \r\t") != std::string_view::npos) {
        co_return Error::Make(ErrorCode::kServiceUnavailable, "watch: stream ended inside an event");
      }
      std::optional<WatchEvent> none;
      co_return none;
    }
    if (pending > max_line_bytes_) {
      co_return Error::Make(ErrorCode::kRequestEntityTooLarge, "watch: event larger than the client limit of " +
                                                                   std::to_string(max_line_bytes_) + " bytes");
    }
    // Only a partial line is left: drop what was consumed before appending more.
    buffer_.erase(0, pos_);
    scan_from_ -= pos_;
    pos_ = 0;
    auto chunk = co_await body_->Read();
    if (!chunk) co_return chunk.take_error();
    if (chunk->empty()) {
      ended_ = true;
    } else if (buffer_.empty()) {
      buffer_ = std::move(*chunk);
    } else {
      buffer_ += *chunk;
    }
  }
}

}  // namespace vkube::kube
