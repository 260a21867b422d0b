#include "apiserver-proxy/pod_streams.h"

#include <charconv>

#include "apiserver-proxy/content.h"
#include "libs/resource/status.h"
#include "libs/resource/validation.h"

namespace vkube::apiserver {

namespace v = resource::validation;

namespace {

// Query integers as Go's strconv.ParseInt reads them.
Result<std::optional<std::int64_t>> IntParam(const Query& q, std::string_view key) {
  if (!q.Has(key)) return std::optional<std::int64_t>();
  std::string_view s = q.Get(key);
  std::int64_t out = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data() + (!s.empty() && s[0] == '+'), end, out);
  if (s.empty() || ec != std::errc() || ptr != end) {
    return resource::BadRequest("strconv.ParseInt: parsing " + v::GoQuote(s) + ": invalid syntax");
  }
  return std::optional<std::int64_t>(out);
}

http::Headers LogHeaders() { return {{"content-type", "text/plain"}, {"cache-control", "no-cache, private"}}; }

}  // namespace

Result<PodLogOptions> ParsePodLogOptions(const Query& q, const std::string& pod) {
  PodLogOptions o;
  o.container = std::string(q.Get("container"));
  o.follow = q.Bool("follow");
  o.previous = q.Bool("previous");
  o.timestamps = q.Bool("timestamps");
  auto tail = IntParam(q, "tailLines");
  if (!tail) return tail.take_error();
  o.tail_lines = *tail;
  auto since = IntParam(q, "sinceSeconds");
  if (!since) return since.take_error();
  o.since_seconds = *since;
  auto limit = IntParam(q, "limitBytes");
  if (!limit) return limit.take_error();
  o.limit_bytes = *limit;
  if (q.Has("sinceTime")) {
    auto t = ParseRfc3339(q.Get("sinceTime"));
    if (!t) {
      return resource::BadRequest("parsing time " + v::GoQuote(q.Get("sinceTime")) +
                                  " as \"2006-01-02T15:04:05Z07:00\": cannot parse");
    }
    o.since_time = *t;
  }
  // ValidatePodLogOptions.
  std::vector<FieldCause> errs;
  if (o.tail_lines && *o.tail_lines < 0) {
    errs.push_back(v::Invalid("tailLines", std::to_string(*o.tail_lines), "must be greater than or equal to 0"));
  }
  if (o.limit_bytes && *o.limit_bytes < 1) {
    errs.push_back(v::Invalid("limitBytes", std::to_string(*o.limit_bytes), "must be greater than 0"));
  }
  if (o.since_seconds && o.since_time) {
    errs.push_back(v::Forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  } else if (o.since_seconds && *o.since_seconds < 1) {
    errs.push_back(v::Invalid("sinceSeconds", std::to_string(*o.since_seconds), "must be greater than 0"));
  }
  if (!errs.empty()) return resource::Invalid("", "PodLogOptions", pod, std::move(errs));
  return o;
}

boost::asio::awaitable<void> ServePodLogs(PodStreams& streams, std::string ns, std::string pod, const Query& query,
                                          http::ResponseWriter& w) {
  auto opts = ParsePodLogOptions(query, pod);
  if (!opts) co_return co_await w.Send(ErrorResponse(opts.error()));
  auto opened = co_await streams.Logs(ns, pod, *opts);
  if (!opened) co_return co_await w.Send(ErrorResponse(opened.error()));
  std::shared_ptr<ChunkStream> stream = std::move(*opened);
  std::weak_ptr<ChunkStream> weak = stream;
  w.on_closing([weak] {
    if (auto s = weak.lock()) s->Cancel();
  });
  if (w.closing()) stream->Cancel();
  if (!co_await w.Start(200, LogHeaders())) co_return;
  for (;;) {
    std::optional<std::string> chunk = co_await stream->Next();
    if (!chunk) break;
    if (chunk->empty()) continue;
    if (!co_await w.Write(std::move(*chunk))) break;
  }
  co_await w.Finish();
}

}  // namespace vkube::apiserver
