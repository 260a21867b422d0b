// The tenant's virtual kube-apiserver: authn → in-flight limit → route → REST handler → Store.
// Typed errors (vkube::Error) become metav1.Status only here.
#include "apiserver-proxy/api_server.h"

#include <openssl/evp.h>

#include <atomic>
#include <optional>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "apiserver-proxy/authenticator.h"
#include "apiserver-proxy/content.h"
#include "apiserver-proxy/discovery.h"
#include "apiserver-proxy/openapi/field_check.h"
#include "apiserver-proxy/openapi/openapi_service.h"
#include "apiserver-proxy/pod_streams.h"
#include "apiserver-proxy/request_info.h"
#include "libs/core/log.h"
#include "libs/pki/credentials.h"
#include "libs/registry/binding.h"
#include "libs/registry/scale.h"
#include "libs/registry/service_account_token.h"
#include "libs/resource/json_access.h"
#include "libs/resource/meta.h"
#include "libs/resource/patch.h"
#include "libs/resource/protobuf_decoder.h"
#include "libs/resource/selector.h"
#include "libs/resource/status.h"

namespace vkube::apiserver {

namespace asio = boost::asio;
using nlohmann::json;
using resource::Kind;
using store::Key;
using store::ObjectPtr;

namespace {

Error TooManyRequestsError() {
  Error e = Error::Make(ErrorCode::kTooManyRequests, "Too many requests, please try again later.");
  e.details.retry_after_seconds = 1;
  return e;
}

bool IsPublicPath(std::string_view p) {
  for (std::string_view pub : {"/healthz", "/livez", "/readyz", "/version"}) {
    if (p == pub || (p.size() > pub.size() && p.substr(0, pub.size()) == pub && p[pub.size()] == '/')) return true;
  }
  return false;
}

Result<json> ParseBody(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return Error::Make(ErrorCode::kBadRequest, "the body of the request was in an unknown format - accepted media types "
                                               "include: application/json, application/yaml");
  }
  return j;
}

std::string Base64Url(const std::string& s) {
  std::string b = pki::Base64(s);
  for (char& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::optional<std::string> Base64UrlDecode(std::string_view s) {
  std::string b(s);
  for (char& c : b) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (b.size() % 4) b.push_back('=');
  std::string out(b.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(b.data()),
                          static_cast<int>(b.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  for (auto it = b.rbegin(); it != b.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// (A function, not a ternary of literals inside the coroutine: GCC 12 miscompiles that.)
std::string_view EventTypeName(store::EventType t) {
  switch (t) {
    case store::EventType::kAdded: return "ADDED";
    case store::EventType::kModified: return "MODIFIED";
    case store::EventType::kDeleted: return "DELETED";
  }
  return "ERROR";
}

http::Headers WatchHeaders() { return {{"content-type", "application/json"}, {"cache-control", "no-cache, private"}}; }

std::string ErrorEventLine(const Error& e) {
  return json{{"type", "ERROR"}, {"object", resource::StatusFromError(e)}}.dump() + "\n";
}

enum class PatchType { kJson, kMerge, kStrategic };

Result<json> ApplyPatch(PatchType type, const json& old, const json& patch, const resource::ResourceInfo& info) {
  switch (type) {
    case PatchType::kJson: return resource::ApplyJsonPatch(old, patch);
    case PatchType::kMerge: return resource::ApplyMergePatch(old, patch);
    case PatchType::kStrategic: return resource::ApplyStrategicMergePatch(old, patch, info.group, info.kind);
  }
  return resource::BadRequest("unsupported patch type");
}

Result<PatchType> PatchTypeOf(std::string_view content_type) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  if (ct == "application/json-patch+json") return PatchType::kJson;
  if (ct == "application/merge-patch+json") return PatchType::kMerge;
  if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  return Error::Make(ErrorCode::kUnsupportedMediaType,
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, "
                     "application/strategic-merge-patch+json");
}

// RAII counter for in-flight limits.
class InflightSlot {
 public:
  InflightSlot(std::atomic<std::size_t>& c, std::size_t limit) : c_(c) { ok_ = c_.fetch_add(1) < limit; }
  ~InflightSlot() { c_.fetch_sub(1); }
  InflightSlot(const InflightSlot&) = delete;
  InflightSlot& operator=(const InflightSlot&) = delete;
  bool ok() const { return ok_; }

 private:
  std::atomic<std::size_t>& c_;
  bool ok_ = false;
};

}  // namespace

class ApiServer::Impl {
 public:
  Impl(TenantContext tenant, ApiServerLimits limits, asio::thread_pool& blocking)
      : t_(std::move(tenant)),
        limits_(limits),
        blocking_(blocking),
        authn_(t_.tokens, t_.accept_client_certs, t_.client_certs, ServiceAccountReview(t_)),
        discovery_(*t_.registry) {
    if (!t_.objects) t_.objects = std::make_shared<registry::GenericRegistry>(t_.store, t_.registry);
    objects_ = t_.objects.get();
  }

  asio::awaitable<void> Handle(http::Request& req, http::ResponseWriter& w) {
    auto query = Query::Parse(req.query);
    if (!query) co_return co_await w.Send(ErrorResponse(query.error()));
    // Public paths serve anonymous clients, but a credential that fails is still 401 (kube
    // authenticates first: an invalid token never reads anything).
    const bool authenticated = authn_.Authenticate(req).has_value();
    const bool credential = !req.header("authorization").empty() || (req.peer && !req.peer->client_cert_der.empty());
    if (IsPublicPath(req.path) && (authenticated || !credential)) {
      co_return co_await w.Send(PublicEndpoint(req.path, *query));
    }
    if (!authenticated) co_return co_await w.Send(ErrorResponse(Error::Make(ErrorCode::kUnauthorized, "Unauthorized")));
    if (t_.admit && !t_.admit()) co_return co_await w.Send(ErrorResponse(TooManyRequestsError()));
    auto info = ParseRequestInfo(req.method, req.path, *query);
    if (!info) co_return co_await w.Send(ErrorResponse(info.error()));
    // pods/log may follow; exec/attach/portforward hold their connection for the session
    const bool long_running = info->verb == "watch" || IsPodLog(*info) || IsPodConnect(*info);
    const bool mutating = req.method != "GET" && req.method != "HEAD";
    std::optional<InflightSlot> slot;
    if (!long_running) {
      slot.emplace(mutating ? mutating_inflight_ : readonly_inflight_,
                   mutating ? limits_.max_mutating_requests_inflight : limits_.max_requests_inflight);
      if (!slot->ok()) co_return co_await w.Send(ErrorResponse(TooManyRequestsError()));
    }
    if (!info->is_resource_request) co_return co_await w.Send(NonResource(req, *info));
    const Kind* kind = t_.registry->Find(info->group, info->version, info->resource);
    if (kind == nullptr) co_return co_await w.Send(NotFoundPath());
    if (!kind->info.namespaced && !info->ns.empty()) co_return co_await w.Send(NotFoundPath());
    if (IsPodLog(*info)) co_return co_await PodLog(*info, *query, w);
    if (IsPodConnect(*info)) co_return co_await PodConnect(*info, req, w);
    Negotiated neg = NegotiateAccept(req.header("accept"));
    if (!neg.acceptable) {
      co_return co_await w.Send(ErrorResponse(Error::Make(
          ErrorCode::kNotAcceptable, "only the following media types are accepted: application/json, "
                                     "application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io")));
    }
    Ctx ctx{req, *info, *query, *kind, neg};
    if (info->verb == "watch") co_return co_await Watch(ctx, w);
    Result<http::Response> res = co_await Dispatch(ctx);
    // No ?: inside coroutines here: GCC 12 may evaluate both arms of a conditional in a coroutine.
    if (!res) res = ErrorResponse(res.error());
    co_await w.Send(std::move(*res));
  }

 private:
  struct Ctx {
    http::Request& req;
    const RequestInfo& info;
    const Query& query;
    const Kind& kind;
    Negotiated neg;
  };

  // Runs blocking store work (fsync) off the connection thread, resumes on it afterwards.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> Blocking(F f) {
    std::optional<std::invoke_result_t<F>> out;
    co_await asio::co_spawn(
        blocking_, [&]() -> asio::awaitable<void> {
          out.emplace(f());
          co_return;
        },
        asio::use_awaitable);
    co_return std::move(*out);
  }

  http::Response PublicEndpoint(const std::string& path, const Query& q) {
    if (path == "/version") {
      json v = {{"major", "1"},          {"minor", "32"},     {"gitVersion", "v1.32.0-vkube.0"},
                {"gitCommit", "vkube"},  {"gitTreeState", "clean"}, {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "go1.23"}, {"compiler", "gc"},  {"platform", "linux/amd64"}};
      return JsonResponse(200, v.dump());
    }
    http::Response r;
    r.status = 200;
    r.headers.push_back({"content-type", "text/plain; charset=utf-8"});
    r.headers.push_back({"x-content-type-options", "nosniff"});
    if (q.Has("verbose")) {
      r.body = "[+]ping ok\n[+]log ok\n[+]etcd ok\n" + path.substr(1) + " check passed\n";
    } else {
      r.body = "ok";
    }
    return r;
  }

  static http::Response NotFoundPath() {
    Error e = Error::Make(ErrorCode::kNotFound, "the server could not find the requested resource");
    e.details.causes.push_back({"UnexpectedServerResponse", "404 page not found", ""});
    return ErrorResponse(e);
  }

  http::Response NonResource(const http::Request& req, const RequestInfo& info) {
    if (info.path.rfind("/openapi/", 0) == 0 && t_.openapi) {
      if (auto r = t_.openapi->Handle(req)) return std::move(*r);
    }
    if (req.method == "GET") {
      if (auto doc = discovery_.Find(info.path)) return JsonResponse(200, std::move(*doc));
    }
    return NotFoundPath();
  }

  asio::awaitable<Result<http::Response>> Dispatch(Ctx& c) {
    const std::string& sub = c.info.subresource;
    const bool finalize = sub == "finalize" && c.kind.info.group.empty() && c.kind.info.resource == "namespaces" &&
                          c.info.verb == "update";
    if (sub == "scale" && registry::HasScale(c.kind)) co_return co_await Scale(c);
    if (sub == "binding" && c.kind.info.group.empty() && c.kind.info.resource == "pods") co_return co_await Bind(c);
    if (sub == "token" && c.kind.info.group.empty() && c.kind.info.resource == "serviceaccounts") {
      co_return co_await CreateToken(c);
    }
    if (!sub.empty() && !(sub == "status" && c.kind.info.has_status) && !finalize) co_return NotFoundPath();
    if (c.info.name.empty() && c.kind.info.namespaced && c.info.ns.empty() &&
        (c.info.verb == "create" || c.info.verb == "deletecollection")) {
      co_return NotFoundPath();
    }
    if (!c.info.name.empty() && c.kind.info.namespaced && c.info.ns.empty()) co_return NotFoundPath();
    const std::string& v = c.info.verb;
    if (v == "get") co_return Get(c);
    if (v == "list") co_return List(c);
    if (v == "create") co_return co_await Create(c);
    if (v == "update") co_return co_await Update(c);
    if (v == "patch") co_return co_await Patch(c);
    if (v == "delete") co_return co_await Delete(c);
    if (v == "deletecollection") co_return co_await DeleteCollection(c);
    co_return Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
  }

  http::Response ObjectResponse(const Ctx& c, int status, const std::string& json_bytes) {
    if (c.neg.table) {
      json obj = json::parse(json_bytes, nullptr, false);
      json rows = json::array({TableRow(c.kind, obj, ParseIncludeObject(c.query.Get("includeObject")),
                                        std::chrono::system_clock::now())});
      return JsonResponse(status, MakeTable(c.neg.table_version, TableColumns(c.kind), std::move(rows),
                                            std::string(resource::GetString(obj, {"metadata", "resourceVersion"})), "", 0)
                                      .dump());
    }
    return JsonResponse(status, json_bytes);
  }

  Result<http::Response> Get(const Ctx& c) {
    auto obj = objects_->Get(c.kind, c.info.ns, c.info.name);
    if (!obj) return obj.take_error();
    return ObjectResponse(c, 200, (*obj)->json);
  }

  Result<store::Predicate> Selectors(const Ctx& c) {
    auto labels = resource::LabelSelector::Parse(c.query.Get("labelSelector"));
    if (!labels) return labels.take_error();
    auto fields = resource::FieldSelector::Parse(c.query.Get("fieldSelector"), c.kind.strategy->ExtraSelectableFields());
    if (!fields) return fields.take_error();
    return resource::MakePredicate(std::move(*labels), std::move(*fields));
  }

  Result<http::Response> List(const Ctx& c) {
    auto pred = Selectors(c);
    if (!pred) return pred.take_error();
    store::ListOptions opts;
    opts.resource = c.kind.info.StorageResource();
    if (c.kind.info.namespaced && !c.info.ns.empty()) opts.ns = c.info.ns;
    opts.predicate = std::move(*pred);
    if (auto l = c.query.Get("limit"); !l.empty()) {
      auto n = store::ParseRevision(l);
      if (!n) return resource::BadRequest("invalid limit: " + std::string(l));
      opts.limit = static_cast<std::size_t>(*n);
    }
    if (auto cont = c.query.Get("continue"); !cont.empty()) {
      auto raw = Base64UrlDecode(cont);
      auto tok = raw ? json::parse(*raw, nullptr, false) : json();
      if (!tok.is_object() || !tok.contains("start") || !tok["start"].is_string()) {
        return resource::BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
      }
      opts.continue_after = tok["start"].get<std::string>();
      store::Revision rv = tok.value("rv", store::Revision{0});
      if (rv < t_.store->CompactedRevision()) {
        return Error::Make(ErrorCode::kExpired, "The provided continue parameter is too old to display a consistent "
                                                "list result. You can start a new list without the continue parameter.");
      }
    }
    auto res = t_.store->List(opts);
    if (!res) return res.take_error();
    std::string rv = std::to_string(res->revision);
    std::string cont;
    if (!res->continue_after.empty()) {
      cont = Base64Url(json{{"rv", res->revision}, {"start", res->continue_after}}.dump());
    }
    if (c.neg.table) {
      auto include = ParseIncludeObject(c.query.Get("includeObject"));
      auto now = std::chrono::system_clock::now();
      json rows = json::array();
      for (const auto& o : res->items) rows.push_back(TableRow(c.kind, json::parse(o->json), include, now));
      return JsonResponse(200, MakeTable(c.neg.table_version, TableColumns(c.kind), std::move(rows), rv, cont,
                                         res->remaining)
                                   .dump());
    }
    // Concatenate stored bytes: no re-serialization of items on the list path.
    std::string body;
    std::size_t total = 256;
    for (const auto& o : res->items) total += o->json.size() + 1;
    body.reserve(total);
    body += R"({"kind":")" + c.kind.info.ListKind() + R"(","apiVersion":")" + c.kind.info.GroupVersion() +
            R"(","metadata":{"resourceVersion":")" + rv + "\"";
    if (!cont.empty()) body += R"(,"continue":")" + cont + "\"";
    if (res->remaining > 0) body += R"(,"remainingItemCount":)" + std::to_string(res->remaining);
    body += R"(},"items":[)";
    for (std::size_t i = 0; i < res->items.size(); ++i) {
      if (i) body += ',';
      body += res->items[i]->json;
    }
    body += "]}";
    return JsonResponse(200, std::move(body));
  }

  static Result<json> DecodeBody(const http::Request& req) {
    if (req.header("content-type").rfind(resource::kProtobufContentType, 0) == 0) {
      return resource::DecodeKubernetesProtobuf(req.body);
    }
    return ParseBody(req.body);
  }

  // Body of a create/update: a JSON (or protobuf) object of this kind, in the request's namespace.
  Result<json> DecodeObject(const Ctx& c) {
    auto body = DecodeBody(c.req);
    if (!body) return body;
    json& obj = *body;
    if (!obj.is_object()) return resource::BadRequest("the body of the request must be a JSON object");
    const resource::ResourceInfo& info = c.kind.info;
    if (obj.contains("kind") && obj["kind"] != info.kind) {
      return resource::BadRequest("the API version in the data (" + obj.value("apiVersion", std::string()) +
                                  ") does not match the expected API version (" + info.GroupVersion() + ")");
    }
    if (obj.contains("apiVersion") && obj["apiVersion"] != info.GroupVersion()) {
      return resource::BadRequest("the API version in the data (" + obj["apiVersion"].dump() +
                                  ") does not match the expected API version (" + info.GroupVersion() + ")");
    }
    obj["kind"] = info.kind;
    obj["apiVersion"] = info.GroupVersion();
    if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
    json& meta = obj["metadata"];
    if (info.namespaced) {
      std::string body_ns = meta.contains("namespace") && meta["namespace"].is_string() ? meta["namespace"].get<std::string>() : "";
      if (!body_ns.empty() && body_ns != c.info.ns) {
        return resource::BadRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta["namespace"] = c.info.ns;
    } else {
      meta.erase("namespace");
    }
    if (meta.contains("name") && !meta["name"].is_string()) return resource::BadRequest("metadata.name must be a string");
    return body;
  }

  // ?fieldValidation, and the Go decoder's type errors, for a JSON body (a protobuf body has no
  // unknown fields to find: only the schema comes back, for pruning).
  FieldCheck CheckBody(const Ctx& c, FieldCheckBody what, std::string_view options_kind, bool schema_only = false) const {
    schema_only = schema_only || c.req.header("content-type").rfind(resource::kProtobufContentType, 0) == 0;
    const std::string_view body = schema_only ? std::string_view("{}") : std::string_view(c.req.body);
    const resource::ResourceInfo& info = c.kind.info;
    return CheckFields(t_.openapi.get(), info.group, info.version, info.kind, c.query.Get("fieldValidation"), body,
                       what, options_kind);
  }

  static http::Response WithWarnings(http::Response r, const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) r.headers.push_back({"warning", w});
    return r;
  }

  bool DryRun(const Ctx& c) const { return c.query.Get("dryRun") == "All"; }
  registry::WriteOptions WriteOpts(const Ctx& c) const {
    return registry::WriteOptions{.dry_run = DryRun(c), .subresource = c.info.subresource};
  }

  asio::awaitable<Result<http::Response>> Create(Ctx& c) {
    auto body = DecodeObject(c);
    if (!body) co_return body.take_error();
    FieldCheck check = CheckBody(c, FieldCheckBody::kObject, "CreateOptions");
    if (check.error) co_return std::move(*check.error);
    if (check.tree) resource::PruneUnknownFields(*body, *check.tree);
    std::string name(resource::GetString(*body, {"metadata", "name"}));
    if (!c.info.name.empty() && c.info.name != name) {
      co_return resource::BadRequest("the name of the object (" + name + ") does not match the name on the URL (" +
                                     c.info.name + ")");
    }
    auto res = co_await Blocking([&] { return objects_->Create(c.kind, c.info.ns, std::move(*body), WriteOpts(c)); });
    if (!res) co_return res.take_error();
    co_return WithWarnings(ObjectResponse(c, 201, (*res)->json), check.warnings);
  }

  asio::awaitable<Result<http::Response>> Update(Ctx& c) {
    auto body = DecodeObject(c);
    if (!body) co_return body.take_error();
    FieldCheck check = CheckBody(c, FieldCheckBody::kObject, "UpdateOptions");
    if (check.error) co_return std::move(*check.error);
    if (check.tree) resource::PruneUnknownFields(*body, *check.tree);
    std::string name(resource::GetString(*body, {"metadata", "name"}));
    if (name != c.info.name) {
      co_return resource::BadRequest("the name of the object (" + name + ") does not match the name on the URL (" +
                                     c.info.name + ")");
    }
    auto res = co_await Blocking(
        [&] { return objects_->Update(c.kind, c.info.ns, c.info.name, std::move(*body), WriteOpts(c)); });
    if (!res) co_return res.take_error();
    co_return WithWarnings(ObjectResponse(c, 200, (*res)->json), check.warnings);
  }

  asio::awaitable<Result<http::Response>> Patch(Ctx& c) {
    auto type = PatchTypeOf(c.req.header("content-type"));
    if (!type) co_return type.take_error();
    auto patch = ParseBody(c.req.body);
    if (!patch) co_return patch.take_error();
    FieldCheck check = CheckPatch(c, *type);
    if (check.error) co_return std::move(*check.error);
    const resource::ResourceInfo& info = c.kind.info;
    auto mutate = [&](const json& cur) -> Result<json> {
      auto next = ApplyPatch(*type, cur, *patch, info);
      if (next && check.tree) resource::PruneUnknownFields(*next, *check.tree);
      return next;
    };
    auto res = co_await Blocking(
        [&] { return objects_->GuaranteedUpdate(c.kind, c.info.ns, c.info.name, mutate, WriteOpts(c)); });
    if (!res) co_return res.take_error();
    co_return WithWarnings(ObjectResponse(c, 200, (*res)->json), check.warnings);
  }

  // A merge patch's fields are checked as written; a JSON patch (RFC 6902) has no object shape:
  // its result is only pruned.
  FieldCheck CheckPatch(const Ctx& c, PatchType type) const {
    if (type == PatchType::kJson) return CheckBody(c, FieldCheckBody::kObject, "PatchOptions", /*schema_only=*/true);
    return CheckBody(c, type == PatchType::kMerge ? FieldCheckBody::kMergePatch : FieldCheckBody::kStrategicMergePatch,
                     "PatchOptions");
  }

  // autoscaling/v1 Scale: reads and writes spec.replicas of the main object.
  asio::awaitable<Result<http::Response>> Scale(Ctx& c) {
    const std::string& verb = c.info.verb;
    if (verb == "get") {
      auto obj = objects_->GetJson(c.kind, c.info.ns, c.info.name);
      if (!obj) co_return obj.take_error();
      co_return JsonResponse(200, registry::ToScale(*obj).dump());
    }
    if (verb != "update" && verb != "patch") {
      co_return Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
    }
    PatchType type = PatchType::kMerge;
    if (verb == "patch") {
      auto t = PatchTypeOf(c.req.header("content-type"));
      if (!t) co_return t.take_error();
      type = *t;
    }
    auto body = ParseBody(c.req.body);
    if (!body) co_return body.take_error();
    const resource::ResourceInfo scale_info{.group = "autoscaling", .version = "v1", .resource = "scale", .kind = "Scale"};
    auto mutate = [&](const json& cur) -> Result<json> {
      json desired = *body;
      if (verb == "patch") {
        auto patched = ApplyPatch(type, registry::ToScale(cur), *body, scale_info);
        if (!patched) return patched.take_error();
        desired = std::move(*patched);
      }
      auto next = registry::ApplyScale(c.kind, cur, desired);
      if (!next) return next;
      // A resourceVersion in a PUT Scale is a precondition on the main object.
      std::string rv(resource::GetString(desired, {"metadata", "resourceVersion"}));
      if (verb == "update" && !rv.empty()) (*next)["metadata"]["resourceVersion"] = rv;
      return next;
    };
    auto res = co_await Blocking([&] {
      return objects_->GuaranteedUpdate(c.kind, c.info.ns, c.info.name, mutate, registry::WriteOptions{.dry_run = DryRun(c)});
    });
    if (!res) co_return res.take_error();
    co_return JsonResponse(200, registry::ToScale(json::parse((*res)->json)).dump());
  }

  // metav1.DeleteOptions from the body and the query (kubectl sends both forms).
  Result<registry::DeleteOptions> ParseDeleteOptions(const Ctx& c) {
    registry::DeleteOptions o;
    o.dry_run = DryRun(c);
    json body;
    if (!c.req.body.empty()) {
      // Typed clients (client-go, Helm) send DeleteOptions as protobuf.
      auto parsed = c.req.header("content-type").rfind(resource::kProtobufContentType, 0) == 0
                        ? resource::DecodeKubernetesProtobuf(c.req.body)
                        : ParseBody(c.req.body);
      if (!parsed) return parsed.take_error();
      body = std::move(*parsed);
      if (!body.is_object()) return resource::BadRequest("the body of the request must be a DeleteOptions object");
    }
    const json& pre = resource::jsonx::Child(body, "preconditions");
    if (pre.is_object()) {
      if (pre.contains("uid") && pre["uid"].is_string()) o.uid_precondition = pre["uid"].get<std::string>();
      if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string()) {
        o.resource_version_precondition = pre["resourceVersion"].get<std::string>();
      }
    }
    if (auto dr = resource::jsonx::Child(body, "dryRun"); dr.is_array() && !dr.empty() && dr[0] == "All") o.dry_run = true;
    std::string grace = c.query.Has("gracePeriodSeconds") ? std::string(c.query.Get("gracePeriodSeconds")) : "";
    if (grace.empty() && resource::jsonx::Child(body, "gracePeriodSeconds").is_number_integer()) {
      grace = std::to_string(body["gracePeriodSeconds"].get<std::int64_t>());
    }
    if (!grace.empty()) {
      char* end = nullptr;
      long long v = std::strtoll(grace.c_str(), &end, 10);
      if (end == nullptr || *end != '\0') return resource::BadRequest("invalid gracePeriodSeconds: " + grace);
      o.grace_period_seconds = v;
    }
    std::string policy(c.query.Get("propagationPolicy"));
    if (policy.empty()) policy = resource::jsonx::Str(body, "propagationPolicy");
    if (policy == "Orphan") {
      o.propagation = registry::Propagation::kOrphan;
    } else if (policy == "Background") {
      o.propagation = registry::Propagation::kBackground;
    } else if (policy == "Foreground") {
      o.propagation = registry::Propagation::kForeground;
    } else if (!policy.empty()) {
      return resource::Invalid("meta.k8s.io", "DeleteOptions", "",
                               {{"FieldValueNotSupported",
                                 "Unsupported value: \"" + policy +
                                     "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                                 "propagationPolicy"}});
    }
    const json& orphan = resource::jsonx::Child(body, "orphanDependents");
    std::string orphan_q(c.query.Get("orphanDependents"));
    if (orphan.is_boolean() || !orphan_q.empty()) {
      if (!policy.empty()) {
        return resource::Invalid("meta.k8s.io", "DeleteOptions", "",
                                 {{"FieldValueInvalid", "Invalid value: \"" + policy +
                                                            "\": orphanDependents and propagationPolicy cannot both be set",
                                   "propagationPolicy"}});
      }
      const bool v = orphan.is_boolean() ? orphan.get<bool>() : orphan_q == "true";
      o.propagation = v ? registry::Propagation::kOrphan : registry::Propagation::kBackground;
    }
    return o;
  }

  asio::awaitable<Result<http::Response>> Delete(Ctx& c) {
    auto opts = ParseDeleteOptions(c);
    if (!opts) co_return opts.take_error();
    auto res = co_await Blocking([&] { return objects_->Delete(c.kind, c.info.ns, c.info.name, *opts); });
    if (!res) co_return res.take_error();
    co_return ObjectResponse(c, 200, res->object->json);
  }

  asio::awaitable<Result<http::Response>> DeleteCollection(Ctx& c) {
    auto pred = Selectors(c);
    if (!pred) co_return pred.take_error();
    auto opts = ParseDeleteOptions(c);
    if (!opts) co_return opts.take_error();
    auto res = co_await Blocking([&] { return objects_->DeleteCollection(c.kind, c.info.ns, *pred, *opts); });
    if (!res) co_return res.take_error();
    std::string body = R"({"kind":")" + c.kind.info.ListKind() + R"(","apiVersion":")" + c.kind.info.GroupVersion() +
                       R"(","metadata":{},"items":[)";
    for (std::size_t i = 0; i < res->size(); ++i) {
      if (i) body += ',';
      body += (*res)[i]->json;
    }
    body += "]}";
    co_return JsonResponse(200, std::move(body));
  }

  // ---- pods/log and pods/binding (the host's nodes: hostsim or a real cluster) ----

  static bool IsPodLog(const RequestInfo& info) {
    return info.is_resource_request && info.subresource == "log" && info.group.empty() && info.resource == "pods";
  }

  asio::awaitable<void> PodLog(const RequestInfo& info, const Query& query, http::ResponseWriter& w) {
    if (info.verb != "get") {
      co_return co_await w.Send(ErrorResponse(
          Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource")));
    }
    if (info.ns.empty() || info.name.empty()) co_return co_await w.Send(NotFoundPath());
    if (pod_streams_) co_return co_await ServePodLogs(*pod_streams_, info.ns, info.name, query, w);
    // No node agent behind this server: like kube for a pod not on a node, an empty log.
    auto opts = ParsePodLogOptions(query, info.name);
    if (!opts) co_return co_await w.Send(ErrorResponse(opts.error()));
    const Kind* pods = objects_->Find("", "pods");
    if (pods == nullptr) co_return co_await w.Send(NotFoundPath());
    auto pod = objects_->Get(*pods, info.ns, info.name);
    if (!pod) co_return co_await w.Send(ErrorResponse(pod.error()));
    co_await w.Send(EmptyPodLog());
  }

  // exec, attach and portforward: kube-apiserver's checks (options, pod, container, node, an
  // HTTP/1.1 upgrade), then the node agent (PodStreams::Connect) takes the connection.
  static bool IsPodConnect(const RequestInfo& info) {
    return info.is_resource_request && info.group.empty() && info.resource == "pods" &&
           (info.subresource == "exec" || info.subresource == "attach" || info.subresource == "portforward");
  }

  asio::awaitable<void> PodConnect(const RequestInfo& info, http::Request& req, http::ResponseWriter& w) {
    if (info.verb != "get" && info.verb != "create") {  // kube accepts GET and POST for all three
      co_return co_await w.Send(ErrorResponse(
          Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource")));
    }
    if (info.ns.empty() || info.name.empty()) co_return co_await w.Send(NotFoundPath());
    auto opts = ParsePodConnectOptions(info.subresource, req.query);
    if (!opts) co_return co_await w.Send(ErrorResponse(opts.error()));
    const Kind* pods = objects_->Find("", "pods");
    if (pods == nullptr) co_return co_await w.Send(NotFoundPath());
    auto pod = objects_->GetJson(*pods, info.ns, info.name);
    if (!pod) co_return co_await w.Send(ErrorResponse(pod.error()));
    if (auto target = ResolveStreamTarget(*pod, info.name, *opts); !target) {
      co_return co_await w.Send(ErrorResponse(target.error()));
    }
    // Over HTTP/2 (no Upgrade there) or without Connection: Upgrade, kube's proxy refuses too.
    if (req.upgrader == nullptr || !http::IsUpgradeRequest(req)) {
      co_return co_await w.Send(ErrorResponse(resource::BadRequest("Upgrade request required")));
    }
    if (pod_streams_) co_return co_await pod_streams_->Connect(info.ns, info.name, std::move(*opts), req, w);
    co_await w.Send(ErrorResponse(NoHostAssigned(info.name)));  // no node agent behind this server
  }

  static http::Response EmptyPodLog() {  // (not in the coroutine: GCC 12 and brace-initialized headers)
    http::Response r;
    r.status = 200;
    r.headers.push_back({"content-type", "text/plain"});
    return r;
  }

  static Authenticator::TokenReview ServiceAccountReview(const TenantContext& t) {
    if (!t.service_account_tokens) return nullptr;
    return [store = t.store, signer = t.service_account_tokens](std::string_view token) -> std::optional<UserInfo> {
      auto user = registry::AuthenticateServiceAccountToken(*store, *signer, token);
      if (!user) return std::nullopt;
      return UserInfo{std::move(user->name), std::move(user->groups)};
    };
  }

  // serviceaccounts/NAME/token: kube's TokenRequest (`kubectl create token`).
  asio::awaitable<Result<http::Response>> CreateToken(Ctx& c) {
    if (c.info.verb != "create") {
      co_return Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
    }
    if (!t_.service_account_tokens) co_return NotFoundPath();
    auto body = DecodeBody(c.req);  // (a helper, not ?: — see Handle)
    if (!body) co_return body.take_error();
    auto spec = registry::ParseTokenRequest(*body, c.info.name);
    if (!spec) co_return spec.take_error();
    auto issued = registry::IssueServiceAccountToken(*t_.store, *t_.service_account_tokens, c.info.ns, c.info.name, *spec);
    if (!issued) co_return issued.take_error();
    co_return JsonResponse(201, issued->request.dump());
  }

  // POST pods/NAME/binding: a v1 Binding sets spec.nodeName once; answers a 201 Status.
  asio::awaitable<Result<http::Response>> Bind(Ctx& c) {
    if (c.info.verb != "create") {
      co_return Error::Make(ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource");
    }
    auto body = ParseBody(c.req.body);
    if (!body) co_return body.take_error();
    const bool dry_run = DryRun(c);
    auto res = co_await Blocking([&] { return registry::BindPod(*objects_, c.info.ns, c.info.name, *body, dry_run); });
    if (!res) co_return res.take_error();
    json st = resource::StatusSuccess();
    st["code"] = 201;
    co_return JsonResponse(201, st.dump());
  }

 public:
  void SetPodStreams(std::shared_ptr<PodStreams> streams) { pod_streams_ = std::move(streams); }

 private:
  // ---- watch ----

  struct WakeState {
    explicit WakeState(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    bool pending = false;
    void Wake() {
      pending = true;
      timer.cancel();
    }
  };

  std::string EventLine(const Ctx& c, std::string_view type, const std::string& object_json, bool& first_table) {
    if (!c.neg.table) {
      std::string line;
      line.reserve(object_json.size() + 32);
      line.append(R"({"type":")").append(type).append(R"(","object":)").append(object_json).append("}\n");
      return line;
    }
    json obj = json::parse(object_json, nullptr, false);
    json rows = json::array({TableRow(c.kind, obj, ParseIncludeObject(c.query.Get("includeObject")),
                                      std::chrono::system_clock::now())});
    json table = MakeTable(c.neg.table_version, first_table ? TableColumns(c.kind) : json(), std::move(rows),
                           std::string(resource::GetString(obj, {"metadata", "resourceVersion"})), "", 0);
    first_table = false;
    return json{{"type", type}, {"object", std::move(table)}}.dump() + "\n";
  }

  std::string BookmarkLine(const Ctx& c, store::Revision rv, bool initial_end) {
    json meta = {{"resourceVersion", std::to_string(rv)}};
    if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    json obj = {{"kind", c.kind.info.kind}, {"apiVersion", c.kind.info.GroupVersion()}, {"metadata", meta}};
    return json{{"type", "BOOKMARK"}, {"object", obj}}.dump() + "\n";
  }

  asio::awaitable<void> Watch(Ctx& c, http::ResponseWriter& w) {
    auto pred = Selectors(c);
    if (!pred) co_return co_await w.Send(ErrorResponse(pred.error()));
    store::WatchOptions opts;
    opts.resource = c.kind.info.StorageResource();
    if (c.kind.info.namespaced && !c.info.ns.empty()) opts.ns = c.info.ns;
    if (!c.info.name.empty()) {
      // Watching one object = field selector on its name.
      auto name_pred = [n = c.info.name](const store::Object& o) { return o.key.name == n; };
      opts.predicate = *pred ? store::Predicate([p = *pred, name_pred](const store::Object& o) {
        return name_pred(o) && p(o);
      })
                             : store::Predicate(name_pred);
    } else {
      opts.predicate = std::move(*pred);
    }
    opts.max_queue = limits_.watch_queue_limit;
    std::string_view rv_param = c.query.Get("resourceVersion");
    const bool send_initial_events = c.query.Bool("sendInitialEvents");
    if (rv_param.empty() || rv_param == "0" || send_initial_events) {
      opts.send_initial = true;
    } else {
      auto rv = store::ParseRevision(rv_param);
      if (!rv) co_return co_await w.Send(ErrorResponse(resource::BadRequest("invalid resource version: " + std::string(rv_param))));
      opts.from_revision = *rv;
    }
    const bool bookmarks = c.query.Bool("allowWatchBookmarks");
    std::chrono::seconds timeout = limits_.min_watch_timeout;
    if (auto ts = c.query.Get("timeoutSeconds"); !ts.empty()) {
      auto n = store::ParseRevision(ts);
      if (n) timeout = std::chrono::seconds(static_cast<long>(std::min<store::Revision>(*n, 24 * 3600)));
    } else {
      std::mt19937 rng(std::random_device{}());
      timeout += std::chrono::seconds(rng() % static_cast<unsigned>(limits_.min_watch_timeout.count() + 1));
    }
    http::Headers headers = WatchHeaders();
    auto watcher = t_.store->Watch(opts);
    bool first_table = true;
    if (!watcher) {
      // kube: a too-old resourceVersion is an ERROR event carrying a 410 Status, on a 200 stream.
      Error e = watcher.error();
      if (e.code == ErrorCode::kGone) e.code = ErrorCode::kExpired;
      if (!co_await w.Start(200, headers)) co_return;
      co_await w.Write(ErrorEventLine(e));
      co_return co_await w.Finish();
    }
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<WakeState>(ex);
    std::weak_ptr<WakeState> weak = wake;
    (*watcher)->SetNotify([ex, weak] {
      asio::post(ex, [weak] {
        if (auto s = weak.lock()) s->Wake();
      });
    });
    w.on_closing([weak] {
      if (auto s = weak.lock()) s->Wake();
    });
    if (!co_await w.Start(200, std::move(headers))) {
      (*watcher)->Stop();
      co_return;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto next_bookmark = std::chrono::steady_clock::now() + limits_.bookmark_interval;
    bool initial_pending = send_initial_events;
    std::vector<store::Event> events;
    for (;;) {
      events.clear();
      (*watcher)->Poll(events, 256);
      std::string batch;
      for (const auto& ev : events) {
        batch += EventLine(c, EventTypeName(ev.type), ev.object->json, first_table);
      }
      if (initial_pending && events.size() < 256) {
        // Initial snapshot fully drained: mark its end (watch-list protocol).
        batch += BookmarkLine(c, (*watcher)->progress_revision(), true);
        initial_pending = false;
      }
      auto now = std::chrono::steady_clock::now();
      if (bookmarks && now >= next_bookmark && batch.empty()) {
        batch += BookmarkLine(c, (*watcher)->progress_revision(), false);
        next_bookmark = now + limits_.bookmark_interval;
      }
      if (!batch.empty() && !co_await w.Write(std::move(batch))) break;
      if (events.size() == 256) continue;  // more queued
      if (w.closing() || now >= deadline) break;
      auto reason = (*watcher)->close_reason();
      if (reason != store::WatchCloseReason::kNone) {
        std::vector<store::Event> rest;
        if ((*watcher)->Poll(rest, 1) == 0) break;  // drained: end the stream, the client re-lists
        continue;
      }
      if (!wake->pending) {
        auto until = std::min(deadline, bookmarks ? next_bookmark : deadline);
        wake->timer.expires_at(until);
        co_await wake->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      wake->pending = false;
    }
    (*watcher)->Stop();
    co_await w.Finish();
  }

  TenantContext t_;
  ApiServerLimits limits_;
  asio::thread_pool& blocking_;
  Authenticator authn_;
  Discovery discovery_;
  registry::GenericRegistry* objects_ = nullptr;  // owned by t_
  std::atomic<std::size_t> readonly_inflight_{0};
  std::atomic<std::size_t> mutating_inflight_{0};
  std::shared_ptr<PodStreams> pod_streams_;  // pods/log, exec, attach, portforward; null: no node agent
};

ApiServer::ApiServer(TenantContext tenant, ApiServerLimits limits, asio::thread_pool& blocking)
    : impl_(std::make_unique<Impl>(std::move(tenant), limits, blocking)) {}
ApiServer::~ApiServer() = default;

void ApiServer::SetPodStreams(std::shared_ptr<PodStreams> streams) { impl_->SetPodStreams(std::move(streams)); }

asio::awaitable<void> ApiServer::Handle(http::Request& request, http::ResponseWriter& writer) {
  co_await impl_->Handle(request, writer);
}

}  // namespace vkube::apiserver
