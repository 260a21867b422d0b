#include "apiserver-proxy/request_info.h"

#include <vector>

namespace vkube::apiserver {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error Bad(std::string msg) { return Error::Make(ErrorCode::kBadRequest, std::move(msg)); }

}  // namespace

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || Hex(s[i + 1]) < 0 || Hex(s[i + 2]) < 0) return Bad("invalid URL escape");
      out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Result<Query> Query::Parse(std::string_view raw) {
  Query q;
  std::size_t start = 0;
  while (start < raw.size()) {
    auto amp = raw.find('&', start);
    auto pair = raw.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    start = amp == std::string_view::npos ? raw.size() : amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string val(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (auto* s : {&key, &val}) {
      for (char& c : *s) {
        if (c == '+') c = ' ';
      }
    }
    auto k = PercentDecode(key);
    auto v = PercentDecode(val);
    if (!k || !v) return Bad("invalid query string");
    q.values_.emplace(std::move(*k), std::move(*v));  // first value wins, like url.Values.Get
  }
  return q;
}

std::string_view Query::Get(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string_view() : std::string_view(it->second);
}

bool Query::Bool(std::string_view key) const {
  auto v = Get(key);
  return v == "1" || v == "true" || v == "True";
}

Result<RequestInfo> ParseRequestInfo(std::string_view method, std::string_view raw_path, const Query& query) {
  RequestInfo info;
  if (raw_path.empty() || raw_path.front() != '/') return Bad("request path must start with /");
  // Split on '/', decoding each segment on its own so an encoded '/' never creates a segment.
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= raw_path.size()) {
    auto slash = raw_path.find('/', start);
    auto seg = raw_path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    auto dec = PercentDecode(seg);
    if (!dec) return dec.take_error();
    if (dec->find('/') != std::string::npos || *dec == ".." || *dec == ".") {
      return Bad("invalid path segment");
    }
    if (dec->find('\0') != std::string::npos) return Bad("invalid path segment");
    parts.push_back(std::move(*dec));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // trailing slash
  for (const auto& p : parts) {
    if (p.empty()) return Bad("empty path segment");
  }
  info.path = "/";
  for (std::size_t i = 0; i < parts.size(); ++i) info.path += (i ? "/" : "") + parts[i];
  std::string lower_method(method);
  for (char& c : lower_method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  info.verb = lower_method;

  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = parts[0];
  std::size_t i = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 3) return info;  // /apis, /apis/GROUP: discovery
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    if (parts.size() < 2) return info;  // /api
    info.version = parts[1];
    i = 2;
  }
  if (parts.size() == i) return info;  // /api/v1, /apis/G/V: discovery
  info.is_resource_request = true;
  bool legacy_watch = false;
  if (parts[i] == "watch") {
    legacy_watch = true;
    ++i;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());
  if (rest.empty()) return Bad("missing resource");
  // /namespaces/NS/RES... ; but /namespaces and /namespaces/NAME[/status|finalize] are the namespace kind.
  if (rest[0] == "namespaces" && rest.size() >= 3) {
    info.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  info.resource = rest[0];
  if (rest.size() >= 2) info.name = rest[1];
  if (rest.size() >= 3) info.subresource = rest[2];
  if (rest.size() > 3) return Bad("too many path segments");

  if (legacy_watch) {
    info.verb = info.name.empty() ? "watch" : "watch";
  } else if (lower_method == "get" || lower_method == "head") {
    info.verb = info.name.empty() ? "list" : "get";
    if (query.Bool("watch")) info.verb = "watch";
  } else if (lower_method == "post") {
    info.verb = "create";
  } else if (lower_method == "put") {
    info.verb = "update";
  } else if (lower_method == "patch") {
    info.verb = "patch";
  } else if (lower_method == "delete") {
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  }
  return info;
}

}  // namespace vkube::apiserver
