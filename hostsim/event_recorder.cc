#include "hostsim/event_recorder.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>

#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/resource/json_access.h"

namespace vkube::hostsim {

namespace jsonx = resource::jsonx;
using nlohmann::json;

namespace {
constexpr std::size_t kWriteBatch = 32;  // events per pool task before yielding the thread
constexpr int kNameAttempts = 4;
}  // namespace

EventRecorder::EventRecorder(std::shared_ptr<registry::GenericRegistry> objects, boost::asio::any_io_executor executor,
                             std::size_t max_queue, std::size_t max_writers)
    : objects_(std::move(objects)), executor_(std::move(executor)), max_queue_(max_queue), max_writers_(max_writers) {}

void EventRecorder::Emit(const json& pod, const std::string& type, const std::string& reason,
                         const std::string& message, const EventSource& source, const std::string& field_path) {
  const std::string now = FormatRfc3339(std::chrono::system_clock::now());
  json involved = {{"kind", "Pod"},
                   {"namespace", jsonx::Str(pod, "metadata.namespace")},
                   {"name", jsonx::Str(pod, "metadata.name")},
                   {"uid", jsonx::Str(pod, "metadata.uid")},
                   {"apiVersion", "v1"},
                   {"resourceVersion", jsonx::Str(pod, "metadata.resourceVersion")}};
  if (!field_path.empty()) involved["fieldPath"] = field_path;
  json src = {{"component", source.component}};
  if (!source.host.empty()) src["host"] = source.host;
  json ev = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata", {{"namespace", jsonx::Str(pod, "metadata.namespace")}}},
             {"involvedObject", std::move(involved)},
             {"reason", reason},
             {"message", message},
             {"source", std::move(src)},
             {"firstTimestamp", now},
             {"lastTimestamp", now},
             {"count", 1},
             {"type", type},
             {"eventTime", nullptr},
             {"reportingComponent", source.component},
             {"reportingInstance", source.host}};
  std::lock_guard lock(mu_);
  if (stopped_) return;
  if (queue_.size() >= max_queue_) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(ev));
  if (writers_ < max_writers_) {
    ++writers_;
    boost::asio::post(executor_, [self = shared_from_this()] { self->Work(); });
  }
}

void EventRecorder::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  queue_.clear();
}

void EventRecorder::Work() {
  const resource::Kind* kind = objects_->Find("", "events");
  for (std::size_t done = 0;; ++done) {
    json ev;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() || stopped_ || kind == nullptr) {
        --writers_;
        return;
      }
      if (done == kWriteBatch) {  // yield the pool thread, keep our writer slot
        boost::asio::post(executor_, [self = shared_from_this()] { self->Work(); });
        return;
      }
      ev = std::move(queue_.front());
      queue_.pop_front();
    }
    const std::string ns = jsonx::Str(ev, "metadata.namespace");
    // kube names events "<object>.<UnixNano in hex>"; a sequence number keeps them unique here.
    const auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
      char hex[32];
      std::snprintf(hex, sizeof hex, "%llx",
                    static_cast<unsigned long long>(nanos) + static_cast<unsigned long long>(sequence_++));
      ev["metadata"]["name"] = jsonx::Str(ev, "involvedObject.name") + "." + hex;
      auto res = objects_->Create(*kind, ns, ev);
      if (res || res.error().code != ErrorCode::kAlreadyExists) {
        // A namespace being deleted refuses new events: nothing to tell anyone then.
        if (!res && res.error().code != ErrorCode::kForbidden && res.error().code != ErrorCode::kNotFound) {
          VKUBE_LOG(kDebug) << "hostsim: event not written: " << res.error().message;
        }
        break;
      }
    }
  }
}

}  // namespace vkube::hostsim
