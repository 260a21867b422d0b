#include "tenancy/admin_api.h"

#include <openssl/crypto.h>

#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "apiserver-proxy/content.h"
#include "apiserver-proxy/request_info.h"
#include "libs/net/await_uncancelled.h"

namespace vkube::tenancy {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr std::string_view kTenants = "/v1/tenants";
constexpr std::size_t kMaxBody = 64 * 1024;

http::Response Fail(ErrorCode code, std::string message) {
  return apiserver::ErrorResponse(Error::Make(code, std::move(message)));
}

bool TokenMatches(std::string_view header, const std::string& token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() || !header.starts_with(kBearer)) return false;
  const std::string_view got = header.substr(kBearer.size());
  return got.size() == token.size() && CRYPTO_memcmp(got.data(), token.data(), token.size()) == 0;
}

// Outside the coroutine: GCC 12 miscompiles brace-initialized string aggregates inside one.
http::Response Ok() { return http::Response{200, {{"content-type", "text/plain"}}, "ok"}; }

}  // namespace

json TenantObject(const TenantInfo& info, const TenantEndpoint& endpoint, bool is_default) {
  json endpoints = {{"path", endpoint.listener_url + "/tenants/" + info.name}};
  if (is_default) endpoints["root"] = endpoint.listener_url;
  if (!endpoint.base_domain.empty()) endpoints["sni"] = info.name + "." + endpoint.base_domain;
  json spec = json::object();
  if (!info.spec.host_namespace.empty()) spec["hostNamespace"] = info.spec.host_namespace;
  json status = {{"phase", info.running ? "Running" : "Idle"}, {"endpoints", endpoints}};
  if (!info.spec.request.empty()) status["request"] = info.spec.request;  // the host ConfigMap that made it
  return {{"apiVersion", "vkube.io/v1alpha1"},
          {"kind", "Tenant"},
          {"metadata", {{"name", info.name}, {"uid", info.uid}, {"creationTimestamp", info.created}}},
          {"spec", spec},
          {"status", std::move(status)}};
}

asio::awaitable<void> AdminApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path == "/healthz" || request.path == "/readyz" || request.path == "/livez") {
    co_return co_await writer.Send(Ok());
  }
  if (!TokenMatches(request.header("authorization"), token_)) {
    co_return co_await writer.Send(Fail(ErrorCode::kUnauthorized, "Unauthorized"));
  }
  // Tenant creation generates keys and fsyncs: never on a connection thread.
  http::Response response = co_await asio::co_spawn(blocking_, ServeOn(request), net::AwaitUncancelled());
  co_await writer.Send(std::move(response));
}

// Gauges that are cheaper to read at scrape time than to maintain on every write.
void AdminApi::RefreshGauges(PlatformMetrics& metrics) {
  const auto all = tenants_.List();
  std::size_t running = 0;
  for (const auto& info : all) {
    if (!info.running) continue;
    ++running;
    if (auto t = tenants_.Running(info.name); t && t->metrics()) {
      t->metrics()->objects->Set(static_cast<double>(t->store().ObjectCount()));
    }
  }
  metrics.tenants_total().Set(static_cast<double>(all.size()));
  metrics.tenants_running().Set(static_cast<double>(running));
  std::error_code ec;
  std::uintmax_t bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto n = std::filesystem::file_size(tenants_.platform().data_dir + "/store.db" + suffix, ec);
    if (!ec) bytes += n;
  }
  metrics.store_bytes().Set(static_cast<double>(bytes));
}

asio::awaitable<http::Response> AdminApi::ServeOn(const http::Request& request) { co_return Serve(request); }

http::Response AdminApi::Serve(const http::Request& request) {
  auto query = apiserver::Query::Parse(request.query);
  if (!query) return apiserver::ErrorResponse(query.error());
  const std::string& path = request.path;
  const std::string& method = request.method;
  auto object = [&](const TenantInfo& info) { return TenantObject(info, endpoint_, info.name == default_tenant_); };

  if (path == "/metrics" && method == "GET") {
    auto* metrics = tenants_.platform().metrics.get();
    if (metrics == nullptr) return Fail(ErrorCode::kNotFound, "metrics are off");
    RefreshGauges(*metrics);
    return http::Response{200, {{"content-type", "text/plain; version=0.0.4"}}, metrics->Serialize()};
  }
  if (path == kTenants) {
    if (method == "GET") {
      json items = json::array();
      for (const auto& t : tenants_.List()) items.push_back(object(t));
      return apiserver::JsonResponse(
          200, json{{"apiVersion", "vkube.io/v1alpha1"}, {"kind", "TenantList"}, {"metadata", json::object()}, {"items", items}}
                   .dump());
    }
    if (method == "POST") {
      if (request.body.size() > kMaxBody) return Fail(ErrorCode::kRequestEntityTooLarge, "request body too large");
      auto body = json::parse(request.body, nullptr, false);
      if (!body.is_object()) return Fail(ErrorCode::kBadRequest, "the request body must be a JSON object");
      std::string name;
      if (const auto* md = body.contains("metadata") ? &body["metadata"] : nullptr; md && md->is_object()) {
        name = md->value("name", "");
      }
      if (name.empty() && body.contains("name") && body["name"].is_string()) name = body["name"].get<std::string>();
      if (name.empty()) return Fail(ErrorCode::kInvalid, "metadata.name: Required value");
      TenantSpec spec;
      if (const auto it = body.find("spec"); it != body.end() && !it->is_null()) {
        const json& host_ns = it->is_object() && it->contains("hostNamespace") ? (*it)["hostNamespace"] : json();
        if (!it->is_object() || !(host_ns.is_null() || host_ns.is_string())) {
          return Fail(ErrorCode::kBadRequest, "spec: must be an object with an optional string hostNamespace");
        }
        if (host_ns.is_string()) spec.host_namespace = host_ns.get<std::string>();
      }
      auto made = tenants_.Create(name, spec);
      if (!made) return apiserver::ErrorResponse(made.error());
      return apiserver::JsonResponse(201, object(*made).dump());
    }
    return Fail(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
  }
  if (!path.starts_with(std::string(kTenants) + "/")) return Fail(ErrorCode::kNotFound, "the server could not find the requested resource");
  std::string_view rest = std::string_view(path).substr(kTenants.size() + 1);
  const std::size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  if (sub.empty() && method == "GET") {
    auto info = tenants_.Find(name);
    if (!info) return Fail(ErrorCode::kNotFound, "tenants.vkube.io \"" + name + "\" not found");
    for (const auto& t : tenants_.List()) {
      if (t.name == name) info = t;  // with its running state
    }
    return apiserver::JsonResponse(200, object(*info).dump());
  }
  if (sub.empty() && method == "DELETE") {
    if (auto s = tenants_.Delete(name); !s) return apiserver::ErrorResponse(s.error());
    return apiserver::JsonResponse(
        200, json{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"},
                  {"details", {{"name", name}, {"group", "vkube.io"}, {"kind", "tenants"}}}}
                 .dump());
  }
  if (sub == "kubeconfig" && method == "GET") {
    auto tenant = tenants_.Acquire(name);
    if (!tenant) return apiserver::ErrorResponse(tenant.error());
    const std::string_view route = query->Get("route");
    const RouteKind kind = route == "sni" ? RouteKind::kSni : route == "path" ? RouteKind::kPath : RouteKind::kAuto;
    if (kind == RouteKind::kSni && endpoint_.base_domain.empty()) {
      return Fail(ErrorCode::kBadRequest, "route=sni needs --base-domain");
    }
    TenantEndpoint ep = endpoint_;
    ep.is_default = name == default_tenant_;
    return http::Response{200,
                          {{"content-type", "application/yaml"}},
                          RenderTenantKubeconfig(name, (*tenant)->credentials(), tenants_.platform().instance.ca.cert_pem,
                                                 ep, kind, std::string(query->Get("server")))};
  }
  if (sub.empty() || sub == "kubeconfig") {
    return Fail(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
  }
  return Fail(ErrorCode::kNotFound, "the server could not find the requested resource");
}

}  // namespace vkube::tenancy
