#pragma once
// A client of one host Kubernetes API server, as the syncer sees it. Every call is an awaitable
// that may be started from any executor; failures are typed Errors (see api_error.h: NotFound,
// AlreadyExists, Conflict, Gone, TooManyRequests with retry_after_seconds, ...). The client must
// outlive every call and Watch it handed out.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/result.h"
#include "libs/kubeclient/request_options.h"
#include "libs/kubeclient/resource_ref.h"
#include "libs/kubeclient/transport.h"
#include "libs/kubeclient/watch.h"

namespace vkube::kube {

template <typename T>
using Task = boost::asio::awaitable<Result<T>>;

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  virtual Task<nlohmann::json> Get(ResourceRef ref, std::string name, GetOptions options = {}) = 0;
  virtual Task<ObjectList> List(ResourceRef ref, ListOptions options = {}) = 0;
  // Creates `object` in ref.ns (or its metadata.namespace when ref.ns is empty).
  virtual Task<nlohmann::json> Create(ResourceRef ref, nlohmann::json object, WriteOptions options = {}) = 0;
  // Replaces the object named by object.metadata.name; metadata.resourceVersion, when set, is the
  // optimistic-concurrency precondition (Conflict if stale).
  virtual Task<nlohmann::json> Update(ResourceRef ref, nlohmann::json object, WriteOptions options = {}) = 0;
  virtual Task<nlohmann::json> Patch(ResourceRef ref, std::string name, PatchType type, std::string patch,
                                     PatchOptions options = {}) = 0;
  // The deleted object (or the object marked for deletion when finalizers hold it), or the
  // Status kube-apiserver answers with.
  virtual Task<nlohmann::json> Delete(ResourceRef ref, std::string name, DeleteOptions options = {}) = 0;
  virtual Task<std::unique_ptr<Watch>> StartWatch(ResourceRef ref, WatchOptions options = {}) = 0;
  // Any GET (e.g. "/version", "/readyz"): the body when 2xx, else the typed error.
  virtual Task<std::string> GetRaw(std::string path) = 0;
  // A GET whose body is read as it arrives (pods/log?follow=true): the stream once a 2xx head
  // came, else the typed error.
  virtual Task<std::unique_ptr<BodyStream>> GetStream(std::string path) = 0;
};

}  // namespace vkube::kube
