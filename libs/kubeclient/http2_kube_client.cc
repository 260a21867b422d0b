#include "libs/kubeclient/http2_kube_client.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "libs/kubeclient/api_error.h"
#include "libs/kubeclient/json_line_watch.h"
#include "libs/kubeclient/tls_client_context.h"
#include "libs/kubeclient/transport.h"

namespace vkube::kube {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct ServerUrl {
  std::string host;
  std::string port;
  std::string path;  // without a trailing slash
};

Result<ServerUrl> ParseServer(const std::string& server) {
  constexpr std::string_view kScheme = "https://";
  if (server.rfind(kScheme, 0) != 0) {
    return Error::Make(ErrorCode::kBadRequest, "kubeclient: server must be an https:// URL, got " + server);
  }
  std::string rest = server.substr(kScheme.size());
  ServerUrl u;
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    u.path = rest.substr(slash);
    rest.resize(slash);
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  }
  u.port = "443";
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find(']');
    if (close == std::string::npos) return Error::Make(ErrorCode::kBadRequest, "kubeclient: bad server " + server);
    u.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') u.port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    u.host = rest.substr(0, colon);
    if (colon != std::string::npos) u.port = rest.substr(colon + 1);
  }
  if (u.host.empty() || u.port.empty()) return Error::Make(ErrorCode::kBadRequest, "kubeclient: bad server " + server);
  return u;
}

const char* PatchContentType(PatchType t) {
  switch (t) {
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

Params WriteParams(const std::string& field_manager, bool dry_run, const std::string& field_validation) {
  Params p;
  p.emplace_back("fieldManager", field_manager);
  if (dry_run) p.emplace_back("dryRun", "All");
  p.emplace_back("fieldValidation", field_validation);
  return p;
}

std::string DeleteBody(const DeleteOptions& o) {
  json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!o.propagation_policy.empty()) body["propagationPolicy"] = o.propagation_policy;
  if (o.grace_period_seconds) body["gracePeriodSeconds"] = *o.grace_period_seconds;
  if (o.precondition_uid || o.precondition_resource_version) {
    json pre = json::object();
    if (o.precondition_uid) pre["uid"] = *o.precondition_uid;
    if (o.precondition_resource_version) pre["resourceVersion"] = *o.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  if (o.dry_run) body["dryRun"] = json::array({"All"});
  return body.dump();
}

std::string ListQuery(const ListOptions& o) {
  Params p;
  p.emplace_back("labelSelector", o.label_selector);
  p.emplace_back("fieldSelector", o.field_selector);
  p.emplace_back("resourceVersion", o.resource_version);
  p.emplace_back("resourceVersionMatch", o.resource_version_match);
  if (o.limit > 0) p.emplace_back("limit", std::to_string(o.limit));
  p.emplace_back("continue", o.continue_token);
  if (o.timeout_seconds > 0) p.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds));
  return BuildQuery(p);
}

std::string WatchQuery(const WatchOptions& o) {
  Params p;
  p.emplace_back("watch", "true");
  p.emplace_back("labelSelector", o.label_selector);
  p.emplace_back("fieldSelector", o.field_selector);
  p.emplace_back("resourceVersion", o.resource_version);
  p.emplace_back("resourceVersionMatch", o.resource_version_match);
  if (o.allow_bookmarks) p.emplace_back("allowWatchBookmarks", "true");
  if (o.send_initial_events) p.emplace_back("sendInitialEvents", "true");
  if (o.timeout_seconds > 0) p.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds));
  return BuildQuery(p);
}

Result<ObjectList> ParseList(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) return Error::Make(ErrorCode::kInternal, "list: response is not a JSON object");
  ObjectList out;
  out.api_version = doc.value("apiVersion", "");
  out.kind = doc.value("kind", "");
  if (auto m = doc.find("metadata"); m != doc.end() && m->is_object()) {
    out.resource_version = m->value("resourceVersion", "");
    out.continue_token = m->value("continue", "");
    if (auto r = m->find("remainingItemCount"); r != m->end() && r->is_number_integer()) {
      out.remaining_item_count = r->get<std::int64_t>();
    }
  }
  if (auto items = doc.find("items"); items != doc.end() && items->is_array()) {
    out.items.reserve(items->size());
    for (auto& item : *items) out.items.push_back(std::move(item));
  }
  return out;
}

Result<json> ParseObject(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Error::Make(ErrorCode::kInternal, "response is not JSON");
  return doc;
}

std::chrono::seconds RetryAfter(const HttpResponse& r, std::chrono::seconds cap) {
  std::string_view v = FindHeader(r.headers, "retry-after");
  long n = 1;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || n < 1) n = 1;
  return std::min(std::chrono::seconds(n), cap);
}

std::string NameOf(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  return m->value("name", "");
}

std::string NamespaceOf(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  return m->value("namespace", "");
}

template <typename T>
Task<T> Fail(Error e) {
  co_return e;
}

// The body of a 2xx answer; anything else becomes the typed error its Status describes.
Result<std::string> SuccessBody(Result<HttpResponse> r) {
  if (!r) return r.take_error();
  if (r->status < 200 || r->status > 299) {
    return ErrorFromResponse(r->status, r->body, FindHeader(r->headers, "retry-after"));
  }
  return std::move(r->body);
}

}  // namespace

Result<std::unique_ptr<Http2KubeClient>> Http2KubeClient::Create(asio::any_io_executor executor,
                                                                 const KubeConfig& config, ClientOptions options) {
  auto url = ParseServer(config.server);
  if (!url) return url.take_error();
  auto tls = MakeClientTlsContext(config);
  if (!tls) return tls.take_error();
  TransportOptions t;
  t.host = url->host;
  t.port = url->port;
  t.server_name = config.tls_server_name;
  t.insecure_skip_verify = config.insecure_skip_tls_verify;
  t.tls = *tls;
  t.enable_http2 = options.enable_http2;
  t.max_response_bytes = options.max_response_bytes;
  t.max_concurrent_streams = options.max_concurrent_streams;
  t.max_h2_connections = options.max_h2_connections;
  t.h2_stream_window = options.h2_stream_window;
  t.max_http1_connections = options.max_http1_connections;
  t.connect_timeout = options.connect_timeout;
  t.request_timeout = options.request_timeout;
  t.ping_interval = options.ping_interval;
  t.ping_timeout = options.ping_timeout;
  auto transport = std::make_unique<Transport>(std::move(executor), std::move(t));
  return std::unique_ptr<Http2KubeClient>(
      new Http2KubeClient(config, std::move(options), std::move(transport), url->path));
}

Http2KubeClient::Http2KubeClient(KubeConfig config, ClientOptions options, std::unique_ptr<Transport> transport,
                                 std::string path_prefix)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      path_prefix_(std::move(path_prefix)),
      limiter_(options_.qps, options_.burst),
      token_(config_.token, config_.token_file, options_.token_refresh) {}

Http2KubeClient::~Http2KubeClient() { Shutdown(); }

void Http2KubeClient::Shutdown() { transport_->Shutdown(); }

std::uint64_t Http2KubeClient::connections_opened() const { return transport_->connections_opened(); }

std::string Http2KubeClient::protocol() const { return transport_->protocol(); }

HttpRequest Http2KubeClient::MakeRequest(std::string method, std::string target, std::string body,
                                         std::string content_type) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = path_prefix_ + target;
  r.headers.push_back(HttpHeader{"accept", "application/json"});
  r.headers.push_back(HttpHeader{"user-agent", options_.user_agent});
  if (std::string token = token_.Token(); !token.empty()) {
    r.headers.push_back(HttpHeader{"authorization", "Bearer " + token});
  }
  if (!body.empty()) r.headers.push_back(HttpHeader{"content-type", std::move(content_type)});
  r.body = std::move(body);
  r.timeout = options_.request_timeout;
  return r;
}

Task<HttpResponse> Http2KubeClient::Send(HttpRequest request) {
  for (int attempt = 0;; ++attempt) {
    co_await limiter_.Acquire();
    const bool may_retry = attempt < options_.max_retries;
    HttpRequest req;
    if (may_retry) {
      req = request;
    } else {
      req = std::move(request);
    }
    auto r = co_await transport_->RoundTrip(std::move(req));
    if (!r) co_return r.take_error();
    if (r->status == 429 && may_retry) {
      // The server asked us to come back later: honour Retry-After (client-go does the same).
      asio::steady_timer timer(co_await asio::this_coro::executor, RetryAfter(*r, options_.max_retry_after));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return ErrorFromResponse(r->status, r->body, FindHeader(r->headers, "retry-after"));
      continue;
    }
    co_return r;
  }
}

Task<json> Http2KubeClient::SendJson(HttpRequest request) {
  auto r = co_await Send(std::move(request));
  auto body = SuccessBody(std::move(r));
  if (!body) co_return body.take_error();
  co_return ParseObject(*body);
}

Task<ObjectList> Http2KubeClient::SendList(HttpRequest request) {
  auto r = co_await Send(std::move(request));
  auto body = SuccessBody(std::move(r));
  if (!body) co_return body.take_error();
  co_return ParseList(*body);
}

Task<json> Http2KubeClient::Get(ResourceRef ref, std::string name, GetOptions o) {
  Params p;
  p.emplace_back("resourceVersion", o.resource_version);
  return SendJson(MakeRequest("GET", ref.ObjectPath(name, o.subresource) + BuildQuery(p), "", ""));
}

Task<ObjectList> Http2KubeClient::List(ResourceRef ref, ListOptions o) {
  return SendList(MakeRequest("GET", ref.CollectionPath() + ListQuery(o), "", ""));
}

Task<json> Http2KubeClient::Create(ResourceRef ref, json object, WriteOptions o) {
  if (ref.ns.empty()) ref.ns = NamespaceOf(object);
  std::string target = ref.CollectionPath();
  if (!o.subresource.empty()) {
    const std::string name = NameOf(object);
    if (name.empty()) return Fail<json>(Error::Make(ErrorCode::kBadRequest, "create: subresource needs metadata.name"));
    target = ref.ObjectPath(name, o.subresource);
  }
  target += BuildQuery(WriteParams(o.field_manager, o.dry_run, o.field_validation));
  return SendJson(MakeRequest("POST", std::move(target), object.dump(), "application/json"));
}

Task<json> Http2KubeClient::Update(ResourceRef ref, json object, WriteOptions o) {
  const std::string name = NameOf(object);
  if (name.empty()) return Fail<json>(Error::Make(ErrorCode::kBadRequest, "update: object has no metadata.name"));
  if (ref.ns.empty()) ref.ns = NamespaceOf(object);
  std::string target =
      ref.ObjectPath(name, o.subresource) + BuildQuery(WriteParams(o.field_manager, o.dry_run, o.field_validation));
  return SendJson(MakeRequest("PUT", std::move(target), object.dump(), "application/json"));
}

Task<json> Http2KubeClient::Patch(ResourceRef ref, std::string name, PatchType type, std::string patch,
                                  PatchOptions o) {
  if (type == PatchType::kApply && o.field_manager.empty()) {
    return Fail<json>(Error::Make(ErrorCode::kBadRequest, "server-side apply needs a field manager"));
  }
  Params p = WriteParams(o.field_manager, o.dry_run, o.field_validation);
  if (type == PatchType::kApply && o.force) p.emplace_back("force", "true");
  std::string target = ref.ObjectPath(name, o.subresource) + BuildQuery(p);
  return SendJson(MakeRequest("PATCH", std::move(target), std::move(patch), PatchContentType(type)));
}

Task<json> Http2KubeClient::Delete(ResourceRef ref, std::string name, DeleteOptions o) {
  return SendJson(MakeRequest("DELETE", ref.ObjectPath(name), DeleteBody(o), "application/json"));
}

Task<std::unique_ptr<Watch>> Http2KubeClient::StartWatch(ResourceRef ref, WatchOptions o) {
  return OpenWatch(MakeRequest("GET", ref.CollectionPath() + WatchQuery(o), "", ""));
}

Task<std::unique_ptr<Watch>> Http2KubeClient::OpenWatch(HttpRequest request) {
  co_await limiter_.Acquire();
  auto body = co_await transport_->Open(std::move(request));
  if (!body) co_return body.take_error();
  if ((*body)->status() != 200) {
    auto text = co_await (*body)->ReadAll(1024 * 1024);
    std::string payload;
    if (text) payload = std::move(*text);
    co_return ErrorFromResponse((*body)->status(), payload, FindHeader((*body)->headers(), "retry-after"));
  }
  std::unique_ptr<Watch> w = std::make_unique<JsonLineWatch>(std::move(*body), options_.max_watch_event_bytes);
  co_return w;
}

Task<std::unique_ptr<BodyStream>> Http2KubeClient::GetStream(std::string path) {
  co_await limiter_.Acquire();
  auto body = co_await transport_->Open(MakeRequest("GET", std::move(path), "", ""));
  if (!body) co_return body.take_error();
  if ((*body)->status() < 200 || (*body)->status() > 299) {
    auto text = co_await (*body)->ReadAll(1024 * 1024);
    std::string payload;
    if (text) payload = std::move(*text);
    co_return ErrorFromResponse((*body)->status(), payload, FindHeader((*body)->headers(), "retry-after"));
  }
  co_return std::move(*body);
}

Task<std::string> Http2KubeClient::GetRaw(std::string path) {
  auto r = co_await Send(MakeRequest("GET", std::move(path), "", ""));
  if (!r) co_return r.take_error();
  if (r->status < 200 || r->status > 299) {
    co_return ErrorFromResponse(r->status, r->body, FindHeader(r->headers, "retry-after"));
  }
  co_return std::move(r->body);
}

}  // namespace vkube::kube
