#include "libs/http/http1_request.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace vkube::http {

void ConfigureParser(RequestParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  parser.body_limit(limits.max_body_bytes);
}

void SplitTarget(std::string_view target, std::string& path, std::string& query) {
  auto q = target.find('?');
  path.assign(target.substr(0, q));
  query.assign(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
}

Request FromBeast(boost::beast::http::request<boost::beast::http::string_body>&& req,
                  std::shared_ptr<const PeerInfo> peer) {
  Request out;
  out.method.assign(req.method_string());
  std::transform(out.method.begin(), out.method.end(), out.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  out.target.assign(req.target());
  SplitTarget(out.target, out.path, out.query);
  out.headers.reserve(16);
  for (const auto& f : req) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.push_back(Header{std::move(name), std::string(f.value())});
  }
  out.body = std::move(req.body());
  out.peer = std::move(peer);
  return out;
}

std::string StatusBody(int code, std::string_view reason, std::string_view message) {
  // Field order as kube-apiserver writes it (ordered_json keeps insertion order).
  nlohmann::ordered_json j;
  j["kind"] = "Status";
  j["apiVersion"] = "v1";
  j["metadata"] = nlohmann::ordered_json::object();
  j["status"] = "Failure";
  j["message"] = message;
  j["reason"] = reason;
  j["code"] = code;
  // A message may quote client bytes: never throw on invalid UTF-8.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace vkube::http
