#include "hostsim/synthetic_logs.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "hostsim/pod_connect.h"
#include "libs/resource/json_access.h"
#include "libs/resource/status.h"
#include "libs/resource/validation.h"

namespace vkube::hostsim {

namespace asio = boost::asio;
namespace jsonx = resource::jsonx;
using apiserver::PodLogOptions;
using nlohmann::json;

namespace {

constexpr std::int64_t kLinesPerChunk = 512;
constexpr std::chrono::milliseconds kMaxWait{1000};  // a follower re-reads its pod at least this often

std::vector<std::string> ContainerNames(const json& pod, const char* list) {
  std::vector<std::string> out;
  const json& cs = jsonx::Child(jsonx::Child(pod, "spec"), list);
  if (!cs.is_array()) return out;
  for (const auto& c : cs) out.push_back(jsonx::Str(c, "name"));
  return out;
}

const json* FindStatus(const json& pod, const std::string& container) {
  for (const char* list : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    const json& ss = jsonx::Child(jsonx::Child(pod, "status"), list);
    if (!ss.is_array()) continue;
    for (const auto& s : ss) {
      if (jsonx::Str(s, "name") == container) return &s;
    }
  }
  return nullptr;
}

Error Bad(std::string message) { return resource::BadRequest(std::move(message)); }

// The run recorded in a ContainerStateTerminated.
LogSource FromTerminated(LogSource src, const json& terminated, std::int64_t run) {
  src.start = ParseRfc3339(jsonx::Str(terminated, "startedAt")).value_or(SystemTime{});
  src.end = ParseRfc3339(jsonx::Str(terminated, "finishedAt")).value_or(src.start);
  src.restart_count = run;
  return src;
}

}  // namespace

Result<LogSource> ResolveLogSource(const registry::GenericRegistry& objects, const std::string& ns,
                                   const std::string& pod_name, const PodLogOptions& options) {
  const resource::Kind* kind = objects.Find("", "pods");
  if (kind == nullptr) return resource::NotFound("", "pods", pod_name);
  auto got = objects.GetJson(*kind, ns, pod_name);
  if (!got) return got.take_error();
  const json& pod = *got;
  // validateContainer of kube-apiserver's pods/log.
  std::string container = options.container;
  const auto init = ContainerNames(pod, "initContainers");
  const auto app = ContainerNames(pod, "containers");
  const auto eph = ContainerNames(pod, "ephemeralContainers");
  if (container.empty()) {
    if (app.size() == 1) {
      container = app[0];
    } else if (app.empty()) {
      return Bad("a container name must be specified for pod " + pod_name);
    } else {
      std::string all;
      for (const auto* list : {&init, &app, &eph}) {
        for (const auto& n : *list) all += (all.empty() ? "" : " ") + n;
      }
      return Bad("a container name must be specified for pod " + pod_name + ", choose one of: [" + all + "]");
    }
  } else if (std::find(init.begin(), init.end(), container) == init.end() &&
             std::find(app.begin(), app.end(), container) == app.end() &&
             std::find(eph.begin(), eph.end(), container) == eph.end()) {
    return Bad("container " + container + " is not valid for pod " + pod_name);
  }
  LogSource src;
  src.ns = ns;
  src.pod = pod_name;
  src.uid = jsonx::Str(pod, "metadata.uid");
  src.container = container;
  if (jsonx::Str(pod, "spec.nodeName").empty()) {
    src.none = true;
    return src;
  }
  // validateContainerLogStatus of the kubelet.
  const std::string quoted = resource::validation::GoQuote(container);
  const std::string in_pod = " in pod " + resource::validation::GoQuote(pod_name);
  const json* cs = FindStatus(pod, container);
  if (cs == nullptr) return Bad("container " + quoted + in_pod + " is waiting to start: ContainerCreating");
  const std::int64_t restarts = jsonx::Int(*cs, "restartCount");
  const json& last = jsonx::At(*cs, "lastState.terminated");
  if (options.previous) {
    if (!last.is_object() || jsonx::Str(last, "containerID").empty()) {
      return Bad("previous terminated container " + quoted + in_pod + " not found");
    }
    return FromTerminated(src, last, restarts - 1);
  }
  if (const json& running = jsonx::At(*cs, "state.running"); running.is_object()) {
    src.start = ParseRfc3339(jsonx::Str(running, "startedAt")).value_or(SystemTime{});
    src.restart_count = restarts;
    return src;
  }
  if (const json& terminated = jsonx::At(*cs, "state.terminated"); terminated.is_object()) {
    if (!jsonx::Str(terminated, "containerID").empty()) return FromTerminated(src, terminated, restarts);
    if (last.is_object() && !jsonx::Str(last, "containerID").empty()) return FromTerminated(src, last, restarts - 1);
    return Bad("container " + quoted + in_pod + " is terminated");
  }
  if (last.is_object()) {
    if (jsonx::Str(last, "containerID").empty()) return Bad("container " + quoted + in_pod + " is terminated");
    return FromTerminated(src, last, restarts - 1);
  }
  const std::string waiting = jsonx::Str(*cs, "state.waiting.reason");
  if (!waiting.empty()) return Bad("container " + quoted + in_pod + " is waiting to start: " + waiting);
  return Bad("container " + quoted + in_pod + " is waiting to start - no logs yet");
}

namespace {

class SyntheticLogStream final : public apiserver::ChunkStream {
 public:
  SyntheticLogStream(std::shared_ptr<registry::GenericRegistry> objects, std::shared_ptr<const SimConfig> cfg,
                     LogSource src, PodLogOptions opts)
      : objects_(std::move(objects)), cfg_(std::move(cfg)), src_(std::move(src)), opts_(std::move(opts)) {
    if (src_.none) {
      done_ = true;
      return;
    }
    const auto now = std::chrono::system_clock::now();
    const std::int64_t avail = AvailableEnd(now);
    next_ = std::max<std::int64_t>(0, avail - cfg_->max_log_lines);  // rotated away
    if (opts_.tail_lines) next_ = std::max(next_, avail - *opts_.tail_lines);
    std::optional<SystemTime> since = opts_.since_time;
    if (opts_.since_seconds) since = now - std::chrono::seconds(*opts_.since_seconds);
    if (since && *since > src_.start) {
      const auto step = cfg_->log_interval.count();
      const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*since - src_.start).count();
      next_ = std::max<std::int64_t>(next_, (after + step - 1) / step);
    }
    if (!opts_.follow) stop_ = avail;
    bytes_left_ = opts_.limit_bytes;
  }

  asio::awaitable<std::optional<std::string>> Next() override {
    for (;;) {
      if (cancelled_ || done_) break;
      std::string chunk = Step(std::chrono::system_clock::now());
      if (!chunk.empty()) co_return std::optional<std::string>(std::move(chunk));
      if (done_) break;
      if (!timer_) {
        auto ex = co_await asio::this_coro::executor;
        timer_ = std::make_unique<asio::steady_timer>(ex);
      }
      timer_->expires_after(WaitFor(std::chrono::system_clock::now()));
      co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
      if (cancelled_) break;
      Refresh();
    }
    // Ended: the timer belongs to the caller's executor, which need not outlive this stream.
    timer_.reset();
    co_return std::nullopt;
  }

  void Cancel() override {
    cancelled_ = true;
    if (timer_) timer_->cancel();
  }

 private:
  SystemTime LineTime(std::int64_t k) const { return src_.start + cfg_->log_interval * k; }

  // One past the last line printed by `now` (and by the end of the run).
  std::int64_t AvailableEnd(SystemTime now) const {
    SystemTime t = src_.end ? std::min(now, *src_.end) : now;
    if (t < src_.start) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(t - src_.start).count() / cfg_->log_interval.count() +
           1;
  }

  std::string Step(SystemTime now) {
    std::int64_t avail = AvailableEnd(now);
    if (stop_) avail = std::min(avail, *stop_);
    if (next_ < avail) {
      const std::int64_t until = std::min(avail, next_ + kLinesPerChunk);
      std::string out;
      for (; next_ < until; ++next_) {
        const SystemTime at = LineTime(next_);
        if (opts_.timestamps) out += SyntheticPodStreams::Rfc3339Nano(at) + " ";
        out += SyntheticPodStreams::Line(src_.pod, src_.container, next_, at);
        out += '\n';
      }
      if (bytes_left_) {
        if (static_cast<std::int64_t>(out.size()) >= *bytes_left_) {
          out.resize(static_cast<std::size_t>(*bytes_left_));
          done_ = true;
        }
        *bytes_left_ -= static_cast<std::int64_t>(out.size());
      }
      return out;
    }
    if (stop_ || (src_.end && next_ >= AvailableEnd(*src_.end))) done_ = true;
    return {};
  }

  std::chrono::milliseconds WaitFor(SystemTime now) const {
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(LineTime(next_) - now);
    return std::clamp(until, std::chrono::milliseconds(1), kMaxWait);
  }

  // Following: has the run ended, or the pod gone?
  void Refresh() {
    PodLogOptions o;
    o.container = src_.container;
    auto now = Resolve(o);
    if (!now) {
      if (now.error().code == ErrorCode::kNotFound) {
        done_ = true;
      } else if (!src_.end) {
        src_.end = std::chrono::system_clock::now();  // no longer running (and no status to say when)
      }
      return;
    }
    if (now->uid != src_.uid || now->none) {
      done_ = true;  // a new pod of the same name
      return;
    }
    if (now->restart_count == src_.restart_count) {
      if (now->end) src_.end = now->end;
      return;
    }
    // A newer run started: ours ended when lastState says.
    o.previous = true;
    auto prev = Resolve(o);
    if (prev && prev->restart_count == src_.restart_count && prev->end) {
      src_.end = prev->end;
    } else if (!src_.end) {
      src_.end = std::chrono::system_clock::now();
    }
  }

  Result<LogSource> Resolve(const PodLogOptions& o) const { return ResolveLogSource(*objects_, src_.ns, src_.pod, o); }

  std::shared_ptr<registry::GenericRegistry> objects_;
  std::shared_ptr<const SimConfig> cfg_;
  LogSource src_;
  PodLogOptions opts_;
  std::int64_t next_ = 0;
  std::optional<std::int64_t> stop_;  // not following: the lines present at open
  std::optional<std::int64_t> bytes_left_;
  bool done_ = false;
  bool cancelled_ = false;
  std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace

SyntheticPodStreams::SyntheticPodStreams(std::shared_ptr<registry::GenericRegistry> objects,
                                         std::shared_ptr<const SimConfig> cfg)
    : objects_(std::move(objects)), cfg_(std::move(cfg)) {}

std::string SyntheticPodStreams::Line(const std::string& pod, const std::string& container, std::int64_t k,
                                      SystemTime at) {
  return FormatRfc3339(at) + " pod " + pod + " container " + container + " line " + std::to_string(k);
}

std::string SyntheticPodStreams::Rfc3339Nano(SystemTime t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  std::string s = FormatRfc3339(secs);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - secs).count();
  if (nanos == 0) return s;
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
  std::string f = frac;
  while (f.back() == '0') f.pop_back();
  s.insert(s.size() - 1, f);
  return s;
}

Result<std::shared_ptr<apiserver::ChunkStream>> SyntheticPodStreams::Open(const std::string& ns, const std::string& pod,
                                                                          const PodLogOptions& options) const {
  auto src = ResolveLogSource(*objects_, ns, pod, options);
  if (!src) return src.take_error();
  return std::shared_ptr<apiserver::ChunkStream>(
      std::make_shared<SyntheticLogStream>(objects_, cfg_, std::move(*src), options));
}

asio::awaitable<Result<std::shared_ptr<apiserver::ChunkStream>>> SyntheticPodStreams::Logs(std::string ns,
                                                                                           std::string pod,
                                                                                           PodLogOptions options) {
  co_return Open(ns, pod, options);
}

asio::awaitable<void> SyntheticPodStreams::Connect(std::string ns, std::string pod, apiserver::PodConnectOptions options,
                                                  http::Request& request, http::ResponseWriter& writer) {
  co_await ServePodConnect(*objects_, *this, std::move(ns), std::move(pod), std::move(options), request, writer);
}

}  // namespace vkube::hostsim
