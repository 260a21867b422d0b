#include "apiserver-proxy/openapi/openapi_service.h"

#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "apiserver-proxy/openapi/openapi_builder.h"

namespace vkube::apiserver {
namespace {

using nlohmann::json;

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
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

class OpenApiServiceImpl final : public OpenApiService {
 public:
  OpenApiServiceImpl(std::map<std::string, Doc> v3, std::string index, std::string v2)
      : v3_(std::move(v3)), index_(std::move(index)), v2_(std::move(v2)) {}

  std::optional<http::Response> Handle(const http::Request& req) const override {
    const std::string& path = req.path;
    if (path == "/openapi/v3" || path == "/openapi/v3/") return Json(index_, "");
    if (path.rfind("/openapi/v3/", 0) == 0) {
      auto it = v3_.find(path.substr(sizeof("/openapi/v3/") - 1));
      if (it == v3_.end()) return NotFound();
      return Json(it->second.body, it->second.hash);
    }
    if (path == "/openapi/v2") {
      std::string_view accept = req.header("accept");
      bool json_ok = accept.empty() || accept.find("application/json") != std::string_view::npos ||
                     accept.find("*/*") != std::string_view::npos;
      if (!json_ok) {
        http::Response r;
        r.status = 406;
        r.headers.push_back({"content-type", "text/plain"});
        r.body = "only application/json is served for /openapi/v2";
        return r;
      }
      return Json(v2_, "");
    }
    if (path.rfind("/openapi/", 0) == 0) return NotFound();
    return std::nullopt;
  }

 private:
  static http::Response Json(const std::string& body, const std::string& hash) {
    http::Response r;
    r.status = 200;
    r.headers.push_back({"content-type", "application/json"});
    if (!hash.empty()) {
      r.headers.push_back({"etag", "\"" + hash + "\""});
      // Documents are addressed by hash: immutable while the process runs.
      r.headers.push_back({"cache-control", "public, immutable"});
    }
    r.body = body;
    return r;
  }
  static http::Response NotFound() {
    http::Response r;
    r.status = 404;
    r.headers.push_back({"content-type", "text/plain"});
    r.body = "404 page not found";
    return r;
  }

  std::map<std::string, Doc> v3_;
  std::string index_;
  std::string v2_;
};

}  // namespace

Result<std::shared_ptr<OpenApiService>> OpenApiService::Create(const resource::Registry& registry,
                                                               const std::string& swagger_path) {
  std::ifstream in(swagger_path);
  if (!in) return Error::Make(ErrorCode::kInternal, "openapi: cannot read schema source " + swagger_path);
  std::stringstream ss;
  ss << in.rdbuf();
  json swagger = json::parse(ss.str(), nullptr, false);
  if (!swagger.is_object() || !swagger.contains("definitions")) {
    return Error::Make(ErrorCode::kInternal, "openapi: " + swagger_path + " is not an OpenAPI v2 document");
  }
  auto docs = BuildOpenApiV3(registry, swagger["definitions"]);
  std::map<std::string, Doc> v3;
  json index = {{"paths", json::object()}};
  for (auto& [gv, doc] : docs) {
    std::string body = doc.dump();
    std::string hash = Sha256Hex(body);
    index["paths"][gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hash}};
    v3[gv] = Doc{std::move(body), std::move(hash)};
  }
  json v2 = {{"swagger", "2.0"},
             {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
             {"paths", json::object()},
             {"definitions", swagger["definitions"]}};
  return std::shared_ptr<OpenApiService>(new OpenApiServiceImpl(std::move(v3), index.dump(), v2.dump()));
}

}  // namespace vkube::apiserver
