#include "apiserver-proxy/openapi/openapi_service.h"

#include <openssl/evp.h>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "apiserver-proxy/discovery.h"
#include "apiserver-proxy/openapi/openapi_builder.h"
#include "apiserver-proxy/openapi/openapi_v2_proto.h"
#include "apiserver-proxy/openapi/schema_additions.h"

namespace vkube::apiserver {

using nlohmann::json;

namespace {

// kube-apiserver addresses v3 documents by the upper-case hex SHA-512 of their bytes.
std::string Sha512Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha512(), nullptr);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * n);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

struct Doc {
  std::string body;
  std::string hash;
};

std::shared_ptr<const Doc> MakeDoc(const json& j) {
  auto d = std::make_shared<Doc>();
  d->body = j.dump();
  d->hash = Sha512Hex(d->body);
  return d;
}

// What a group-version document depends on besides the definitions: its kinds' shapes.
std::string Signature(const std::vector<const resource::ResourceInfo*>& kinds) {
  std::string s;
  for (const auto* i : kinds) {
    s += i->resource + "|" + i->kind + "|" + (i->namespaced ? "n" : "c") + "|";
    for (const auto& v : i->verbs) s += v + ",";
    for (const auto& sub : SubresourcesOf(*i)) s += sub.name + ",";
    s += ";";
  }
  return s;
}

std::string QueryValue(std::string_view query, std::string_view key) {
  std::size_t start = 0;
  while (start <= query.size()) {
    auto amp = query.find('&', start);
    std::string_view kv = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    auto eq = kv.find('=');
    if (kv.substr(0, eq) == key) return eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return "";
}

bool AcceptsJson(std::string_view accept) {
  return accept.empty() || accept.find("application/json") != std::string_view::npos ||
         accept.find("*/*") != std::string_view::npos || accept.find("application/*") != std::string_view::npos;
}

http::Response Text(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.push_back({"content-type", "text/plain; charset=utf-8"});
  r.body = std::move(body);
  return r;
}

}  // namespace

// Derived from the built-in schemas only: shared by every service rebuilt from one origin.
struct OpenApiService::Shared {
  std::shared_ptr<const SchemaSet> base;
  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const Doc>>> docs;  // key → (signature, doc)
  std::map<std::string, std::shared_ptr<const resource::FieldTree>> trees;         // definition → tree
};

struct OpenApiService::State {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<const SchemaSet> extra;
  DefinitionSource defs;
  resource::Registry registry;
  std::map<std::string, std::shared_ptr<const Doc>, std::less<>> v3;
  std::string index;

  // Built on first request: kubectl and client-go use v3; v2 is for older clients.
  std::once_flag v2_once;
  std::shared_ptr<const Doc> v2;
  std::once_flag v2pb_once;  // the protobuf form, from v2 on first request
  std::shared_ptr<const Doc> v2pb;

  std::mutex mu;
  std::map<std::string, std::shared_ptr<const resource::FieldTree>> extra_trees;

  State(std::shared_ptr<Shared> s, std::shared_ptr<const SchemaSet> x, const resource::Registry& r)
      : shared(std::move(s)), extra(std::move(x)), defs(shared->base, extra), registry(r) {}
};

OpenApiService::OpenApiService(std::shared_ptr<State> state) : state_(std::move(state)) {}
OpenApiService::~OpenApiService() = default;

namespace {

std::shared_ptr<OpenApiService::State> Build(std::shared_ptr<OpenApiService::Shared> shared,
                                             std::shared_ptr<const SchemaSet> extra,
                                             const resource::Registry& registry) {
  auto st = std::make_shared<OpenApiService::State>(std::move(shared), std::move(extra), registry);
  json index = {{"paths", json::object()}};
  for (const auto& [key, kinds] : KindsByGroupVersion(registry)) {
    bool builtin = true;
    for (const auto* i : kinds) {
      builtin = builtin && !st->defs.IsExtra(st->defs.NameOf(i->group, i->version, i->kind)) &&
                !st->defs.IsExtra(st->defs.NameOf(i->group, i->version, i->ListKind()));
    }
    std::shared_ptr<const Doc> doc;
    const std::string sig = Signature(kinds);
    if (builtin) {
      std::lock_guard lock(st->shared->mu);
      auto it = st->shared->docs.find(key);
      if (it != st->shared->docs.end() && it->second.first == sig) doc = it->second.second;
    }
    if (!doc) {
      doc = MakeDoc(BuildGroupVersionV3(kinds.front()->group, kinds.front()->version, kinds, st->defs));
      if (builtin) {
        std::lock_guard lock(st->shared->mu);
        st->shared->docs[key] = {sig, doc};
      }
    }
    index["paths"][key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + doc->hash}};
    st->v3.emplace(key, std::move(doc));
  }
  st->index = index.dump();
  return st;
}

}  // namespace

Result<std::shared_ptr<OpenApiService>> OpenApiService::Create(const resource::Registry& registry,
                                                               const std::string& swagger_path) {
  std::ifstream in(swagger_path);
  if (!in) return Error::Make(ErrorCode::kInternal, "openapi: cannot read schema source " + swagger_path);
  std::stringstream ss;
  ss << in.rdbuf();
  json swagger = json::parse(ss.str(), nullptr, false);
  if (swagger.is_discarded()) return Error::Make(ErrorCode::kInternal, "openapi: " + swagger_path + " is not JSON");
  return FromSwagger(registry, swagger);
}

Result<std::shared_ptr<OpenApiService>> OpenApiService::FromSwagger(const resource::Registry& registry,
                                                                    const json& swagger) {
  auto defs = BuildDefinitions(swagger);
  if (!defs) return defs.error();
  auto shared = std::make_shared<Shared>();
  shared->base = std::make_shared<const SchemaSet>(std::move(*defs));
  return std::shared_ptr<OpenApiService>(
      new OpenApiService(Build(std::move(shared), std::make_shared<const SchemaSet>(), registry)));
}

std::shared_ptr<OpenApiService> OpenApiService::Rebuild(const resource::Registry& registry, json extra) const {
  return std::shared_ptr<OpenApiService>(
      new OpenApiService(Build(state_->shared, std::make_shared<const SchemaSet>(std::move(extra)), registry)));
}

std::optional<http::Response> OpenApiService::Handle(const http::Request& req) const {
  const std::string& path = req.path;
  if (path.rfind("/openapi/", 0) != 0) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") return Text(405, "method not allowed");
  const bool v2_protobuf =
      path == "/openapi/v2" && req.header("accept").find("com.github.proto-openapi.spec.v2") != std::string_view::npos;
  if (!v2_protobuf && !AcceptsJson(req.header("accept"))) {
    return Text(406, "only application/json is served for " + path);
  }
  auto serve = [&](const Doc& doc, bool addressed_by_hash, const char* type = "application/json") {
    http::Response r;
    const std::string etag = "\"" + doc.hash + "\"";
    r.headers.push_back({"etag", etag});
    r.headers.push_back({"vary", "Accept"});
    // A hash-addressed document never changes: clients may cache it for good.
    r.headers.push_back({"cache-control", addressed_by_hash ? "public, immutable" : "no-cache, private"});
    if (req.header("if-none-match") == etag) {
      r.status = 304;
      return r;
    }
    r.status = 200;
    r.headers.push_back({"content-type", type});
    if (req.method != "HEAD") r.body = doc.body;
    return r;
  };
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    http::Response r;
    r.status = 200;
    r.headers.push_back({"content-type", "application/json"});
    r.headers.push_back({"cache-control", "no-cache, private"});
    r.body = state_->index;
    return r;
  }
  if (path.rfind("/openapi/v3/", 0) == 0) {
    auto it = state_->v3.find(std::string_view(path).substr(sizeof("/openapi/v3/") - 1));
    if (it == state_->v3.end()) return Text(404, "404 page not found");
    std::string hash = QueryValue(req.query, "hash");
    if (!hash.empty() && hash != it->second->hash) {
      // A stale hash (the document changed since the index was read): send the client on.
      http::Response r;
      r.status = 301;
      r.headers.push_back({"location", "/openapi/v3/" + it->first + "?hash=" + it->second->hash});
      return r;
    }
    return serve(*it->second, !hash.empty());
  }
  if (path == "/openapi/v2") {
    State& st = *state_;
    std::call_once(st.v2_once, [&st] { st.v2 = MakeDoc(BuildOpenApiV2(st.registry, st.defs)); });
    if (v2_protobuf) {
      std::call_once(st.v2pb_once, [&st] {
        auto d = std::make_shared<Doc>();
        d->body = EncodeOpenApiV2Protobuf(json::parse(st.v2->body, nullptr, false));
        d->hash = Sha512Hex(d->body);
        st.v2pb = std::move(d);
      });
      return serve(*st.v2pb, false, kOpenApiV2ProtobufType);
    }
    return serve(*st.v2, false);
  }
  return Text(404, "404 page not found");
}

std::shared_ptr<const resource::FieldTree> OpenApiService::FieldTreeFor(std::string_view group,
                                                                        std::string_view version,
                                                                        std::string_view kind) const {
  State& st = *state_;
  const std::string name = st.defs.NameOf(group, version, kind);
  if (st.defs.Find(name) == nullptr) return nullptr;
  const DefinitionSource& defs = st.defs;
  resource::SchemaLookup lookup = [&defs](std::string_view ref) { return defs.Find(ref); };
  if (st.defs.IsExtra(name)) {
    std::lock_guard lock(st.mu);
    auto& slot = st.extra_trees[name];
    if (!slot) slot = resource::FieldTree::Compile(name, lookup, resource::FieldTree::Mode::kStructural);
    return slot;
  }
  {
    std::lock_guard lock(st.shared->mu);
    if (auto it = st.shared->trees.find(name); it != st.shared->trees.end()) return it->second;
  }
  // Compiled outside the lock (milliseconds for Pod); a concurrent duplicate is harmless.
  auto tree = resource::FieldTree::Compile(name, lookup, resource::FieldTree::Mode::kBuiltin);
  std::lock_guard lock(st.shared->mu);
  return st.shared->trees.emplace(name, std::move(tree)).first->second;
}

const json* OpenApiService::Definition(std::string_view name) const { return state_->defs.Find(name); }

std::vector<std::string> OpenApiService::GroupVersions() const {
  std::vector<std::string> out;
  for (const auto& [k, _] : state_->v3) out.push_back(k);
  return out;
}

std::string OpenApiService::GroupVersionDocument(std::string_view key) const {
  auto it = state_->v3.find(key);
  return it == state_->v3.end() ? "" : it->second->body;
}

}  // namespace vkube::apiserver
