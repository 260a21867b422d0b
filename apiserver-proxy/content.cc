#include "apiserver-proxy/content.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "libs/http/content_coding.h"
#include "libs/resource/status.h"

namespace vkube::apiserver {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Negotiated NegotiateAccept(std::string_view accept) {
  Negotiated n;
  if (Trim(accept).empty()) return n;
  bool json_ok = false;
  std::size_t start = 0;
  bool first = true;
  while (start <= accept.size()) {
    auto comma = accept.find(',', start);
    std::string_view item = Trim(accept.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? accept.size() + 1 : comma + 1;
    auto semi = item.find(';');
    std::string_view type = Trim(item.substr(0, semi));
    std::string as, g, v;
    while (semi != std::string_view::npos) {
      auto next = item.find(';', semi + 1);
      std::string_view param = Trim(item.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1));
      auto eq = param.find('=');
      if (eq != std::string_view::npos) {
        std::string_view k = param.substr(0, eq), val = param.substr(eq + 1);
        if (k == "as") as = val;
        if (k == "g") g = val;
        if (k == "v") v = val;
      }
      semi = next;
    }
    bool is_json = type == "application/json" || type == "*/*" || type == "application/*" || type == "application/yaml";
    if (is_json && as.empty()) json_ok = true;
    if (type == "application/json" && as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1")) {
      if (!n.table && (first || !json_ok)) {
        n.table = true;
        n.table_version = v;
      }
    }
    first = false;
  }
  n.acceptable = json_ok || n.table;
  return n;
}

DiscoveryFormat NegotiateDiscovery(std::string_view accept, bool aggregated_allowed) {
  if (Trim(accept).empty()) return DiscoveryFormat::kLegacy;
  struct Candidate {
    DiscoveryFormat format;
    double q;
  };
  std::vector<Candidate> candidates;
  std::size_t start = 0;
  while (start <= accept.size()) {
    auto comma = accept.find(',', start);
    std::string_view item =
        Trim(accept.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? accept.size() + 1 : comma + 1;
    auto semi = item.find(';');
    std::string_view type = Trim(item.substr(0, semi));
    std::string_view as, g, v;
    double q = 1.0;
    while (semi != std::string_view::npos) {
      auto next = item.find(';', semi + 1);
      std::string_view param =
          Trim(item.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1));
      auto eq = param.find('=');
      if (eq != std::string_view::npos) {
        std::string_view k = Trim(param.substr(0, eq)), val = Trim(param.substr(eq + 1));
        if (k == "as") as = val;
        if (k == "g") g = val;
        if (k == "v") v = val;
        if (k == "q") q = std::strtod(std::string(val).c_str(), nullptr);
      }
      semi = next;
    }
    if (q <= 0) continue;
    if (as.empty()) {
      if (type == "application/json" || type == "*/*" || type == "application/*" || type == "application/yaml") {
        candidates.push_back({DiscoveryFormat::kLegacy, q});
      }
    } else if (aggregated_allowed && type == "application/json" && as == "APIGroupDiscoveryList" &&
               g == "apidiscovery.k8s.io") {
      if (v == "v2") candidates.push_back({DiscoveryFormat::kAggregatedV2, q});
      if (v == "v2beta1") candidates.push_back({DiscoveryFormat::kAggregatedV2Beta1, q});
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.q > b.q; });
  return candidates.empty() ? DiscoveryFormat::kNotAcceptable : candidates.front().format;
}

IncludeObject ParseIncludeObject(std::string_view v) {
  if (v == "None") return IncludeObject::kNone;
  if (v == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

nlohmann::json TableColumns(const resource::Kind& kind) {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : kind.strategy->Columns()) {
    cols.push_back({{"name", c.name}, {"type", c.type}, {"format", c.format}, {"description", c.description},
                    {"priority", c.priority}});
  }
  return cols;
}

nlohmann::json TableRow(const resource::Kind& kind, const nlohmann::json& obj, IncludeObject include, SystemTime now) {
  nlohmann::json row = {{"cells", kind.strategy->Cells(obj, now)}};
  if (include == IncludeObject::kObject) {
    row["object"] = obj;
  } else if (include == IncludeObject::kMetadata) {
    row["object"] = {{"kind", "PartialObjectMetadata"},
                     {"apiVersion", "meta.k8s.io/v1"},
                     {"metadata", obj.contains("metadata") ? obj["metadata"] : nlohmann::json::object()}};
  }
  return row;
}

nlohmann::json MakeTable(const std::string& version, nlohmann::json columns, nlohmann::json rows,
                         const std::string& resource_version, const std::string& cont, std::size_t remaining) {
  nlohmann::json meta = nlohmann::json::object();
  if (!resource_version.empty()) meta["resourceVersion"] = resource_version;
  if (!cont.empty()) meta["continue"] = cont;
  if (remaining > 0) meta["remainingItemCount"] = remaining;
  nlohmann::json t = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/" + version}, {"metadata", std::move(meta)}};
  t["columnDefinitions"] = columns.is_null() ? nlohmann::json::array() : std::move(columns);
  t["rows"] = std::move(rows);
  return t;
}

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.push_back({"content-type", "application/json"});
  r.body = std::move(body);
  return r;
}

http::Response CompressForClient(std::string_view accept_encoding, http::Response r) {
  if (r.body.size() < kGzipThresholdBytes || !http::AcceptsGzip(accept_encoding)) return r;
  for (const auto& h : r.headers) {
    if (h.name == "content-encoding") return r;
  }
  auto gz = http::GzipEncode(r.body);
  if (!gz) return r;  // identity is always acceptable
  r.body = std::move(*gz);
  r.headers.push_back({"content-encoding", "gzip"});
  r.headers.push_back({"vary", "Accept-Encoding"});
  return r;
}

http::Response ErrorResponse(const Error& error) {
  http::Response r = JsonResponse(HttpStatusOf(error.code), resource::StatusFromError(error).dump());
  if (error.details.retry_after_seconds > 0) {
    r.headers.push_back({"retry-after", std::to_string(error.details.retry_after_seconds)});
  }
  return r;
}

}  // namespace vkube::apiserver
