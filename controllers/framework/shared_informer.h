#pragma once
// A tenant's shared informer (client-go's SharedInformerFactory collapsed into one): ONE store
// watch over every resource of the tenant feeds an in-memory cache of all objects and the event
// handlers of all the tenant's controllers. Objects are the store's immutable ObjectPtrs, so the
// cache costs map nodes, not copies. Events are dispatched on one strand (in revision order);
// nothing runs while the tenant is idle.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include "libs/core/in_flight.h"
#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::controllers {

struct EventHandler {
  // Storage resource ("pods", "apps/deployments"); empty = every resource.
  std::string resource;
  std::function<void(const store::ObjectPtr& obj)> on_add;
  std::function<void(const store::ObjectPtr& old_obj, const store::ObjectPtr& obj)> on_update;
  // `obj` is the last known state.
  std::function<void(const store::ObjectPtr& obj)> on_delete;
};

class SharedInformer : public std::enable_shared_from_this<SharedInformer> {
 public:
  SharedInformer(std::shared_ptr<store::Store> store, boost::asio::any_io_executor executor);
  ~SharedInformer();

  // Register before Start().
  void AddHandler(EventHandler handler);
  // Fills the cache from the store (handlers get on_add for every existing object, synchronously
  // on the caller's thread) and starts following the store's changes.
  Status Start();
  // Stops following the store and waits for a dispatch in progress (handlers may then be freed).
  void Stop();

  store::ObjectPtr Get(const std::string& resource, const std::string& ns, const std::string& name) const;
  // Objects of `resource` in `ns` (every namespace when ns is empty), ordered by (ns, name).
  std::vector<store::ObjectPtr> List(const std::string& resource, const std::string& ns = "") const;
  std::size_t Size() const;

 private:
  using Collection = std::map<std::pair<std::string, std::string>, store::ObjectPtr>;

  void ScheduleDrain();
  void Drain();
  void Apply(const store::Event& ev);
  Status Rewatch();  // after the watcher closed (too slow): re-list, diff, resume

  std::shared_ptr<store::Store> store_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::vector<EventHandler> handlers_;
  mutable std::shared_mutex mu_;  // guards cache_
  std::unordered_map<std::string, Collection> cache_;
  std::mutex watch_mu_;  // guards watcher_ swaps vs Stop
  std::shared_ptr<store::Watcher> watcher_;  // shared: a drain in flight keeps it alive past Stop
  std::atomic<bool> scheduled_{false};
  std::atomic<bool> stopped_{false};
  InFlight in_flight_;  // a Drain running on the strand
};

}  // namespace vkube::controllers
