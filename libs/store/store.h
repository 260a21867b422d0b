#pragma once
// Storage interface (the role of k8s.io/apiserver/pkg/storage.Interface). Knows nothing of HTTP or
// of any particular kind: objects are JSON documents addressed by (resource, namespace, name).
//
// Semantics every implementation must provide (tests/store/store_conformance.h checks them):
// - One monotonically increasing revision counter per Store; every successful write (create,
//   update, delete) gets the next revision, which is also written into the stored JSON's
//   metadata.resourceVersion (as a decimal string).
// - Writes are durable (fsync'd) before the call returns success.
// - Reads and watch events only ever expose committed (durable) state.
// - Watch delivers every change after `from_revision` in revision order, exactly once, or fails
//   with ErrorCode::kGone when `from_revision` is older than the retained history.
// - A watcher that does not keep up (its queue exceeds WatchOptions::max_queue) is closed with
//   WatchCloseReason::kTooSlow; the store never buffers without bound.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"

namespace vkube::store {

using Revision = std::uint64_t;

// A resourceVersion as clients send it: a decimal string of at most 19 digits (fits 64 bits).
inline std::optional<Revision> ParseRevision(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  Revision v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<Revision>(c - '0');
  }
  return v;
}

// Identifies a resource collection: "pods", "apps/deployments" (group/resource, core group empty).
// Namespace is empty for cluster-scoped resources.
struct Key {
  std::string resource;
  std::string ns;
  std::string name;
  bool operator==(const Key&) const = default;
};

// Selectable attributes extracted by the caller (the kind's strategy) at write time, so that list
// and watch filtering never re-parse JSON. Both are sorted by key.
struct Attrs {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> fields;  // e.g. {"spec.nodeName","n1"}
};

// An immutable committed object. Shared between the store, list results and watch events.
struct Object {
  Key key;
  Revision revision = 0;       // revision of the write that produced this state
  Revision create_revision = 0;
  std::string json;            // full serialized object, metadata.resourceVersion == revision
  Attrs attrs;
  // The parsed form while someone holds it (see ParsedJson): the store keeps only the bytes, and
  // every reader of one watch event shares a single parse. Not part of the object's state.
  mutable std::atomic<std::weak_ptr<const nlohmann::json>> parsed;
};
using ObjectPtr = std::shared_ptr<const Object>;
using JsonPtr = std::shared_ptr<const nlohmann::json>;

// `obj.json` parsed (discarded value on malformed bytes), reusing a parse another reader still
// holds. Thread-safe; two racing first readers may both parse, and either result is kept.
JsonPtr ParsedJson(const Object& obj);
// Forgets the shared parse (its memory goes with the last holder), e.g. once an event's handlers ran.
void ForgetParsed(const Object& obj);

// Filter applied inside the store to list and watch (label/field selectors are compiled by the
// resource layer into this predicate). Must be cheap and thread-safe.
using Predicate = std::function<bool(const Object&)>;

struct ListOptions {
  std::string resource;
  std::optional<std::string> ns;     // nullopt = all namespaces
  Predicate predicate;               // null = everything
  std::size_t limit = 0;             // 0 = no limit
  std::string continue_after;        // opaque position: last returned "ns/name" of previous page
  // Consistency: nullopt = most recent; otherwise serve at exactly this revision if retained
  // (ErrorCode::kGone / kExpired otherwise). Implementations may serve "not older than".
  std::optional<Revision> at_revision;
};

struct ListResult {
  std::vector<ObjectPtr> items;      // ordered by (ns, name)
  Revision revision = 0;             // revision the list is consistent with
  std::string continue_after;        // non-empty when more items remain
  std::size_t remaining = 0;         // items left after this page (for remainingItemCount)
};

enum class EventType : std::uint8_t { kAdded, kModified, kDeleted };

struct Event {
  EventType type = EventType::kAdded;
  ObjectPtr object;       // new state; for kDeleted the last state with revision = delete revision
  ObjectPtr prev_object;  // previous state for kModified/kDeleted (null for kAdded)
};

struct WatchOptions {
  std::string resource;  // empty = every resource (a tenant's controllers watch all kinds at once)
  std::optional<std::string> ns;
  Predicate predicate;
  // Deliver changes with revision > from_revision. 0 = "now": only future changes.
  Revision from_revision = 0;
  // Also emit kAdded for every existing matching object first (sendInitialEvents / rv="0" watch).
  bool send_initial = false;
  std::size_t max_queue = 10000;
};

enum class WatchCloseReason : std::uint8_t { kNone, kStopped, kTooSlow, kStoreClosed };

// A live watch. Thread-safe: the store pushes from its own thread, the consumer pops from another.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Non-blocking: moves up to `max` pending events into `out`. Returns the number moved.
  virtual std::size_t Poll(std::vector<Event>& out, std::size_t max) = 0;
  // Called (from a store thread, without store locks held) whenever events become available or the
  // watcher closes. Set once before the first Poll. Must be cheap: post to your executor.
  virtual void SetNotify(std::function<void()> notify) = 0;
  // kNone while open. Once closed, remaining queued events may still be polled.
  virtual WatchCloseReason close_reason() const = 0;
  // Latest revision the watcher has seen from the store (for bookmarks), even if filtered out.
  virtual Revision progress_revision() const = 0;
  virtual void Stop() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<ObjectPtr> Get(const Key& key) = 0;
  virtual Result<ListResult> List(const ListOptions& opts) = 0;

  // kAlreadyExists if present. `obj` gets metadata.resourceVersion set by the store.
  virtual Result<ObjectPtr> Create(const Key& key, nlohmann::json obj, Attrs attrs) = 0;
  // kNotFound if absent; kConflict if expected_revision != 0 and differs from the current one.
  virtual Result<ObjectPtr> Update(const Key& key, Revision expected_revision, nlohmann::json obj,
                                   Attrs attrs) = 0;
  // Removes the object; the returned object carries the delete revision.
  // kNotFound if absent; kConflict if expected_revision != 0 and differs.
  virtual Result<ObjectPtr> Delete(const Key& key, Revision expected_revision) = 0;

  virtual Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& opts) = 0;

  virtual Revision CurrentRevision() = 0;
  // Oldest revision from which Watch/List-at-revision still work.
  virtual Revision CompactedRevision() = 0;
  // Stops watchers (kStoreClosed) and flushes; further calls fail with kServiceUnavailable.
  virtual void Close() = 0;
};

}  // namespace vkube::store
