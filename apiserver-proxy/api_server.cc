// The tenant's virtual kube-apiserver: authn → in-flight limit → route → REST handler → Store.
// Typed errors (vkube::Error) become metav1.Status only here.
#include "apiserver-proxy/api_server.h"

#include <openssl/evp.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <random>

#include "apiserver-proxy/api_surface.h"
#include "apiserver-proxy/authenticator.h"
#include "apiserver-proxy/content.h"
#include "apiserver-proxy/discovery.h"
#include "apiserver-proxy/openapi/field_check.h"
#include "apiserver-proxy/openapi/openapi_service.h"
#include "apiserver-proxy/pod_streams.h"
#include "apiserver-proxy/request_info.h"
#include "libs/auth/policy_rule.h"
#include "libs/core/json_depth.h"
#include "libs/core/log.h"
#include "libs/core/time.h"
#include "libs/net/await_uncancelled.h"
#include "libs/pki/credentials.h"
#include "libs/registry/binding.h"
#include "libs/registry/scale.h"
#include "libs/registry/service_account_token.h"
#include "libs/resource/json_access.h"
#include "libs/resource/meta.h"
#include "libs/resource/patch.h"
#include "libs/resource/protobuf_decoder.h"
#include "libs/resource/selector.h"
#include "libs/resource/server_side_apply.h"
#include "libs/resource/status.h"
#include "libs/resource/validation.h"

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

Error ApplyKindMismatch(const json& config, const std::string& expected) {
  return resource::BadRequest("the kind of the apply patch (" + resource::jsonx::Str(config, "kind") +
                              ") does not match the expected kind (" + expected + ")");
}

Result<json> ParseBody(std::string_view body) {
  if (JsonNestsDeeperThan(body)) return resource::BadRequest("json: exceeded max depth");
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return Error::Make(ErrorCode::kBadRequest,
                       "the body of the request was in an unknown format - accepted media types "
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
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b.data()), static_cast<int>(b.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  for (auto it = b.rbegin(); it != b.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// (A function, not a ternary of literals inside the coroutine: GCC 12 miscompiles that.)
std::string_view EventTypeName(store::EventType t) {
  switch (t) {
    case store::EventType::kAdded:
      return "ADDED";
    case store::EventType::kModified:
      return "MODIFIED";
    case store::EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

http::Headers WatchHeaders() { return {{"content-type", "application/json"}, {"cache-control", "no-cache, private"}}; }

std::string ErrorEventLine(const Error& e) {
  return json{{"type", "ERROR"}, {"object", resource::StatusFromError(e)}}.dump() + "\n";
}

enum class PatchType { kJson, kMerge, kStrategic, kApply };

Result<json> ApplyPatch(PatchType type, const json& old, const json& patch, const resource::ResourceInfo& info) {
  switch (type) {
    case PatchType::kJson:
      return resource::ApplyJsonPatch(old, patch);
    case PatchType::kMerge:
      return resource::ApplyMergePatch(old, patch);
    case PatchType::kStrategic:
      return resource::ApplyStrategicMergePatch(old, patch, info.group, info.kind);
    case PatchType::kApply:
      break;  // server-side apply merges by ownership, not here
  }
  return resource::BadRequest("unsupported patch type");
}

Result<PatchType> PatchTypeOf(std::string_view content_type) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  if (ct == "application/json-patch+json") return PatchType::kJson;
  if (ct == "application/merge-patch+json") return PatchType::kMerge;
  if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (ct == "application/apply-patch+yaml") return PatchType::kApply;
  // (application/apply-patch+cbor is behind a feature gate in kube 1.32, off by default.)
  return Error::Make(ErrorCode::kUnsupportedMediaType,
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, "
                     "application/strategic-merge-patch+json, application/apply-patch+yaml");
}

// kube's ValidateFieldManager (and, for PATCH, ValidatePatchOptions' apply rules) → 422.
Status ValidateFieldManager(std::string_view manager, std::string_view options_kind, bool has_force,
                            std::optional<PatchType> patch) {
  std::vector<FieldCause> causes;
  if (patch && *patch != PatchType::kApply && has_force) {
    causes.push_back({"FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force"});
  }
  if (patch && *patch == PatchType::kApply && manager.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"});
  }
  if (manager.size() > 128) {
    causes.push_back({"FieldValueTooLong", "Too long: may not be more than 128 bytes", "fieldManager"});
  }
  for (unsigned char ch : manager) {
    if (ch < 0x20 || ch == 0x7f) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + json(std::string(manager)).dump() + ": invalid character in field manager",
                        "fieldManager"});
      break;
    }
  }
  if (causes.empty()) return {};
  return resource::Invalid("meta.k8s.io", options_kind, "", std::move(causes));
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
        surface_(t_.surface ? t_.surface : ApiSurface::Make(t_.registry, t_.openapi)) {
    if (!t_.objects) t_.objects = std::make_shared<registry::GenericRegistry>(t_.store, surface_.load()->kinds);
    objects_ = t_.objects.get();
    if (!t_.authorizer) t_.authorizer = std::make_shared<auth::RbacAuthorizer>(t_.store);
    authz_ = t_.authorizer.get();
  }

  asio::awaitable<void> Handle(http::Request& req, http::ResponseWriter& w) {
    auto query = Query::Parse(req.query);
    if (!query) co_return co_await w.Send(ErrorResponse(query.error()));
    // Public paths serve anonymous clients, but a credential that fails is still 401 (kube
    // authenticates first: an invalid token never reads anything).
    std::optional<UserInfo> authenticated = authn_.Authenticate(req);
    const bool credential = !req.header("authorization").empty() || (req.peer && !req.peer->client_cert_der.empty());
    if (IsPublicPath(req.path) && (authenticated || !credential)) {
      // Authorized like any path (system:public-info-viewer grants them to everyone by default).
      Status allowed = AuthorizePublic(req, authenticated);
      if (!allowed) co_return co_await w.Send(ErrorResponse(allowed.error()));
      co_return co_await w.Send(PublicEndpoint(req.path, *query));
    }
    if (!authenticated) co_return co_await w.Send(ErrorResponse(Error::Make(ErrorCode::kUnauthorized, "Unauthorized")));
    WithAuthenticatedGroup(*authenticated);
    if (t_.admit && !t_.admit()) co_return co_await w.Send(ErrorResponse(TooManyRequestsError()));
    // kube's order: authentication, impersonation, in-flight limits, authorization.
    Result<UserInfo> user = Impersonate(req, *authenticated);
    if (!user) co_return co_await w.Send(ErrorResponse(user.error()));
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
    Status authorized = AuthorizeRequest(*info, *query, *user);
    if (!authorized) co_return co_await w.Send(ErrorResponse(authorized.error()));
    // One snapshot of the served kinds for the whole request (custom resources may change meanwhile).
    const std::shared_ptr<const ApiSurface> surface = surface_.load(std::memory_order_acquire);
    if (!info->is_resource_request) {
      http::Response doc = CompressForClient(req.header("accept-encoding"), NonResource(req, *info, *surface));
      co_return co_await w.Send(std::move(doc));
    }
    const Kind* kind = surface->kinds->Find(info->group, info->version, info->resource);
    if (kind == nullptr) co_return co_await w.Send(NotFoundPath());
    if (!kind->info.namespaced && !info->ns.empty()) co_return co_await w.Send(NotFoundPath());
    if (IsPodLog(*info)) co_return co_await PodLog(*info, *query, w);
    if (IsPodConnect(*info)) co_return co_await PodConnect(*info, req, w);
    Negotiated neg = NegotiateAccept(req.header("accept"));
    if (!neg.acceptable) {
      co_return co_await w.Send(
          ErrorResponse(Error::Make(ErrorCode::kNotAcceptable,
                                    "only the following media types are accepted: application/json, "
                                    "application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io")));
    }
    Ctx ctx{req, *info, *query, *kind, neg, *user, *surface};
    if (info->verb == "watch") co_return co_await Watch(ctx, w);
    Result<http::Response> res = co_await Dispatch(ctx);
    // No ?: inside coroutines here: GCC 12 may evaluate both arms of a conditional in a coroutine.
    if (!res) res = ErrorResponse(res.error());
    http::Response out = CompressForClient(req.header("accept-encoding"), std::move(*res));
    co_await w.Send(std::move(out));
  }

 private:
  struct Ctx {
    http::Request& req;
    const RequestInfo& info;
    const Query& query;
    const Kind& kind;
    Negotiated neg;
    const UserInfo& user;   // who the request runs as (after impersonation)
    const ApiSurface& api;  // the snapshot `kind` belongs to
  };

  // Runs blocking store work (fsync) off the connection thread, resumes on it afterwards.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> Blocking(F f) {
    std::optional<std::invoke_result_t<F>> out;
    co_await asio::co_spawn(
        blocking_,
        [&]() -> asio::awaitable<void> {
          out.emplace(f());
          co_return;
        },
        net::AwaitUncancelled());
    co_return std::move(*out);
  }

  http::Response PublicEndpoint(const std::string& path, const Query& q) {
    if (path == "/version") {
      json v = {{"major", "1"},          {"minor", "32"},           {"gitVersion", "v1.32.0-vkube.0"},
                {"gitCommit", "vkube"},  {"gitTreeState", "clean"}, {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "go1.23"}, {"compiler", "gc"},        {"platform", "linux/amd64"}};
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

  static http::Response NonResource(const http::Request& req, const RequestInfo& info, const ApiSurface& api) {
    if (info.path.rfind("/openapi/", 0) == 0 && api.openapi) {
      if (auto r = api.openapi->Handle(req)) return std::move(*r);
    }
    if (auto r = api.discovery->Handle(req)) return std::move(*r);
    return NotFoundPath();
  }

  asio::awaitable<Result<http::Response>> Dispatch(Ctx& c) {
    const std::string& sub = c.info.subresource;
    const bool finalize = sub == "finalize" && c.kind.info.group.empty() && c.kind.info.resource == "namespaces" &&
                          c.info.verb == "update";
    if (IsReview(c.kind)) co_return Review(c);
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
    if (auto allowed = CheckRbacWrite(c); !allowed) co_return allowed.take_error();
    const std::string& v = c.info.verb;
    if (v == "get") {
      if (!t_.blocking_reads) co_return Get(c);
      co_return co_await Blocking([&] { return Get(c); });
    }
    if (v == "list") {
      if (!t_.blocking_reads) co_return List(c);
      co_return co_await Blocking([&] { return List(c); });
    }
    if (v == "create" && c.kind.info.terminating) {
      co_return Error::Make(ErrorCode::kMethodNotAllowed,
                            "create not allowed while custom resource definition is terminating");
    }
    if (v == "create") co_return co_await Create(c);
    if (v == "update") co_return co_await Update(c);
    if (v == "patch") co_return co_await Patch(c);
    if (v == "delete") co_return co_await Delete(c);
    if (v == "deletecollection") co_return co_await DeleteCollection(c);
    co_return Error::Make(ErrorCode::kMethodNotAllowed,
                          "the server does not allow this method on the requested resource");
  }

  http::Response ObjectResponse(const Ctx& c, int status, const std::string& stored) {
    if (c.neg.table) {
      json obj = ServedObject(c.kind, stored);
      json rows = json::array(
          {TableRow(c.kind, obj, ParseIncludeObject(c.query.Get("includeObject")), std::chrono::system_clock::now())});
      return JsonResponse(status,
                          MakeTable(c.neg.table_version, TableColumns(c.kind), std::move(rows),
                                    std::string(resource::GetString(obj, {"metadata", "resourceVersion"})), "", 0)
                              .dump());
    }
    std::string scratch;
    return JsonResponse(status, AsServed(c.kind, stored, scratch));
  }

  Result<http::Response> Get(const Ctx& c) {
    auto obj = objects_->Get(c.kind, c.info.ns, c.info.name);
    if (!obj) return obj.take_error();
    return ObjectResponse(c, 200, (*obj)->json);
  }

  Result<store::Predicate> Selectors(const Ctx& c) {
    auto labels = resource::LabelSelector::Parse(c.query.Get("labelSelector"));
    if (!labels) return labels.take_error();
    auto fields =
        resource::FieldSelector::Parse(c.query.Get("fieldSelector"), c.kind.strategy->ExtraSelectableFields());
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
        return resource::BadRequest(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
      }
      opts.continue_after = tok["start"].get<std::string>();
      store::Revision rv = tok.value("rv", store::Revision{0});
      if (rv < t_.store->CompactedRevision()) {
        return Error::Make(ErrorCode::kExpired,
                           "The provided continue parameter is too old to display a consistent "
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
      for (const auto& o : res->items) rows.push_back(TableRow(c.kind, ServedObject(c.kind, o->json), include, now));
      return JsonResponse(
          200, MakeTable(c.neg.table_version, TableColumns(c.kind), std::move(rows), rv, cont, res->remaining).dump());
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
      std::string scratch;
      body += AsServed(c.kind, res->items[i]->json, scratch);
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
      std::string body_ns =
          meta.contains("namespace") && meta["namespace"].is_string() ? meta["namespace"].get<std::string>() : "";
      if (!body_ns.empty() && body_ns != c.info.ns) {
        return resource::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request");
      }
      meta["namespace"] = c.info.ns;
    } else {
      meta.erase("namespace");
    }
    if (meta.contains("name") && !meta["name"].is_string())
      return resource::BadRequest("metadata.name must be a string");
    return body;
  }

  // ?fieldValidation, and the Go decoder's type errors, for a JSON body (a protobuf body has no
  // unknown fields to find: only the schema comes back, for pruning).
  FieldCheck CheckBody(const Ctx& c, FieldCheckBody what, std::string_view options_kind,
                       bool schema_only = false) const {
    schema_only = schema_only || c.req.header("content-type").rfind(resource::kProtobufContentType, 0) == 0;
    const std::string_view body = schema_only ? std::string_view("{}") : std::string_view(c.req.body);
    const resource::ResourceInfo& info = c.kind.info;
    return CheckFields(c.api.openapi.get(), info.group, info.version, info.kind, c.query.Get("fieldValidation"), body,
                       what, options_kind);
  }

  static http::Response WithWarnings(http::Response r, const std::vector<std::string>& warnings) {
    for (const auto& w : warnings) r.headers.push_back({"warning", w});
    return r;
  }

  bool DryRun(const Ctx& c) const { return c.query.Get("dryRun") == "All"; }
  // managedFields: ?fieldManager, else the User-Agent up to its first '/' (kube's default).
  static std::string FieldManagerOf(const Ctx& c) {
    std::string m(c.query.Get("fieldManager"));
    if (m.empty()) m = resource::FieldManagerFromUserAgent(c.req.header("user-agent"));
    return m;
  }
  registry::WriteOptions WriteOpts(const Ctx& c) const {
    return registry::WriteOptions{
        .dry_run = DryRun(c), .subresource = c.info.subresource, .field_manager = FieldManagerOf(c)};
  }

  asio::awaitable<Result<http::Response>> Create(Ctx& c) {
    if (auto v = ValidateFieldManager(c.query.Get("fieldManager"), "CreateOptions", false, std::nullopt); !v) {
      co_return v.take_error();
    }
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
    if (auto v = ValidateFieldManager(c.query.Get("fieldManager"), "UpdateOptions", false, std::nullopt); !v) {
      co_return v.take_error();
    }
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
    const std::optional<PatchType> patch_type = *type;
    if (auto v = ValidateFieldManager(c.query.Get("fieldManager"), "PatchOptions", c.query.Has("force"), patch_type);
        !v) {
      co_return v.take_error();
    }
    if (*type == PatchType::kApply) co_return co_await ServerSideApplyPatch(c);
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

  // application/apply-patch+yaml: the config (YAML or JSON) merged by field ownership; a
  // missing object is created (201), as kube's apply does.
  asio::awaitable<Result<http::Response>> ServerSideApplyPatch(Ctx& c) {
    auto config = resource::ParseApplyPatchBody(c.req.body);
    if (!config) co_return config.take_error();
    if (!config->is_object()) co_return resource::BadRequest("error decoding YAML: the apply patch must be an object");
    auto checked = CheckApplyConfig(c, *config);
    if (!checked) co_return checked.take_error();
    FieldCheck check = std::move(*checked);
    const std::string manager(c.query.Get("fieldManager"));
    const bool force = c.query.Get("force") == "true";
    const std::string subresource = c.info.subresource;
    const resource::FieldManagedKind managed = resource::ManagedKindOf(c.kind);
    registry::WriteOptions opts = WriteOpts(c);
    opts.managed_fields_set = true;
    auto mutate = [&](const json& cur) -> Result<json> {
      return resource::ServerSideApply(cur, *config, manager, force, subresource, managed,
                                       FormatRfc3339(std::chrono::system_clock::now()));
    };
    auto res =
        co_await Blocking([&] { return objects_->GuaranteedUpdate(c.kind, c.info.ns, c.info.name, mutate, opts); });
    if (res) co_return WithWarnings(ObjectResponse(c, 200, (*res)->json), check.warnings);
    if (res.error().code != ErrorCode::kNotFound || !subresource.empty()) co_return res.take_error();
    auto fresh = ApplyToNothing(c, *config, manager, force, managed);
    if (!fresh) co_return fresh.take_error();
    auto created = co_await Blocking([&] { return objects_->Create(c.kind, c.info.ns, std::move(*fresh), opts); });
    if (!created) co_return created.take_error();
    co_return WithWarnings(ObjectResponse(c, 201, (*created)->json), check.warnings);
  }

  // The apply config's identity (kind, name, namespace) against the URL, then ?fieldValidation
  // on its JSON form (unknown fields pruned from it, as from any patch).
  Result<FieldCheck> CheckApplyConfig(const Ctx& c, json& config) const {
    const resource::ResourceInfo& info = c.kind.info;
    if (config.contains("kind") && config["kind"] != info.kind) return ApplyKindMismatch(config, info.kind);
    std::string name(resource::GetString(config, {"metadata", "name"}));
    if (!name.empty() && name != c.info.name) {
      return resource::BadRequest("the name of the object (" + name + ") does not match the name on the URL (" +
                                  c.info.name + ")");
    }
    std::string ns(resource::GetString(config, {"metadata", "namespace"}));
    if (info.namespaced && !ns.empty() && ns != c.info.ns) {
      return resource::BadRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    const std::string body = config.dump();
    FieldCheck check = CheckFields(c.api.openapi.get(), info.group, info.version, info.kind,
                                   c.query.Get("fieldValidation"), body, FieldCheckBody::kMergePatch, "PatchOptions");
    if (check.error) return std::move(*check.error);
    if (check.tree) resource::PruneUnknownFields(config, *check.tree);
    return check;
  }

  // The object an apply creates: the config applied to nothing, named by the URL.
  Result<json> ApplyToNothing(const Ctx& c, const json& config, const std::string& manager, bool force,
                              const resource::FieldManagedKind& managed) const {
    auto obj = resource::ServerSideApply(json(), config, manager, force, "", managed,
                                         FormatRfc3339(std::chrono::system_clock::now()));
    if (!obj) return obj;
    json& meta = (*obj)["metadata"];
    meta["name"] = c.info.name;
    if (c.kind.info.namespaced) meta["namespace"] = c.info.ns;
    (*obj)["kind"] = c.kind.info.kind;
    return obj;
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
      co_return JsonResponse(200, registry::ToScale(c.kind, *obj).dump());
    }
    if (verb != "update" && verb != "patch") {
      co_return Error::Make(ErrorCode::kMethodNotAllowed,
                            "the server does not allow this method on the requested resource");
    }
    PatchType type = PatchType::kMerge;
    if (verb == "patch") {
      auto t = PatchTypeOf(c.req.header("content-type"));
      if (!t) co_return t.take_error();
      type = *t;
      if (type == PatchType::kApply) co_return co_await ScaleApply(c);
    }
    auto body = ParseBody(c.req.body);
    if (!body) co_return body.take_error();
    const resource::ResourceInfo scale_info{
        .group = "autoscaling", .version = "v1", .resource = "scale", .kind = "Scale"};
    auto mutate = [&](const json& cur) -> Result<json> {
      json desired = *body;
      if (verb == "patch") {
        auto patched = ApplyPatch(type, registry::ToScale(c.kind, cur), *body, scale_info);
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
    registry::WriteOptions scale_opts = WriteOpts(c);  // managedFields: subresource "scale"
    auto res = co_await Blocking(
        [&] { return objects_->GuaranteedUpdate(c.kind, c.info.ns, c.info.name, mutate, scale_opts); });
    if (!res) co_return res.take_error();
    co_return JsonResponse(200, registry::ToScale(c.kind, json::parse((*res)->json)).dump());
  }

  // Server-side apply of an autoscaling/v1 Scale. As kube's ScaleHandler maps a Scale's
  // managedFields onto its parent, the applier comes to own the parent's replicas field (at the
  // kind's scale path) in an Apply entry of subresource "scale", and conflicts with its owners.
  asio::awaitable<Result<http::Response>> ScaleApply(Ctx& c) {
    if (auto v =
            ValidateFieldManager(c.query.Get("fieldManager"), "PatchOptions", c.query.Has("force"), PatchType::kApply);
        !v) {
      co_return v.take_error();
    }
    auto config = resource::ParseApplyPatchBody(c.req.body);
    if (!config) co_return config.take_error();
    if (!config->is_object()) co_return resource::BadRequest("error decoding YAML: the apply patch must be an object");
    const std::string version = resource::jsonx::Str(*config, "apiVersion");
    if (version != "autoscaling/v1") {
      co_return resource::BadRequest("Incorrect version specified in apply patch. Specified patch version: " + version +
                                     ", expected: autoscaling/v1");
    }
    if (config->contains("kind") && (*config)["kind"] != "Scale") co_return ApplyKindMismatch(*config, "Scale");
    const std::string manager(c.query.Get("fieldManager"));
    const bool force = c.query.Get("force") == "true";
    const resource::FieldManagedKind managed = resource::ManagedKindOf(c.kind);
    const bool sets_replicas = !resource::jsonx::At(*config, "spec.replicas").is_null();
    auto mutate = [&](const json& cur) -> Result<json> {
      json scale = registry::ToScale(c.kind, cur);
      if (sets_replicas) scale["spec"]["replicas"] = (*config)["spec"]["replicas"];
      if (auto valid = registry::ApplyScale(c.kind, cur, scale); !valid) return valid;
      json parent = {
          {"apiVersion", managed.api_version}, {"kind", c.kind.info.kind}, {"metadata", {{"name", c.info.name}}}};
      if (sets_replicas) {
        auto with_replicas = registry::ApplyScale(c.kind, parent, scale);
        if (!with_replicas) return with_replicas;
        parent = std::move(*with_replicas);
      }
      return resource::ServerSideApply(cur, parent, manager, force, "scale", managed,
                                       FormatRfc3339(std::chrono::system_clock::now()));
    };
    registry::WriteOptions opts = WriteOpts(c);
    opts.managed_fields_set = true;
    auto res =
        co_await Blocking([&] { return objects_->GuaranteedUpdate(c.kind, c.info.ns, c.info.name, mutate, opts); });
    if (!res) co_return res.take_error();
    co_return JsonResponse(200, registry::ToScale(c.kind, json::parse((*res)->json)).dump());
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
    if (auto dr = resource::jsonx::Child(body, "dryRun"); dr.is_array() && !dr.empty() && dr[0] == "All")
      o.dry_run = true;
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
      return resource::Invalid(
          "meta.k8s.io", "DeleteOptions", "",
          {{"FieldValueNotSupported",
            "Unsupported value: \"" + policy + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
            "propagationPolicy"}});
    }
    const json& orphan = resource::jsonx::Child(body, "orphanDependents");
    std::string orphan_q(c.query.Get("orphanDependents"));
    if (orphan.is_boolean() || !orphan_q.empty()) {
      if (!policy.empty()) {
        return resource::Invalid(
            "meta.k8s.io", "DeleteOptions", "",
            {{"FieldValueInvalid",
              "Invalid value: \"" + policy + "\": orphanDependents and propagationPolicy cannot both be set",
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
      std::string scratch;
      body += AsServed(c.kind, (*res)[i]->json, scratch);
    }
    body += "]}";
    co_return JsonResponse(200, std::move(body));
  }

  // ---- authorization (kube's WithImpersonation + WithAuthorization filters, RBAC storage) ----

  // Every authenticated user is in system:authenticated (kube's group adder).
  static void WithAuthenticatedGroup(UserInfo& user) {
    if (!auth::InGroup(user, auth::kAllAuthenticated)) user.groups.emplace_back(auth::kAllAuthenticated);
  }

  // `denied` as kube answers it: `pods is forbidden: User "x" cannot list resource "pods" ...`
  // (Status details {group, kind: resource, name}); non-resource: `forbidden: User "x" cannot get path "/p"`.
  static Error ForbiddenError(const auth::Attributes& a, std::string_view reason) {
    const std::string msg = auth::ForbiddenMessage(a, reason);
    if (!a.resource_request || a.resource.empty()) return Error::Make(ErrorCode::kForbidden, "forbidden: " + msg);
    return resource::Forbidden(a.api_group, a.resource, a.name, msg);
  }

  Status Check(const auth::Attributes& a) const {
    auth::Decision d = authz_->Authorize(a);
    if (d.allowed) return {};
    return ForbiddenError(a, d.reason);
  }

  // /healthz, /livez, /readyz, /version: anonymous callers are system:anonymous in
  // system:unauthenticated; the verb is the lower-case method, as for every non-resource path.
  Status AuthorizePublic(const http::Request& req, const std::optional<UserInfo>& authenticated) const {
    UserInfo user;
    if (authenticated) {
      user = *authenticated;
      WithAuthenticatedGroup(user);
    } else {
      user.name = auth::kAnonymousUser;
      user.groups.emplace_back(auth::kAllUnauthenticated);
    }
    auth::Attributes a;
    a.user = &user;
    a.verb = req.method;
    for (char& ch : a.verb) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    a.path = req.path;
    return Check(a);
  }

  // kube's RequestInfo → authorizer attributes: a namespace's own name is its namespace, and a
  // list/watch narrowed by `fieldSelector=metadata.name=X` is authorized for that name.
  static auth::Attributes AttributesOf(const RequestInfo& info, const Query& query, const UserInfo& user) {
    auth::Attributes a;
    a.user = &user;
    a.verb = info.verb;
    a.resource_request = info.is_resource_request;
    a.path = info.path;
    if (!info.is_resource_request) return a;
    a.api_group = info.group;
    a.api_version = info.version;
    a.resource = info.resource;
    a.subresource = info.subresource;
    a.ns = info.ns;
    a.name = info.name;
    if (info.group.empty() && info.resource == "namespaces" && !info.name.empty()) a.ns = info.name;
    if (a.name.empty() && (a.verb == "list" || a.verb == "watch")) {
      std::string_view fs = query.Get("fieldSelector");
      while (!fs.empty()) {
        std::string_view term = fs.substr(0, fs.find(','));
        fs.remove_prefix(std::min(fs.size(), term.size() + 1));
        for (std::string_view op : {"metadata.name==", "metadata.name="}) {
          if (term.substr(0, op.size()) == op && term.size() > op.size()) {
            a.name = std::string(term.substr(op.size()));
            break;
          }
        }
      }
    }
    return a;
  }

  Status AuthorizeRequest(const RequestInfo& info, const Query& query, const UserInfo& user) const {
    return Check(AttributesOf(info, query, user));
  }

  // kube's WithImpersonation: Impersonate-User (a service account name impersonates that account),
  // Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key>, each authorized with the
  // `impersonate` verb (users, groups, serviceaccounts; uids and userextras/<key> in
  // authentication.k8s.io) for the real requester; the request then runs as the impersonated user.
  Result<UserInfo> Impersonate(const http::Request& req, const UserInfo& requester) const {
    const std::string as_user(req.header("impersonate-user"));
    const std::string as_uid(req.header("impersonate-uid"));
    std::vector<std::string> as_groups;
    std::vector<std::pair<std::string, std::string>> as_extra;
    constexpr std::string_view kExtra = "impersonate-extra-";
    for (const auto& h : req.headers) {
      if (h.name == "impersonate-group") as_groups.push_back(h.value);
      if (h.name.size() > kExtra.size() && h.name.compare(0, kExtra.size(), kExtra) == 0) {
        auto key = PercentDecode(std::string_view(h.name).substr(kExtra.size()));
        if (!key) return resource::InternalError("invalid impersonation extra key: " + h.name);
        as_extra.emplace_back(std::move(*key), h.value);  // one value per header line, as kube reads them
      }
    }
    if (as_user.empty() && as_groups.empty() && as_extra.empty() && as_uid.empty()) return requester;
    if (as_user.empty()) {
      return resource::InternalError("requested impersonation of groups, extra or uid without impersonating a user");
    }
    UserInfo out;
    // kube's impersonation checks: verb "impersonate" on users/groups/serviceaccounts (core) and
    // on uids/userextras (authentication.k8s.io).
    auto impersonate = [&](std::string group, std::string resource, std::string name, std::string sub = "",
                           std::string ns = "") {
      auth::Attributes attrs;
      attrs.user = &requester;
      attrs.verb = "impersonate";
      attrs.resource_request = true;
      attrs.api_group = std::move(group);
      attrs.resource = std::move(resource);
      attrs.subresource = std::move(sub);
      attrs.ns = std::move(ns);
      attrs.name = std::move(name);
      return Check(attrs);
    };
    std::string sa_ns, sa_name;
    Status user_allowed;
    if (auth::SplitServiceAccountUsername(as_user, &sa_ns, &sa_name)) {
      user_allowed = impersonate("", "serviceaccounts", sa_name, "", sa_ns);
      if (as_groups.empty()) out.groups = auth::ServiceAccountGroups(sa_ns);
    } else {
      user_allowed = impersonate("", "users", as_user);
    }
    if (!user_allowed) return user_allowed.take_error();
    out.name = as_user;
    for (const auto& g : as_groups) {
      if (auto s = impersonate("", "groups", g); !s) return s.take_error();
      out.groups.push_back(g);
    }
    for (const auto& [key, value] : as_extra) {
      if (auto s = impersonate("authentication.k8s.io", "userextras", value, key); !s) return s.take_error();
      out.extra[key].push_back(value);
    }
    if (!as_uid.empty()) {
      if (auto s = impersonate("authentication.k8s.io", "uids", as_uid); !s) return s.take_error();
      out.uid = as_uid;
    }
    // system:authenticated unless a system:(un)authenticated group was asked for; the anonymous
    // user gets system:unauthenticated instead.
    if (as_user != auth::kAnonymousUser) {
      if (!auth::InGroup(out, auth::kAllAuthenticated) && !auth::InGroup(out, auth::kAllUnauthenticated)) {
        out.groups.emplace_back(auth::kAllAuthenticated);
      }
    } else if (!auth::InGroup(out, auth::kAllUnauthenticated)) {
      out.groups.emplace_back(auth::kAllUnauthenticated);
    }
    return out;
  }

  // RBAC escalation prevention (kube's policy-based storage of roles and bindings): writing a Role
  // or ClusterRole may only grant rules the writer holds (unless allowed to `escalate` it); a binding
  // may only bind a role whose rules the writer holds (unless allowed to `bind` it). system:masters
  // is exempt. Checked on the object as it will be written, before admission and validation.
  Status CheckRbacWrite(const Ctx& c) const {
    const resource::ResourceInfo& info = c.kind.info;
    if (info.group != auth::kRbacGroup || !c.info.subresource.empty()) return {};
    const std::string& verb = c.info.verb;
    if (verb != "create" && verb != "update" && verb != "patch") return {};
    if (auth::InGroup(c.user, auth::kSystemMasters)) return {};
    const bool role = info.resource == "roles" || info.resource == "clusterroles";
    const bool binding = info.resource == "rolebindings" || info.resource == "clusterrolebindings";
    if (!role && !binding) return {};
    json current;
    if (verb != "create") {
      auto cur = objects_->GetJson(c.kind, c.info.ns, c.info.name);
      if (cur) current = std::move(*cur);
    }
    auto next = RbacObjectAfterWrite(c, current);
    if (!next) return {};  // the write itself reports what is wrong with its body
    std::string name = c.info.name;
    if (name.empty()) name = resource::GetString(*next, {"metadata", "name"});
    const std::string ns = info.namespaced ? c.info.ns : "";
    if (role) {
      auth::Attributes esc;
      esc.user = &c.user;
      esc.verb = "escalate";
      esc.resource_request = true;
      esc.api_group = info.group;
      esc.api_version = "*";
      esc.resource = info.resource;
      esc.ns = ns;
      esc.name = name;
      if (authz_->Authorize(esc).allowed) return {};
      auto held = authz_->ConfirmNoEscalation(c.user, ns, auth::RulesFromJson(resource::jsonx::Child(*next, "rules")));
      if (!held) return resource::Forbidden(info.group, info.resource, name, held.error().message);
      const json& agg = resource::jsonx::Child(*next, "aggregationRule");
      if (info.resource == "clusterroles" && !agg.is_null() &&
          agg != resource::jsonx::Child(current, "aggregationRule")) {
        static const std::vector<auth::PolicyRule> kFullAuthority = {auth::PolicyRule{{"*"}, {"*"}, {"*"}, {}, {}},
                                                                     auth::PolicyRule{{"*"}, {}, {}, {}, {"*"}}};
        if (!authz_->ConfirmNoEscalation(c.user, "", kFullAuthority)) {
          return resource::Forbidden(info.group, info.resource, name,
                                     "must have cluster-admin privileges to use the aggregationRule");
        }
      }
      return {};
    }
    const json& ref = resource::jsonx::Child(*next, "roleRef");
    const std::string ref_kind = resource::jsonx::Str(ref, "kind"), ref_name = resource::jsonx::Str(ref, "name");
    auth::Attributes bind;
    bind.user = &c.user;
    bind.verb = "bind";
    bind.resource_request = true;
    bind.api_group = resource::jsonx::Str(ref, "apiGroup");
    if (bind.api_group.empty()) bind.api_group = auth::kRbacGroup;  // defaulted later, as kube does first
    bind.resource = ref_kind == "ClusterRole" ? "clusterroles" : "roles";
    bind.ns = ns;
    bind.name = ref_name;
    if ((ref_kind == "ClusterRole" || ref_kind == "Role") && authz_->Authorize(bind).allowed) return {};
    auto rules = authz_->RoleRefRules(ref_kind, ref_name, ns);
    if (!rules) return resource::Forbidden(info.group, info.resource, name, rules.error().message);
    auto held = authz_->ConfirmNoEscalation(c.user, ns, *rules);
    if (!held) return resource::Forbidden(info.group, info.resource, name, held.error().message);
    return {};
  }

  // The role or binding a create/update/patch would write (rules, roleRef and aggregationRule are
  // atomic: a patch's values replace the current ones). Error: a body the write rejects anyway.
  Result<json> RbacObjectAfterWrite(const Ctx& c, const json& current) const {
    if (c.info.verb != "patch") return DecodeBody(c.req);
    auto type = PatchTypeOf(c.req.header("content-type"));
    if (!type) return type.take_error();
    if (*type == PatchType::kApply) {
      auto config = resource::ParseApplyPatchBody(c.req.body);
      if (!config) return config.take_error();
      json next = current.is_object() ? current : json::object();
      for (const char* key : {"rules", "roleRef", "aggregationRule"}) {
        if (config->is_object() && config->contains(key)) next[key] = (*config)[key];
      }
      return next;
    }
    auto patch = ParseBody(c.req.body);
    if (!patch) return patch.take_error();
    if (!current.is_object()) return Error::Make(ErrorCode::kNotFound, "not found");
    return ApplyPatch(*type, current, *patch, c.kind.info);
  }

  // ---- authorization.k8s.io and authentication.k8s.io reviews (create-only, never stored) ----

  static bool IsReview(const Kind& k) {
    return (k.info.group == "authorization.k8s.io" || k.info.group == "authentication.k8s.io") &&
           k.info.verbs == std::vector<std::string>{"create"};
  }

  static json ReviewResponseBase(json body) {
    if (!body["metadata"].contains("creationTimestamp")) body["metadata"]["creationTimestamp"] = nullptr;
    return body;
  }

  Result<http::Response> Review(const Ctx& c) {
    if (c.info.verb != "create" || !c.info.name.empty()) {
      return Error::Make(ErrorCode::kMethodNotAllowed,
                         "the server does not allow this method on the requested resource");
    }
    if (c.kind.info.namespaced && c.info.ns.empty()) return NotFoundPath();
    auto decoded = DecodeObject(c);
    if (!decoded) return decoded.take_error();
    json body = ReviewResponseBase(std::move(*decoded));
    const std::string& r = c.kind.info.resource;
    Status done;
    if (r == "selfsubjectreviews") {
      body["status"] = {{"userInfo", UserInfoJson(c.user)}};
    } else if (r == "tokenreviews") {
      done = TokenReview(body);
    } else if (r == "selfsubjectrulesreviews") {
      done = RulesReview(c, body);
    } else {
      done = AccessReview(c, body);
    }
    if (!done) return done.take_error();
    return JsonResponse(201, body.dump());
  }

  static json UserInfoJson(const UserInfo& u) {
    json out = {{"username", u.name}};
    if (!u.uid.empty()) out["uid"] = u.uid;
    if (!u.groups.empty()) out["groups"] = u.groups;
    if (!u.extra.empty()) out["extra"] = u.extra;
    return out;
  }

  // SubjectAccessReview (any subject, cluster-wide), LocalSubjectAccessReview (any subject, its
  // namespace), SelfSubjectAccessReview (the caller): status.allowed and RBAC's reason.
  Status AccessReview(const Ctx& c, json& body) const {
    namespace v = resource::validation;
    const std::string& r = c.kind.info.resource;
    const json& spec = resource::jsonx::Child(body, "spec");
    const json& ra = resource::jsonx::Child(spec, "resourceAttributes");
    const json& nra = resource::jsonx::Child(spec, "nonResourceAttributes");
    std::vector<FieldCause> causes;
    if (ra.is_object() && nra.is_object()) {
      causes.push_back(v::Invalid("spec.nonResourceAttributes", v::GoValue(nra),
                                  "cannot be specified in combination with resourceAttributes"));
    }
    if (!ra.is_object() && !nra.is_object()) {
      causes.push_back(v::Invalid("spec.resourceAttributes", "\"null\"",
                                  "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
    }
    UserInfo subject;
    if (r == "selfsubjectaccessreviews") {
      subject = c.user;
    } else {
      subject.name = resource::jsonx::Str(spec, "user");
      subject.uid = resource::jsonx::Str(spec, "uid");
      const json& groups = resource::jsonx::Child(spec, "groups");
      if (groups.is_array()) {
        for (const auto& g : groups) {
          if (g.is_string()) subject.groups.push_back(g.get<std::string>());
        }
      }
      const json& extra = resource::jsonx::Child(spec, "extra");
      if (extra.is_object()) {
        for (const auto& [k, vals] : extra.items()) {
          if (!vals.is_array()) continue;
          for (const auto& val : vals) {
            if (val.is_string()) subject.extra[k].push_back(val.get<std::string>());
          }
        }
      }
      if (subject.name.empty() && subject.groups.empty()) {
        causes.push_back(v::Invalid("spec.user", "\"\"", "at least one of user or group must be specified"));
      }
    }
    if (r == "localsubjectaccessreviews") {
      if (ra.is_object() && resource::jsonx::Str(ra, "namespace") != c.info.ns) {
        causes.push_back(v::Invalid("spec.resourceAttributes.namespace",
                                    v::GoQuote(resource::jsonx::Str(ra, "namespace")),
                                    "must match metadata.namespace"));
      }
      if (nra.is_object()) {
        causes.push_back(
            v::Invalid("spec.nonResourceAttributes", v::GoValue(nra), "disallowed on this kind of request"));
      }
    }
    if (!causes.empty()) return resource::Invalid(c.kind.info.group, c.kind.info.kind, "", std::move(causes));
    auth::Attributes a;
    a.user = &subject;
    if (ra.is_object()) {
      a.resource_request = true;
      a.verb = resource::jsonx::Str(ra, "verb");
      a.ns = resource::jsonx::Str(ra, "namespace");
      a.api_group = resource::jsonx::Str(ra, "group");
      a.api_version = resource::jsonx::Str(ra, "version");
      if (a.api_version.empty()) a.api_version = "*";
      a.resource = resource::jsonx::Str(ra, "resource");
      a.subresource = resource::jsonx::Str(ra, "subresource");
      a.name = resource::jsonx::Str(ra, "name");
    } else {
      a.verb = resource::jsonx::Str(nra, "verb");
      a.path = resource::jsonx::Str(nra, "path");
    }
    auth::Decision d = authz_->Authorize(a);
    json status = {{"allowed", d.allowed}};
    if (!d.reason.empty()) status["reason"] = d.reason;
    body["status"] = std::move(status);
    return {};
  }

  // SelfSubjectRulesReview (`kubectl auth can-i --list`): the caller's rules in spec.namespace.
  Status RulesReview(const Ctx& c, json& body) const {
    std::string ns = resource::jsonx::Str(resource::jsonx::Child(body, "spec"), "namespace");
    if (ns.empty()) return resource::BadRequest("no namespace on request");
    auth::RulesReview rr = authz_->RulesFor(c.user, ns);
    json resource_rules = json::array(), non_resource_rules = json::array();
    for (const auto& rule : rr.resource_rules) {
      json j = {{"verbs", rule.verbs}};
      if (!rule.api_groups.empty()) j["apiGroups"] = rule.api_groups;
      if (!rule.resources.empty()) j["resources"] = rule.resources;
      if (!rule.resource_names.empty()) j["resourceNames"] = rule.resource_names;
      resource_rules.push_back(std::move(j));
    }
    for (const auto& rule : rr.non_resource_rules) {
      non_resource_rules.push_back({{"verbs", rule.verbs}, {"nonResourceURLs", rule.non_resource_urls}});
    }
    json status = {{"resourceRules", std::move(resource_rules)},
                   {"nonResourceRules", std::move(non_resource_rules)},
                   {"incomplete", rr.incomplete}};
    if (!rr.evaluation_error.empty()) status["evaluationError"] = rr.evaluation_error;
    body["status"] = std::move(status);
    return {};
  }

  // TokenReview: whether spec.token authenticates to this tenant, and as whom.
  Status TokenReview(json& body) const {
    std::string token = resource::jsonx::Str(resource::jsonx::Child(body, "spec"), "token");
    if (token.empty()) return resource::BadRequest("token is required for TokenReview");
    http::Request probe;
    probe.method = "POST";
    probe.headers.push_back({"authorization", "Bearer " + token});
    std::optional<UserInfo> user = authn_.Authenticate(probe);
    json status = {{"authenticated", user.has_value()}, {"user", json::object()}};
    if (user) {
      WithAuthenticatedGroup(*user);
      status["user"] = UserInfoJson(*user);
      if (t_.service_account_tokens) status["audiences"] = {t_.service_account_tokens->issuer()};
    }
    body["status"] = std::move(status);
    return {};
  }

  // ---- pods/log and pods/binding (the host's nodes: hostsim or a real cluster) ----

  static bool IsPodLog(const RequestInfo& info) {
    return info.is_resource_request && info.subresource == "log" && info.group.empty() && info.resource == "pods";
  }

  asio::awaitable<void> PodLog(const RequestInfo& info, const Query& query, http::ResponseWriter& w) {
    if (info.verb != "get") {
      co_return co_await w.Send(ErrorResponse(Error::Make(
          ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource")));
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
      co_return co_await w.Send(ErrorResponse(Error::Make(
          ErrorCode::kMethodNotAllowed, "the server does not allow this method on the requested resource")));
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
      co_return Error::Make(ErrorCode::kMethodNotAllowed,
                            "the server does not allow this method on the requested resource");
    }
    if (!t_.service_account_tokens) co_return NotFoundPath();
    auto body = DecodeBody(c.req);  // (a helper, not ?: — see Handle)
    if (!body) co_return body.take_error();
    auto spec = registry::ParseTokenRequest(*body, c.info.name);
    if (!spec) co_return spec.take_error();
    auto issued =
        registry::IssueServiceAccountToken(*t_.store, *t_.service_account_tokens, c.info.ns, c.info.name, *spec);
    if (!issued) co_return issued.take_error();
    co_return JsonResponse(201, issued->request.dump());
  }

  // POST pods/NAME/binding: a v1 Binding sets spec.nodeName once; answers a 201 Status.
  asio::awaitable<Result<http::Response>> Bind(Ctx& c) {
    if (c.info.verb != "create") {
      co_return Error::Make(ErrorCode::kMethodNotAllowed,
                            "the server does not allow this method on the requested resource");
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
  void Publish(std::shared_ptr<const ApiSurface> surface) {
    surface_.store(std::move(surface), std::memory_order_release);
  }

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

  std::string EventLine(const Ctx& c, std::string_view type, const std::string& stored, bool& first_table) {
    if (!c.neg.table) {
      std::string scratch;
      const std::string& object_json = AsServed(c.kind, stored, scratch);
      std::string line;
      line.reserve(object_json.size() + 32);
      line.append(R"({"type":")").append(type).append(R"(","object":)").append(object_json).append("}\n");
      return line;
    }
    json obj = ServedObject(c.kind, stored);
    json rows = json::array(
        {TableRow(c.kind, obj, ParseIncludeObject(c.query.Get("includeObject")), std::chrono::system_clock::now())});
    json table = MakeTable(c.neg.table_version, first_table ? TableColumns(c.kind) : json(), std::move(rows),
                           std::string(resource::GetString(obj, {"metadata", "resourceVersion"})), "", 0);
    first_table = false;
    return json{{"type", type}, {"object", std::move(table)}}.dump() + "\n";
  }

  // Custom resources are stored at their storage version; another served version differs only in
  // apiVersion (conversion "None"). Everything else: the stored bytes themselves, no copy.
  static bool IsConvertedOnRead(const Kind& kind) {
    return !kind.info.storage_version.empty() && kind.info.storage_version != kind.info.version;
  }
  // The stored object parsed, as served (what Table rows and includeObject carry).
  static json ServedObject(const Kind& kind, const std::string& stored) {
    json obj = json::parse(stored, nullptr, false);
    if (IsConvertedOnRead(kind) && obj.is_object()) obj["apiVersion"] = kind.info.GroupVersion();
    return obj;
  }
  static const std::string& AsServed(const Kind& kind, const std::string& stored, std::string& scratch) {
    if (!IsConvertedOnRead(kind)) return stored;
    json obj = ServedObject(kind, stored);
    if (!obj.is_object()) return stored;
    scratch = obj.dump();
    return scratch;
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
      opts.predicate =
          *pred ? store::Predicate([p = *pred, name_pred](const store::Object& o) { return name_pred(o) && p(o); })
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
      if (!rv)
        co_return co_await w.Send(
            ErrorResponse(resource::BadRequest("invalid resource version: " + std::string(rv_param))));
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
  std::atomic<std::shared_ptr<const ApiSurface>> surface_;
  registry::GenericRegistry* objects_ = nullptr;  // owned by t_
  const auth::RbacAuthorizer* authz_ = nullptr;   // owned by t_
  std::atomic<std::size_t> readonly_inflight_{0};
  std::atomic<std::size_t> mutating_inflight_{0};
  std::shared_ptr<PodStreams> pod_streams_;  // pods/log, exec, attach, portforward; null: no node agent
};

ApiServer::ApiServer(TenantContext tenant, ApiServerLimits limits, asio::thread_pool& blocking)
    : impl_(std::make_unique<Impl>(std::move(tenant), limits, blocking)) {}
ApiServer::~ApiServer() = default;

void ApiServer::SetPodStreams(std::shared_ptr<PodStreams> streams) { impl_->SetPodStreams(std::move(streams)); }
void ApiServer::Publish(std::shared_ptr<const ApiSurface> surface) { impl_->Publish(std::move(surface)); }

asio::awaitable<void> ApiServer::Handle(http::Request& request, http::ResponseWriter& writer) {
  co_await impl_->Handle(request, writer);
}

}  // namespace vkube::apiserver
