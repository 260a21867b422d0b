#pragma once
// core/v1 Events about pods, as kube's record.EventRecorder writes them (name "<pod>.<hex time>",
// involvedObject, source, count 1), written off the caller's path: Emit() only queues; up to
// `max_writers` tasks on the shared pool write them. Like kube's event broadcaster the queue is
// bounded — beyond it events are dropped, never the caller blocked.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/registry/generic_registry.h"

namespace vkube::hostsim {

struct EventSource {
  std::string component;  // "default-scheduler", "kubelet"
  std::string host;       // node name (kubelet events)
};

class EventRecorder : public std::enable_shared_from_this<EventRecorder> {
 public:
  EventRecorder(std::shared_ptr<registry::GenericRegistry> objects, boost::asio::any_io_executor executor,
                std::size_t max_queue = 1000, std::size_t max_writers = 2);

  // `pod` is the involved object; `field_path` e.g. "spec.containers{web}" for container events.
  void Emit(const nlohmann::json& pod, const std::string& type, const std::string& reason, const std::string& message,
            const EventSource& source, const std::string& field_path = "");
  // Drops what is queued; writes in progress finish.
  void Stop();

  std::size_t dropped() const { return dropped_; }

 private:
  void Work();

  std::shared_ptr<registry::GenericRegistry> objects_;
  boost::asio::any_io_executor executor_;
  std::size_t max_queue_;
  std::size_t max_writers_;
  std::mutex mu_;
  std::deque<nlohmann::json> queue_;
  std::size_t writers_ = 0;
  bool stopped_ = false;
  std::atomic<std::size_t> dropped_{0};
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace vkube::hostsim
