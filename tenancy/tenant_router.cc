#include "tenancy/tenant_router.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "apiserver-proxy/content.h"
#include "apiserver-proxy/request_info.h"
#include "libs/net/await_uncancelled.h"
#include "libs/net/fair_turns.h"
#include "tenancy/tenant_name.h"

namespace vkube::tenancy {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kPathPrefix = "/tenants/";

bool EndsWithDomain(std::string_view sni, std::string_view domain, std::string_view* label) {
  if (domain.empty() || sni.size() <= domain.size() + 1) return false;
  const std::string_view tail = sni.substr(sni.size() - domain.size());
  for (std::size_t i = 0; i < domain.size(); ++i) {
    const char c = tail[i] >= 'A' && tail[i] <= 'Z' ? static_cast<char>(tail[i] - 'A' + 'a') : tail[i];
    if (c != domain[i]) return false;
  }
  if (sni[sni.size() - domain.size() - 1] != '.') return false;
  *label = sni.substr(0, sni.size() - domain.size() - 1);
  return true;
}

// A named coroutine, not a capturing lambda: GCC 12 frees a lambda temporary's captured strings
// twice when it is created inside a co_await expression. optional: co_spawn needs a
// default-constructible result.
asio::awaitable<std::optional<Result<std::shared_ptr<Tenant>>>> AcquireTenant(TenantManager& tenants,
                                                                              std::string name) {
  co_return tenants.Acquire(name);
}

http::Response TooManyRequests(const char* message = "Too many requests, please try again later.") {
  Error e = Error::Make(ErrorCode::kTooManyRequests, message);
  e.details.retry_after_seconds = 1;
  return apiserver::ErrorResponse(e);
}

// A connection of the tenant's own (SNI) holds one of its connection slots from its first request
// to its close. Over the cap every request is refused, and HTTP/1.1 closes the connection.
// `*taken`: this request took the slot (given back if it turns out unauthenticated, so that
// clients without the tenant's credentials cannot hold its slots).
bool AdmitConnection(const Route& route, Tenant& tenant, const http::Request& request, bool* taken) {
  *taken = false;
  if (!route.by_sni || !request.peer || !tenant.gate().caps_connections()) return true;
  if (request.peer->handler_state) return true;
  request.peer->handler_state = tenant.gate().AdmitConnection();
  *taken = request.peer->handler_state != nullptr;
  return *taken;
}

bool IsPublic(std::string_view path) {
  for (std::string_view p : {"/healthz", "/livez", "/readyz", "/version"}) {
    if (path == p || (path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/')) return true;
  }
  return false;
}

// kube's watch forms: ?watch=true|1 on a list, or the legacy /watch/ path prefix.
bool IsWatch(std::string_view path, std::string_view query) {
  if (path.starts_with("/api/v1/watch/") ||
      (path.starts_with("/apis/") && path.find("/watch/") != std::string_view::npos)) {
    return true;
  }
  for (std::string_view q = query; !q.empty();) {
    const std::size_t amp = q.find('&');
    const std::string_view kv = q.substr(0, amp);
    if (kv == "watch=true" || kv == "watch=1") return true;
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return false;
}

// Records the status a handler answers with (metrics), forwarding everything.
class MeteredWriter final : public http::ResponseWriter {
 public:
  explicit MeteredWriter(http::ResponseWriter& inner) : inner_(inner) {}
  asio::awaitable<void> Send(http::Response r) override {
    status_ = r.status;
    co_await inner_.Send(std::move(r));
  }
  asio::awaitable<bool> Start(int status, http::Headers headers) override {
    status_ = status;
    co_return co_await inner_.Start(status, std::move(headers));
  }
  asio::awaitable<bool> Write(std::string chunk) override { co_return co_await inner_.Write(std::move(chunk)); }
  asio::awaitable<void> Finish() override { co_await inner_.Finish(); }
  bool closing() const override { return inner_.closing(); }
  void on_closing(std::function<void()> fn) override { inner_.on_closing(std::move(fn)); }
  int status() const { return status_; }

 private:
  http::ResponseWriter& inner_;
  int status_ = 0;
};

// kube's verb and the served resource of a request ("" when it is not a served resource, so the
// resource label only ever takes the registry's values).
std::pair<std::string, std::string> Classify(Tenant& tenant, const http::Request& request) {
  auto query = apiserver::Query::Parse(request.query);
  if (!query) return {"other", ""};
  auto info = apiserver::ParseRequestInfo(request.method, request.path, *query);
  if (!info || !info->is_resource_request) return {info ? info->verb : "other", ""};
  const bool served = tenant.registry().Find(info->group, info->version, info->resource) != nullptr;
  return {info->verb, served ? info->resource : ""};
}

// A dot-dot segment, raw or percent-encoded (%2e, %2f), would climb out of /tenants/NAME/.
bool EscapesPrefix(std::string_view path) {
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const char a = path[i + 1], b = static_cast<char>(path[i + 2] | 0x20);
      if (a == '2' && (b == 'e' || b == 'f')) {
        decoded.push_back(b == 'e' ? '.' : '/');
        i += 2;
        continue;
      }
    }
    decoded.push_back(path[i]);
  }
  for (std::size_t start = 0; start <= decoded.size();) {
    const std::size_t end = std::min(decoded.find('/', start), decoded.size());
    if (decoded.compare(start, end - start, "..") == 0) return true;
    start = end + 1;
  }
  return false;
}

http::Response Unauthorized() {
  return apiserver::ErrorResponse(Error::Make(ErrorCode::kUnauthorized, "Unauthorized"));
}

}  // namespace

std::optional<Route> ResolveRoute(const RouterOptions& o, std::string_view sni, std::string_view path,
                                  std::string_view query) {
  auto make = [&](std::string_view tenant, std::string_view rest) {
    Route r;
    if (ValidateTenantName(tenant)) r.tenant = std::string(tenant);  // else: addressed, but nobody
    r.path = rest.empty() ? "/" : std::string(rest);
    r.target = query.empty() ? r.path : r.path + "?" + std::string(query);
    return r;
  };
  std::string_view label;
  if (EndsWithDomain(sni, o.base_domain, &label)) {
    Route r = make(label, path);
    r.by_sni = true;
    return r;
  }
  if (path.starts_with(kPathPrefix)) {
    std::string_view rest = path.substr(kPathPrefix.size());
    const std::size_t slash = rest.find('/');
    const std::string_view tenant = rest.substr(0, slash);
    const std::string_view inner = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (EscapesPrefix(inner)) return make("", inner);  // /tenants/a/../b: addressed to nobody (401)
    return make(tenant, inner);
  }
  if (o.default_tenant.empty()) return std::nullopt;
  Route r = make(o.default_tenant, path);
  r.is_default = true;
  return r;
}

asio::awaitable<void> TenantRouter::Handle(http::Request& request, http::ResponseWriter& writer) {
  const std::string_view sni = request.peer ? std::string_view(request.peer->sni) : std::string_view();
  std::optional<Route> route = ResolveRoute(options_, sni, request.path, request.query);
  if (!route || route->tenant.empty()) co_return co_await writer.Send(Unauthorized());
  // Anonymous health/version on a tenant route would tell which tenants exist: only the default
  // route (what probes use) answers them without a credential.
  const bool credential =
      !request.header("authorization").empty() || (request.peer && !request.peer->client_cert_der.empty());
  if (!route->is_default && !credential && IsPublic(route->path)) co_return co_await writer.Send(Unauthorized());
  std::shared_ptr<Tenant> tenant = tenants_.Running(route->tenant);
  if (!tenant) {
    if (!tenants_.Find(route->tenant)) co_return co_await writer.Send(Unauthorized());
    // First request of an idle tenant: load it on the blocking pool, not on this connection's thread.
    std::optional<Result<std::shared_ptr<Tenant>>> acquired =
        co_await asio::co_spawn(blocking_, AcquireTenant(tenants_, route->tenant), net::AwaitUncancelled());
    Result<std::shared_ptr<Tenant>>& started = *acquired;
    if (!started) {
      if (started.error().code == ErrorCode::kNotFound) co_return co_await writer.Send(Unauthorized());
      co_return co_await writer.Send(apiserver::ErrorResponse(Error::Make(
          ErrorCode::kServiceUnavailable, "the virtual cluster is not available: " + started.error().message)));
    }
    tenant = std::move(*started);
  }
  // Tenants take turns on this connection's thread for the CPU-bound part of their requests, so a
  // tenant with a backlog of parsed requests delays another tenant's by about one request. It costs
  // a loop pass per request (~1/3 of peak h2 throughput), so a process of one tenant skips it.
  if (options_.fair_turns && tenants_.Count() > 1) {
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    net::FairTurns& turns = net::FairTurns::For(ex);
    co_await turns.Take(tenant->name());
  }
  bool slot_taken = false;
  if (!AdmitConnection(*route, *tenant, request, &slot_taken)) {
    http::Response refused = TooManyRequests("too many connections to this virtual cluster, please try again later");
    refused.close = true;
    co_return co_await writer.Send(std::move(refused));
  }
  request.path = std::move(route->path);
  request.target = std::move(route->target);
  std::optional<TenantGate::WatchSlot> watch;  // held while the watch streams
  if (IsWatch(request.path, request.query)) {
    watch.emplace(tenant->gate().AdmitWatch());
    if (!watch->ok()) co_return co_await writer.Send(TooManyRequests());
  }
  PlatformMetrics::TenantSeries* series = tenant->metrics();
  std::pair<std::string, std::string> verb_resource;
  if (series != nullptr) {
    verb_resource = Classify(*tenant, request);
    series->inflight->Increment();
    if (watch) series->watches->Increment();
  }
  MeteredWriter metered(writer);
  const auto start = std::chrono::steady_clock::now();
  co_await tenant->api().Handle(request, metered);
  if (slot_taken && metered.status() == 401) request.peer->handler_state.reset();
  if (series == nullptr) co_return;
  series->inflight->Decrement();
  if (watch) series->watches->Decrement();
  tenants_.platform().metrics->Observe(*series, verb_resource.first, verb_resource.second, metered.status(),
                                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace vkube::tenancy
