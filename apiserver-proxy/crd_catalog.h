#pragma once
// Follows one tenant's CustomResourceDefinitions and keeps what the tenant serves in step with
// them (kube's crdHandler, discovery and OpenAPI controllers in one): after every batch of CRD
// changes it builds a new ApiSurface (built-ins + the custom resources of established CRDs) and
// hands it to `publish`. Runs on every replica (serving is not leader-elected, only the CRD
// controller that establishes CRDs is); costs one store watch per tenant and no thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <mutex>

#include "apiserver-proxy/api_surface.h"
#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::apiserver {

class CrdCatalog : public std::enable_shared_from_this<CrdCatalog> {
 public:
  using Publish = std::function<void(std::shared_ptr<const ApiSurface>)>;

  // Publishes the surface for the CRDs stored now (synchronously, before returning) and follows
  // their changes on `executor`.
  static Result<std::shared_ptr<CrdCatalog>> Start(std::shared_ptr<store::Store> store,
                                                   std::shared_ptr<const ApiSurface> builtin,
                                                   boost::asio::any_io_executor executor, Publish publish);
  ~CrdCatalog();
  CrdCatalog(const CrdCatalog&) = delete;
  CrdCatalog& operator=(const CrdCatalog&) = delete;

  // Stops following (no publish after it returns). Idempotent.
  void Stop();

 private:
  CrdCatalog(std::shared_ptr<store::Store> store, std::shared_ptr<const ApiSurface> builtin,
             boost::asio::any_io_executor executor, Publish publish);
  Status Watch();
  Status Rebuild();
  void Drain();

  std::shared_ptr<store::Store> store_;
  std::shared_ptr<const ApiSurface> builtin_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Publish publish_;
  std::mutex mu_;  // guards watcher_ and publishing against Stop
  std::shared_ptr<store::Watcher> watcher_;
  // Rebuilds run on the caller's thread (Start) and on the strand: one at a time, and never one
  // from an older list after one from a newer (a snapshot must not go back in time).
  std::mutex rebuild_mu_;
  store::Revision published_revision_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> scheduled_{false};
};

}  // namespace vkube::apiserver
