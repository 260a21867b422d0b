#pragma once
// What the syncer knows of the host: the tenant's objects in its host namespace (and the host's
// nodes when readable), kept current by one list+watch Reflector per resource. Reconciles read
// here instead of asking the host, so a burst of tenant writes costs host writes only.
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/kubeclient/kube_client.h"
#include "libs/kubeclient/reflector.h"

namespace vkube::syncer {

class HostCache {
 public:
  // Called (on the reflectors' executor) for every change: old state (null on add), new state
  // (null on delete).
  using OnChange =
      std::function<void(const std::string& resource, const nlohmann::json* old_obj, const nlohmann::json* obj)>;

  HostCache(kube::KubeClient& host, boost::asio::any_io_executor executor, OnChange on_change);
  ~HostCache();  // Stop()

  // Follows `ref` (filtered by `label_selector`) from now on. Call before Start(). Synced() waits
  // for `required` collections only (an optional one may be forbidden by the host's RBAC).
  void Follow(const std::string& resource, kube::ResourceRef ref, std::string label_selector, bool required = true);
  // Changes of `ref` reach OnChange but are not kept (Get/List know nothing of them): for streams
  // such as Events that cannot be narrowed to the tenant by a selector.
  void Observe(const std::string& resource, kube::ResourceRef ref);
  void Start();
  void Stop();
  // Every followed resource has delivered a complete list.
  bool Synced() const;

  // The object as the reflector delivered it (immutable, shared: no copy); null when absent.
  kube::SharedObject Get(const std::string& resource, const std::string& name) const;
  std::vector<kube::SharedObject> List(const std::string& resource) const;
  std::size_t Size(const std::string& resource) const;

 private:
  struct Collection {
    std::unique_ptr<kube::Reflector> reflector;
    std::map<std::string, kube::SharedObject> objects;  // by metadata.name
    bool required = true;
    bool kept = true;
  };
  void Add(const std::string& resource, kube::ReflectorOptions opts, bool required, bool kept);
  void Put(const std::string& resource, const kube::SharedObject& obj);
  void Erase(const std::string& resource, const nlohmann::json& obj);

  kube::KubeClient& host_;
  boost::asio::any_io_executor executor_;
  OnChange on_change_;
  mutable std::mutex mu_;
  std::map<std::string, Collection> collections_;
};

}  // namespace vkube::syncer
