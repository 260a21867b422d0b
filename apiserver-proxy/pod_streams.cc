#include "apiserver-proxy/pod_streams.h"

#include <algorithm>
#include <charconv>

#include "apiserver-proxy/content.h"
#include "libs/resource/json_access.h"
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

// Every value of `key` in a raw query, decoded as Go's url.ParseQuery does ('+' is a space).
Result<std::vector<std::string>> QueryValues(std::string_view raw, std::string_view key) {
  std::vector<std::string> out;
  while (!raw.empty()) {
    const std::size_t amp = raw.find('&');
    std::string_view kv = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (kv.empty()) continue;
    const std::size_t eq = kv.find('=');
    std::string k(kv.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1));
    for (auto* s : {&k, &v}) {
      for (char& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    auto dk = PercentDecode(k);
    auto dv = PercentDecode(v);
    if (!dk || !dv) return resource::BadRequest("invalid query string");
    if (*dk == key) out.push_back(std::move(*dv));
  }
  return out;
}

// strconv.ParseBool; an absent parameter is false.
Result<bool> BoolParam(std::string_view raw, std::string_view key) {
  auto values = QueryValues(raw, key);
  if (!values) return values.take_error();
  if (values->empty()) return false;
  const std::string& v = values->front();
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (v == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (v == f) return false;
  }
  return resource::BadRequest("strconv.ParseBool: parsing " + v::GoQuote(v) + ": invalid syntax");
}

std::vector<std::string> Names(const nlohmann::json& pod, const char* list) {
  std::vector<std::string> out;
  const nlohmann::json& cs = resource::jsonx::Child(resource::jsonx::Child(pod, "spec"), list);
  if (!cs.is_array()) return out;
  for (const auto& c : cs) out.push_back(resource::jsonx::Str(c, "name"));
  return out;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

}  // namespace

Error NoHostAssigned(const std::string& pod) {
  return resource::BadRequest("pod " + pod + " does not have a host assigned");
}

boost::asio::awaitable<void> PodStreams::Connect(std::string, std::string pod, PodConnectOptions, http::Request&,
                                                 http::ResponseWriter& writer) {
  co_await writer.Send(ErrorResponse(NoHostAssigned(pod)));
}

Result<PodConnectOptions> ParsePodConnectOptions(std::string_view subresource, std::string_view raw) {
  PodConnectOptions o;
  o.subresource = std::string(subresource);
  if (subresource == "portforward") {
    auto values = QueryValues(raw, "ports");
    if (!values) return values.take_error();
    for (const std::string& value : *values) {
      std::string_view list = value;
      while (!list.empty()) {  // the kubelet also splits on commas
        const std::size_t comma = list.find(',');
        std::string_view p = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        unsigned n = 0;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
        if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || n > 65535) {
          return resource::BadRequest("unable to parse port " + v::GoQuote(p) + ": invalid syntax");
        }
        if (n == 0) return resource::BadRequest("port " + v::GoQuote(p) + " must be > 0");
        o.ports.push_back(static_cast<std::uint16_t>(n));
      }
    }
    return o;
  }
  auto container = QueryValues(raw, "container");
  if (!container) return container.take_error();
  if (!container->empty()) o.container = container->front();
  auto in = BoolParam(raw, "stdin");
  auto out = BoolParam(raw, "stdout");
  auto err = BoolParam(raw, "stderr");
  auto tty = BoolParam(raw, "tty");
  for (auto* b : {&in, &out, &err, &tty}) {
    if (!*b) return b->take_error();
  }
  o.use_stdin = *in;
  o.use_stdout = *out;
  o.tty = *tty;
  o.use_stderr = *err && !o.tty;
  if (subresource == "exec") {
    auto command = QueryValues(raw, "command");
    if (!command) return command.take_error();
    o.command = std::move(*command);
    if (o.command.empty()) return resource::BadRequest("you must specify at least one command for the container");
  }
  if (!o.use_stdin && !o.use_stdout && !*err) {
    return resource::BadRequest("you must specify at least 1 of stdin, stdout, stderr");
  }
  return o;
}

Status ResolveStreamTarget(const nlohmann::json& pod, const std::string& name, PodConnectOptions& o) {
  if (o.subresource != "portforward") {
    const auto app = Names(pod, "containers");
    const auto init = Names(pod, "initContainers");
    const auto eph = Names(pod, "ephemeralContainers");
    if (o.container.empty()) {
      if (app.size() == 1) {
        o.container = app[0];
      } else if (app.empty()) {
        return resource::BadRequest("a container name must be specified for pod " + name);
      } else {
        std::string message = "a container name must be specified for pod " + name + ", choose one of: [" + Join(app) + "]";
        if (!init.empty()) message += " or one of the init containers: [" + Join(init) + "]";
        return resource::BadRequest(message);
      }
    } else {
      bool found = false;
      for (const auto* list : {&app, &init, &eph}) {
        found = found || std::find(list->begin(), list->end(), o.container) != list->end();
      }
      if (!found) return resource::BadRequest("container " + o.container + " is not valid for pod " + name);
    }
  }
  if (resource::jsonx::Str(pod, "spec.nodeName").empty()) return NoHostAssigned(name);
  return {};
}

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
