#pragma once
// Options of the KubeClient verbs, named after their kube-apiserver query parameters.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vkube::kube {

struct GetOptions {
  std::string resource_version;  // "" = most recent (quorum read), "0" = any
  std::string subresource;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  std::string resource_version_match;  // "Exact" | "NotOlderThan"
  std::int64_t limit = 0;              // page size; 0 = everything at once
  std::string continue_token;
  std::int64_t timeout_seconds = 0;
};

struct ObjectList {
  std::string api_version;
  std::string kind;
  std::string resource_version;
  std::string continue_token;  // "" on the last page
  std::optional<std::int64_t> remaining_item_count;
  std::vector<nlohmann::json> items;
};

struct WriteOptions {
  std::string field_manager;
  bool dry_run = false;
  std::string field_validation;  // "Strict" | "Warn" | "Ignore"
  std::string subresource;       // e.g. "status"
};

enum class PatchType {
  kJson,            // application/json-patch+json (RFC 6902)
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json
  kApply,           // application/apply-patch+yaml: server-side apply (needs field_manager)
};

struct PatchOptions {
  std::string field_manager;
  bool force = false;  // server-side apply: take conflicting fields from other managers
  bool dry_run = false;
  std::string field_validation;
  std::string subresource;
};

struct DeleteOptions {
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::string propagation_policy;  // "Background" | "Foreground" | "Orphan"
  std::optional<std::int64_t> grace_period_seconds;
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // resume after this version; "" / "0" = start with the current state
  std::string resource_version_match;
  bool allow_bookmarks = true;
  bool send_initial_events = false;  // watch-list: initial state, then a bookmark ending it
  std::int64_t timeout_seconds = 0;  // server-side end of the watch; 0 = server default
};

}  // namespace vkube::kube
