#include "libs/resource/patch.h"

#include <algorithm>
#include <string>
#include <vector>

namespace vkube::resource {
namespace {

using nlohmann::json;
using Path = std::vector<std::string>;

bool IsContainerList(const std::string& f) {
  return f == "containers" || f == "initContainers" || f == "ephemeralContainers";
}

// Merge key of the list at `path` (field names from the object root, list indices omitted), "" when
// the list is atomic (replaced as a whole). Mirrors x-kubernetes-patch-merge-key of the built-ins.
std::string MergeKey(std::string_view kind, const Path& path) {
  if (path.empty()) return "";
  const std::string& f = path.back();
  if (IsContainerList(f) || f == "volumes" || f == "imagePullSecrets" || f == "env") return "name";
  if (f == "ports") {
    if (path.size() >= 2 && IsContainerList(path[path.size() - 2])) return "containerPort";
    if (kind == "Service" && path.size() == 2 && path[0] == "spec") return "port";
    return "";
  }
  if (f == "volumeMounts") return "mountPath";
  if (f == "volumeDevices") return "devicePath";
  if (f == "hostAliases") return "ip";
  if (f == "ownerReferences") return "uid";
  if (f == "conditions") return "type";
  if (f == "topologySpreadConstraints") return "topologyKey";
  return "";
}

bool IsMergedPrimitiveList(const Path& path) {
  return path.size() == 2 && path[0] == "metadata" && path[1] == "finalizers";
}

Error Bad(const std::string& msg) { return Error::Make(ErrorCode::kBadRequest, msg); }

Result<json> MergeValue(const json& doc, const json& patch, std::string_view kind, Path& path);

Result<json> MergeList(const json& doc, const json& patch, std::string_view kind, Path& path) {
  json base = doc.is_array() ? doc : json::array();
  const std::string key = MergeKey(kind, path);
  if (key.empty()) {
    if (IsMergedPrimitiveList(path)) {
      for (const auto& v : patch) {
        if (std::find(base.begin(), base.end(), v) == base.end()) base.push_back(v);
      }
      return base;
    }
    // Atomic list: drop directive items, replace.
    json out = json::array();
    for (const auto& v : patch) {
      if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
    }
    return out;
  }
  // A {"$patch":"replace"} item replaces the whole list with the other items.
  for (const auto& item : patch) {
    if (item.is_object() && item.value("$patch", "") == "replace") {
      json out = json::array();
      for (const auto& v : patch) {
        if (!(v.is_object() && v.contains("$patch"))) out.push_back(v);
      }
      return out;
    }
  }
  for (const auto& item : patch) {
    if (!item.is_object()) return Bad("strategic merge patch: list items at " + path.back() + " must be objects");
    auto kv = item.find(key);
    if (kv == item.end()) return Bad("map: " + item.dump() + " does not contain declared merge key: " + key);
    auto match = std::find_if(base.begin(), base.end(),
                              [&](const json& e) { return e.is_object() && e.contains(key) && e[key] == *kv; });
    const std::string directive = item.value("$patch", "");
    if (directive == "delete") {
      if (match != base.end()) base.erase(match);
      continue;
    }
    if (match == base.end()) {
      json clean = item;
      clean.erase("$patch");
      auto merged = MergeValue(json::object(), clean, kind, path);
      if (!merged) return merged;
      base.push_back(std::move(*merged));
    } else {
      auto merged = MergeValue(*match, item, kind, path);
      if (!merged) return merged;
      *match = std::move(*merged);
    }
  }
  return base;
}

void ApplyElementOrder(json& list, const json& order, const std::string& key) {
  if (!list.is_array() || !order.is_array()) return;
  json sorted = json::array();
  std::vector<bool> used(list.size(), false);
  for (const auto& o : order) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (used[i]) continue;
      bool same = key.empty() ? list[i] == o : (list[i].is_object() && o.is_object() && list[i].contains(key) &&
                                                o.contains(key) && list[i][key] == o[key]);
      if (same) {
        sorted.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!used[i]) sorted.push_back(list[i]);
  }
  list = std::move(sorted);
}

Result<json> MergeValue(const json& doc, const json& patch, std::string_view kind, Path& path) {
  if (!patch.is_object()) return patch;
  const std::string directive = patch.value("$patch", "");
  if (directive == "replace") {
    json out = patch;
    out.erase("$patch");
    return out;
  }
  if (directive == "delete") return json();  // caller removes
  json result = doc.is_object() ? doc : json::object();
  if (auto rk = patch.find("$retainKeys"); rk != patch.end() && rk->is_array()) {
    for (auto it = result.begin(); it != result.end();) {
      bool keep = std::find(rk->begin(), rk->end(), it.key()) != rk->end() || patch.contains(it.key());
      it = keep ? std::next(it) : result.erase(it);
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "$patch" || k == "$retainKeys" || k.rfind("$setElementOrder/", 0) == 0) continue;
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = k.substr(sizeof("$deleteFromPrimitiveList/") - 1);
      if (result.contains(field) && result[field].is_array() && v.is_array()) {
        json kept = json::array();
        for (const auto& e : result[field]) {
          if (std::find(v.begin(), v.end(), e) == v.end()) kept.push_back(e);
        }
        result[field] = std::move(kept);
      }
      continue;
    }
    if (v.is_null()) {
      result.erase(k);
      continue;
    }
    path.push_back(k);
    Result<json> merged = v;
    if (v.is_object()) {
      if (v.value("$patch", "") == "delete") {
        result.erase(k);
        path.pop_back();
        continue;
      }
      merged = MergeValue(result.contains(k) ? result[k] : json(), v, kind, path);
    } else if (v.is_array()) {
      merged = MergeList(result.contains(k) ? result[k] : json(), v, kind, path);
    }
    if (!merged) return merged;
    result[k] = std::move(*merged);
    path.pop_back();
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key().rfind("$setElementOrder/", 0) != 0) continue;
    std::string field = it.key().substr(sizeof("$setElementOrder/") - 1);
    if (!result.contains(field)) continue;
    path.push_back(field);
    ApplyElementOrder(result[field], it.value(), MergeKey(kind, path));
    path.pop_back();
  }
  return result;
}

}  // namespace

Result<json> ApplyJsonPatch(const json& doc, const json& patch) {
  if (!patch.is_array()) return Bad("json patch must be an array of operations");
  for (const auto& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op.contains("path")) {
      return Bad("json patch operation must have \"op\" and \"path\": " + op.dump());
    }
  }
  try {
    return doc.patch(patch);
  } catch (const json::exception& e) {
    return Error::Make(ErrorCode::kInvalid, std::string("the server rejected our request due to an error in our "
                                                        "request: ") + e.what());
  }
}

Result<json> ApplyMergePatch(const json& doc, const json& patch) {
  json out = doc;
  out.merge_patch(patch);
  return out;
}

Result<json> ApplyStrategicMergePatch(const json& doc, const json& patch, std::string_view group,
                                      std::string_view kind) {
  if (!patch.is_object()) return Bad("strategic merge patch must be a JSON object");
  Path path;
  return MergeValue(doc, patch, kind, path);
}

}  // namespace vkube::resource
