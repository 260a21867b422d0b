#pragma once
// A watch on one collection: JSON events as the host API sends them (one per line).
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "libs/core/result.h"

namespace vkube::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;
};

class Watch {
 public:
  virtual ~Watch() = default;  // ends the watch (the stream is reset)
  // The next event; nullopt when the server ended the watch normally (timeout: watch again from
  // the last resourceVersion). An ERROR event is returned as its typed Error (410 → IsGone).
  // Must not be called concurrently with itself.
  virtual boost::asio::awaitable<Result<std::optional<WatchEvent>>> Next() = 0;
};

}  // namespace vkube::kube
