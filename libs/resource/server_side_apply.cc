#include "libs/resource/server_side_apply.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <tuple>
#include <unordered_map>

#include "libs/core/json_depth.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using Names = std::vector<std::string>;

Error BadRequestError(std::string msg) { return Error::Make(ErrorCode::kBadRequest, std::move(msg)); }

const json& MetaField(const json& obj, const char* field) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return kNull;
  auto f = m->find(field);
  return f == m->end() ? kNull : *f;
}

// ---- client-side apply handover (kube's lastAppliedManager and lastAppliedUpdater) ----

// Only `kubectl apply --server-side`'s own manager takes over from client-side apply; any other
// manager opts out, as in kube.
constexpr std::string_view kKubectlManager = "kubectl";
constexpr std::string_view kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
constexpr std::size_t kTotalAnnotationSizeLimit = 256 * 1024;

const std::string* LastAppliedOf(const json& obj) {
  const json& annotations = MetaField(obj, "annotations");
  if (!annotations.is_object()) return nullptr;
  auto it = annotations.find(kLastAppliedAnnotation);
  if (it == annotations.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// The fields client-side apply set that still hold the values it set: the server-side apply may
// take them over without a conflict (the user is moving the same manifest to --server-side).
FieldSet FieldsStillAsLastApplied(const json& live, const FieldManagedKind& kind) {
  const std::string* text = LastAppliedOf(live);
  if (text == nullptr || JsonNestsDeeperThan(*text)) return {};
  json last = json::parse(*text, nullptr, false);
  if (!last.is_object() || last.value("apiVersion", "") != kind.api_version) return {};
  const FieldComparison cmp = CompareObjects(last, live, *kind.schema);
  return FieldSet::FromObject(last, *kind.schema)
      .Difference(cmp.modified)
      .Difference(cmp.added)
      .Difference(cmp.removed);
}

// After a server-side apply by kubectl, an object that carries a last-applied-configuration gets
// the applied config there, so a later client-side `kubectl apply` diffs against what was applied
// last. Dropped when it would take the annotations over kube's 256 KiB total.
void UpdateLastApplied(json& obj, const json& config) {
  json applied = config;
  if (auto m = applied.find("metadata"); m != applied.end() && m->is_object()) {
    if (auto a = m->find("annotations"); a != m->end() && a->is_object()) {
      a->erase(std::string(kLastAppliedAnnotation));
      if (a->empty()) m->erase("annotations");
    }
  }
  json& annotations = obj["metadata"]["annotations"];
  annotations[std::string(kLastAppliedAnnotation)] = applied.dump() + "\n";  // Go's json.Encoder ends a line
  std::size_t total = 0;
  for (const auto& [k, v] : annotations.items())
    total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
  if (total > kTotalAnnotationSizeLimit) annotations.erase(std::string(kLastAppliedAnnotation));
}

// ---- merge ----

json MergeValue(const json* live, const json& config, const FieldSchema& schema, Names& names);

json MergeList(const json& live, const json& config, const FieldSchema& schema, Names& names) {
  ListType lt = schema.ListTypeAt(names);
  if (lt.kind == ListType::Kind::kAtomic) return config;
  std::vector<std::string> live_keys, config_keys;
  std::unordered_map<std::string, std::size_t> live_index, config_index;
  for (std::size_t i = 0; i < live.size(); ++i) {
    live_keys.push_back(ListItemElement(lt, live[i], i));
    live_index.emplace(live_keys.back(), i);
  }
  for (std::size_t i = 0; i < config.size(); ++i) {
    config_keys.push_back(ListItemElement(lt, config[i], i));
    config_index.emplace(config_keys.back(), i);
  }
  json out = json::array();
  std::unordered_map<std::string, bool> emitted;
  auto emit_config = [&](std::size_t ri) {
    const std::string& k = config_keys[ri];
    if (emitted[k]) return;
    emitted[k] = true;
    auto li = live_index.find(k);
    if (lt.kind == ListType::Kind::kMap && li != live_index.end()) {
      out.push_back(MergeValue(&live[li->second], config[ri], schema, names));
    } else {
      out.push_back(MergeValue(nullptr, config[ri], schema, names));
    }
  };
  std::size_t li = 0, ri = 0;
  while (li < live.size() || ri < config.size()) {
    if (li < live.size()) {
      const std::string& k = live_keys[li];
      if (!config_index.contains(k)) {
        if (!emitted[k]) out.push_back(live[li]);
        emitted[k] = true;
        ++li;
        continue;
      }
      if (emitted[k]) {
        ++li;
        continue;
      }
    }
    if (ri < config.size()) {
      emit_config(ri++);
      continue;
    }
    ++li;
  }
  return out;
}

json MergeValue(const json* live, const json& config, const FieldSchema& schema, Names& names) {
  if (config.is_object() && (names.empty() || !schema.IsAtomicMap(names))) {
    json out = live != nullptr && live->is_object() ? *live : json::object();
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (it.value().is_null()) {
        out.erase(it.key());
        continue;
      }
      auto cur = out.find(it.key());
      const json* l = cur == out.end() ? nullptr : &*cur;
      names.push_back(it.key());
      json merged = MergeValue(l, it.value(), schema, names);
      names.pop_back();
      out[it.key()] = std::move(merged);
    }
    return out;
  }
  if (config.is_array() && live != nullptr && live->is_array()) return MergeList(*live, config, schema, names);
  if (config.is_array() || config.is_object()) {
    // Nothing to merge with: still drop nulls inside maps of the config.
    json empty = config.is_array() ? json::array() : json::object();
    if (config.is_array()) return MergeList(empty, config, schema, names);
    return config;
  }
  return config;
}

void RemoveIn(json& v, const FieldSet& set, const FieldSchema& schema, Names& names) {
  for (const auto& [e, child] : set.children()) {
    if (e.size() < 2) continue;
    if (e[0] == 'f') {
      if (!v.is_object()) continue;
      std::string key = e.substr(2);
      auto it = v.find(key);
      if (it == v.end()) continue;
      if (child.member()) {
        v.erase(it);
        continue;
      }
      names.push_back(key);
      RemoveIn(*it, child, schema, names);
      names.pop_back();
      continue;
    }
    if (!v.is_array()) continue;
    ListType lt = schema.ListTypeAt(names);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (ListItemElement(lt, v[i], i) != e) continue;
      if (child.member()) {
        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        RemoveIn(v[i], child, schema, names);
      }
      break;
    }
  }
}

// ---- managedFields ----

std::string PrintManager(const ManagedFieldsEntry& e) {
  std::string s = json(e.manager).dump();
  if (!e.subresource.empty()) s += " with subresource " + json(e.subresource).dump();
  if (e.operation == kOperationUpdate) s += " using " + e.api_version;
  return s;
}

// kube's manager identifier (the JSON of an entry without fields and time), for ordering.
// (Go's field order: manager, operation, apiVersion, subresource.)
std::string ManagerIdentifier(const ManagedFieldsEntry& e) {
  std::string id = "{\"manager\":" + json(e.manager).dump() + ",\"operation\":" + json(e.operation).dump();
  if (e.operation != kOperationApply) id += ",\"apiVersion\":" + json(e.api_version).dump();
  if (!e.subresource.empty()) id += ",\"subresource\":" + json(e.subresource).dump();
  return id + "}";
}

ManagedFieldsEntry& FindOrAdd(ManagedFields& m, const ManagedFieldsEntry& probe) {
  for (auto& e : m.entries) {
    if (e.SameManager(probe)) return e;
  }
  m.entries.push_back(probe);
  return m.entries.back();
}

void DropEmpty(ManagedFields& m) {
  std::erase_if(m.entries, [](const ManagedFieldsEntry& e) { return e.fields.empty(); });
}

// kube's capManagersManager: beyond 10 Update managers the oldest ones (by time, then name) are
// folded, per apiVersion, into one "ancient-changes" Update entry holding the union of their
// fields and the time of the last one folded in, so managedFields cannot grow without bound.
void CapUpdateManagers(ManagedFields& m) {
  constexpr std::size_t kMaxUpdateManagers = 10;
  constexpr const char* kBucket = "ancient-changes";
  std::vector<std::size_t> updaters;
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    if (m.entries[i].operation == kOperationUpdate) updaters.push_back(i);
  }
  if (updaters.size() <= kMaxUpdateManagers) return;
  std::stable_sort(updaters.begin(), updaters.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(m.entries[a].time, m.entries[a].manager) < std::tie(m.entries[b].time, m.entries[b].manager);
  });
  std::vector<bool> folded(m.entries.size(), false);
  std::size_t count = updaters.size();
  for (std::size_t k = 0; k < updaters.size() && count > kMaxUpdateManagers; ++k) {
    ManagedFieldsEntry& e = m.entries[updaters[k]];
    if (e.manager == kBucket && e.subresource.empty()) continue;
    ManagedFieldsEntry* bucket = nullptr;
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
      ManagedFieldsEntry& b = m.entries[i];
      if (!folded[i] && b.manager == kBucket && b.operation == kOperationUpdate && b.subresource.empty() &&
          b.api_version == e.api_version) {
        bucket = &b;
      }
    }
    if (bucket == nullptr) {  // the entry becomes its version's bucket: one updater fewer only later
      e.manager = kBucket;
      e.subresource.clear();
      continue;
    }
    bucket->fields = bucket->fields.Union(e.fields);
    bucket->time = e.time;
    folded[updaters[k]] = true;
    --count;
  }
  std::vector<ManagedFieldsEntry> kept;
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    if (!folded[i]) kept.push_back(std::move(m.entries[i]));
  }
  m.entries = std::move(kept);
}

void WriteManagedFields(json& obj, ManagedFields m) {
  if (!obj.is_object()) return;
  CapUpdateManagers(m);
  json& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (m.entries.empty()) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = m.Encode();
  }
}

Error ConflictError(const std::vector<std::pair<const ManagedFieldsEntry*, FieldSet>>& conflicts) {
  struct One {
    std::string id;
    std::string printed;
    std::string path;
  };
  std::vector<One> all;
  for (const auto& [entry, set] : conflicts) {
    for (const auto& p : set.Members())
      all.push_back({ManagerIdentifier(*entry), PrintManager(*entry), FieldSet::PathString(p)});
  }
  std::stable_sort(all.begin(), all.end(), [](const One& a, const One& b) { return a.id < b.id; });
  std::string message;
  if (all.size() == 1) {
    message = "Apply failed with 1 conflict: conflict with " + all[0].printed + ": " + all[0].path;
  } else {
    message = "Apply failed with " + std::to_string(all.size()) + " conflicts: ";
    std::string last_id;
    bool first = true;
    for (const auto& c : all) {
      if (first || c.id != last_id) {
        if (!first) message += "\n";
        message += "conflict with " + c.printed + ":";
        last_id = c.id;
      }
      message += "\n- " + c.path;
      first = false;
    }
  }
  Error e = Error::Make(ErrorCode::kConflict, std::move(message));
  for (const auto& c : all) e.details.causes.push_back({"FieldManagerConflict", "conflict with " + c.printed, c.path});
  return e;
}

bool IsPlainNull(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> PlainBool(const std::string& s) {
  static const char* const kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static const char* const kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  for (const char* t : kTrue) {
    if (s == t) return true;
  }
  for (const char* f : kFalse) {
    if (s == f) return false;
  }
  return std::nullopt;
}

std::optional<json> PlainNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::string t;
  t.reserve(s.size());
  for (char c : s) {
    if (c != '_') t.push_back(c);
  }
  const char* begin = t.c_str();
  char* end = nullptr;
  bool integer = true;
  std::size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
  if (i >= t.size()) return std::nullopt;
  if (t.compare(i, 2, "0x") == 0) {
    errno = 0;
    long long v = std::strtoll(begin, &end, 16);
    if (errno == 0 && end != nullptr && *end == '\0') return json(v);
    return std::nullopt;
  }
  bool digits = false;
  for (std::size_t j = i; j < t.size(); ++j) {
    char c = t[j];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' || c == 'e' || c == 'E' || ((c == '-' || c == '+') && (t[j - 1] == 'e' || t[j - 1] == 'E'))) {
      integer = false;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  errno = 0;
  if (integer) {
    long long v = std::strtoll(begin, &end, 10);
    if (errno == 0 && end != nullptr && *end == '\0') return json(v);
  }
  errno = 0;
  double d = std::strtod(begin, &end);
  if (errno == 0 && end != nullptr && *end == '\0') return json(d);
  return std::nullopt;
}

json YamlToJson(const YAML::Node& n, int depth) {
  if (depth > 10000) throw YAML::Exception(YAML::Mark::null_mark(), "document too deeply nested");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      const std::string& tag = n.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") return s;
      if (tag == "?" || tag.empty()) {
        if (IsPlainNull(s)) return nullptr;
        if (auto b = PlainBool(s)) return *b;
        if (auto num = PlainNumber(s)) return *num;
      }
      return s;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(YamlToJson(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) {
        // Keys stay as written (sigs.k8s.io/yaml would turn a key `on:` into "true").
        std::string k = kv.first.IsScalar() ? kv.first.Scalar() : YamlToJson(kv.first, depth + 1).dump();
        out[k] = YamlToJson(kv.second, depth + 1);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

bool ManagedFieldsEntry::SameManager(const ManagedFieldsEntry& o) const {
  if (manager != o.manager || operation != o.operation || subresource != o.subresource) return false;
  return operation == kOperationApply || api_version == o.api_version;
}

Result<ManagedFields> ManagedFields::Decode(const json& managed_fields) {
  ManagedFields out;
  if (managed_fields.is_null()) return out;
  if (!managed_fields.is_array()) return BadRequestError("metadata.managedFields must be a list");
  for (std::size_t i = 0; i < managed_fields.size(); ++i) {
    const json& e = managed_fields[i];
    if (!e.is_object()) return BadRequestError("managed fields entry " + std::to_string(i) + " must be an object");
    ManagedFieldsEntry entry;
    entry.operation = e.value("operation", "");
    if (entry.operation != kOperationApply && entry.operation != kOperationUpdate) {
      return BadRequestError("operation must be `Apply` or `Update`");
    }
    entry.api_version = e.value("apiVersion", "");
    if (entry.api_version.empty()) return BadRequestError("apiVersion must not be empty");
    const std::string type = e.value("fieldsType", "");
    if (type.empty()) return BadRequestError("missing fieldsType in managed fields entry " + std::to_string(i));
    if (type != "FieldsV1") {
      return BadRequestError("invalid fieldsType \"" + type + "\" in managed fields entry " + std::to_string(i));
    }
    entry.manager = e.value("manager", "");
    entry.subresource = e.value("subresource", "");
    if (auto t = e.find("time"); t != e.end() && t->is_string()) entry.time = t->get<std::string>();
    if (auto f = e.find("fieldsV1"); f != e.end() && !f->is_null()) {
      auto set = FieldSet::FromFieldsV1(*f);
      if (!set) return set.take_error();
      entry.fields = std::move(*set);
      if (entry.fields.member() && entry.fields.children().empty()) entry.fields = FieldSet();  // {} = no fields
    }
    bool merged = false;
    for (auto& prev : out.entries) {
      if (prev.SameManager(entry)) {
        prev.fields = prev.fields.Union(entry.fields);
        merged = true;
        break;
      }
    }
    if (!merged) out.entries.push_back(std::move(entry));
  }
  return out;
}

json ManagedFields::Encode() const {
  std::vector<const ManagedFieldsEntry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const ManagedFieldsEntry* p, const ManagedFieldsEntry* q) {
    return std::tie(p->operation, p->time, p->manager, p->api_version, p->subresource) <
           std::tie(q->operation, q->time, q->manager, q->api_version, q->subresource);
  });
  json out = json::array();
  for (const auto* e : sorted) {
    json j = {{"manager", e->manager},
              {"operation", e->operation},
              {"apiVersion", e->api_version},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1", e->fields.ToFieldsV1()}};
    if (!e->time.empty()) j["time"] = e->time;
    if (!e->subresource.empty()) j["subresource"] = e->subresource;
    out.push_back(std::move(j));
  }
  return out;
}

bool IsManagedFieldsReset(const json& managed_fields) {
  if (!managed_fields.is_array() || managed_fields.empty()) return false;
  for (const auto& e : managed_fields) {
    if (!(e.is_object() && e.empty())) return false;
  }
  return true;
}

FieldSet IgnoredFields(const FieldManagedKind& kind, std::string_view subresource, const json& old_obj,
                       const json& new_obj) {
  FieldSet ignored;
  ignored.Insert({"f:apiVersion"});
  ignored.Insert({"f:kind"});
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink",
                        "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    ignored.Insert({"f:metadata", std::string("f:") + f});
  }
  if (subresource == "status") {
    for (const json* o : {&old_obj, &new_obj}) {
      if (!o->is_object()) continue;
      for (auto it = o->begin(); it != o->end(); ++it) {
        if (it.key() != "status") ignored.Insert({"f:" + it.key()});
      }
    }
  } else if (kind.has_status) {
    ignored.Insert({"f:status"});
  }
  return ignored;
}

namespace {

// Whether a fieldsV1 tree and a set share a member (without decoding the tree).
bool V1Intersects(const json& v1, const FieldSet& set) {
  if (!v1.is_object()) return false;
  for (const auto& [e, child] : set.children()) {
    auto it = v1.find(e);
    if (it == v1.end() || !it->is_object()) continue;
    const bool member = it->empty() || it->contains(".");
    if (child.member() && member) return true;
    if (V1Intersects(*it, child)) return true;
  }
  return false;
}

std::string Str(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ManagedFieldsEntry HeaderOf(const json& e) {
  return ManagedFieldsEntry{Str(e, "manager"), Str(e, "operation"),   Str(e, "apiVersion"),
                            Str(e, "time"),    Str(e, "subresource"), FieldSet()};
}

json EncodeEntry(const ManagedFieldsEntry& e) {
  ManagedFields one;
  one.entries.push_back(e);
  return one.Encode()[0];
}

}  // namespace

// Entries the write does not touch keep their stored JSON: a controller's status write decodes
// and re-encodes only its own entry (and those of managers whose fields it changed).
void UpdateManagedFields(const json& old_obj, json& new_obj, std::string_view manager, std::string_view subresource,
                         const FieldManagedKind& kind, std::string_view now) {
  if (!new_obj.is_object() || kind.schema == nullptr) return;
  const json& requested = MetaField(new_obj, "managedFields");
  const json& live = MetaField(old_obj, "managedFields");
  json source = json::array();  // valid entries, as stored
  if (!IsManagedFieldsReset(requested)) {
    bool from_request = false;
    if (subresource.empty() && requested.is_array() && !requested.empty() && requested != live) {
      auto decoded = ManagedFields::Decode(requested);
      if (decoded && !decoded->entries.empty()) {
        source = decoded->Encode();
        from_request = true;
      }
    }
    if (!from_request && live.is_array() && !live.empty()) {
      if (live == requested) {
        source = live;  // our own writing: trusted
      } else if (auto decoded = ManagedFields::Decode(live); decoded) {
        source = decoded->Encode();  // undecodable live fields start over, as kube does
      }
    }
  }
  const FieldSet ignored = IgnoredFields(kind, subresource, old_obj, new_obj);
  const FieldComparison cmp = CompareObjects(old_obj, new_obj, *kind.schema, &ignored);
  if (!cmp.empty()) {
    const FieldSet changed = cmp.added.Union(cmp.modified);
    const FieldSet touched = changed.Union(cmp.removed);
    ManagedFieldsEntry self{std::string(manager),     std::string(kOperationUpdate),
                            kind.api_version,         "",
                            std::string(subresource), FieldSet()};
    bool found = false;
    json next = json::array();
    for (auto& e : source) {
      ManagedFieldsEntry h = HeaderOf(e);
      const bool mine = h.SameManager(self);
      if (!mine && !V1Intersects(e["fieldsV1"], touched)) {
        next.push_back(std::move(e));
        continue;
      }
      auto fields = FieldSet::FromFieldsV1(e["fieldsV1"]);
      if (fields) h.fields = std::move(*fields);
      if (h.fields.member() && h.fields.children().empty()) h.fields = FieldSet();
      if (mine) {
        found = true;
        h.fields = h.fields.Difference(cmp.removed).Union(changed);
        if (!changed.empty()) h.time = std::string(now);
      } else {
        h.fields = h.fields.Difference(changed).Difference(cmp.removed);
      }
      if (!h.fields.empty()) next.push_back(EncodeEntry(h));
    }
    if (!found && !changed.empty()) {
      self.fields = changed;
      self.time = std::string(now);
      next.push_back(EncodeEntry(self));
    }
    std::stable_sort(next.begin(), next.end(), [](const json& p, const json& q) {
      const ManagedFieldsEntry a = HeaderOf(p), b = HeaderOf(q);
      return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
             std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
    });
    source = std::move(next);
    const auto updates = std::count_if(source.begin(), source.end(),
                                       [](const json& e) { return Str(e, "operation") == kOperationUpdate; });
    if (updates > 10) {  // rare: decode to fold the oldest (CapUpdateManagers)
      if (auto decoded = ManagedFields::Decode(source); decoded) {
        CapUpdateManagers(*decoded);
        source = decoded->Encode();
      }
    }
  }
  json& meta = new_obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (source.empty()) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = std::move(source);
  }
}

json MergeForApply(const json& live, const json& config, const FieldSchema& schema) {
  Names names;
  return MergeValue(&live, config, schema, names);
}

void RemoveFields(json& obj, const FieldSet& set, const FieldSchema& schema) {
  Names names;
  RemoveIn(obj, set, schema, names);
}

Result<json> ServerSideApply(const json& live, const json& config, std::string_view manager, bool force,
                             std::string_view subresource, const FieldManagedKind& kind, std::string_view now) {
  if (!config.is_object()) return BadRequestError("error decoding YAML: the apply patch must be an object");
  if (kind.schema == nullptr) return Error::Make(ErrorCode::kInternal, "no schema for server-side apply");
  const std::string version = config.value("apiVersion", "");
  if (version != kind.api_version) {
    return BadRequestError("Incorrect version specified in apply patch. Specified patch version: " + version +
                           ", expected: " + kind.api_version);
  }
  const json& config_mf = MetaField(config, "managedFields");
  if (!config_mf.is_null()) return BadRequestError("metadata.managedFields must be nil");

  const bool exists = live.is_object();
  json base = exists ? live : json::object();
  auto decoded = ManagedFields::Decode(MetaField(base, "managedFields"));
  if (!decoded) {
    return Error::Make(ErrorCode::kInternal, "failed to decode managed fields: " + decoded.error().message);
  }
  ManagedFields managed = std::move(*decoded);
  if (exists && base["metadata"].is_object()) base["metadata"].erase("managedFields");

  json merged_config = config;
  const FieldSet ignored = IgnoredFields(kind, subresource, base, config);
  const FieldSet applied = FieldSet::FromObject(config, *kind.schema, &ignored);
  json merged = MergeForApply(base, merged_config, *kind.schema);

  ManagedFieldsEntry self{
      std::string(manager), std::string(kOperationApply), kind.api_version, "", std::string(subresource), FieldSet()};
  FieldSet last;
  FieldSet owned_by_all = applied;
  for (const auto& e : managed.entries) {
    if (e.SameManager(self)) {
      last = e.fields;
    } else {
      owned_by_all = owned_by_all.Union(e.fields);
    }
  }
  // Fields this manager applied before and applies no more, and nobody else owns, go away.
  if (!last.empty()) {
    FieldSet gone = last.WithPrefixesAsMembers().Difference(owned_by_all.WithPrefixesAsMembers());
    gone = gone.RecursiveDifference(ignored);
    FieldSet never;  // the object's metadata itself is never removed
    never.Insert({"f:metadata"});
    gone = gone.Difference(never);
    RemoveFields(merged, gone, *kind.schema);
  }

  const FieldSet ignored_after = IgnoredFields(kind, subresource, base, merged);
  const FieldComparison cmp = CompareObjects(base, merged, *kind.schema, &ignored_after);
  const FieldSet changed = cmp.added.Union(cmp.modified);
  std::vector<std::pair<const ManagedFieldsEntry*, FieldSet>> conflicts;
  for (const auto& e : managed.entries) {
    if (e.SameManager(self)) continue;
    FieldSet c = e.fields.Intersection(changed);
    if (!c.empty()) conflicts.emplace_back(&e, std::move(c));
  }
  if (!force && !conflicts.empty() && manager == kKubectlManager) {
    const FieldSet allowed = FieldsStillAsLastApplied(base, kind);
    std::erase_if(conflicts, [&](auto& c) {
      c.second = c.second.Difference(allowed);
      return c.second.empty();
    });
  }
  if (!force && !conflicts.empty()) return ConflictError(conflicts);
  for (auto& e : managed.entries) {
    if (e.SameManager(self)) continue;
    e.fields = e.fields.Difference(changed).Difference(cmp.removed);
  }
  const bool known = std::any_of(managed.entries.begin(), managed.entries.end(),
                                 [&](const ManagedFieldsEntry& e) { return e.SameManager(self); });
  ManagedFieldsEntry& mine = FindOrAdd(managed, self);
  mine.fields = applied;
  mine.api_version = kind.api_version;
  if (!known || !cmp.empty() || mine.time.empty()) mine.time = std::string(now);
  DropEmpty(managed);
  WriteManagedFields(merged, managed);
  if (manager == kKubectlManager && LastAppliedOf(base) != nullptr) UpdateLastApplied(merged, config);
  return merged;
}

Result<json> ParseApplyPatchBody(std::string_view body) {
  if (JsonNestsDeeperThan(body)) return BadRequestError("json: exceeded max depth");
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded()) return j;
  try {
    YAML::Node root = YAML::Load(std::string(body));
    return YamlToJson(root, 0);
  } catch (const YAML::Exception& e) {
    return BadRequestError(std::string("error decoding YAML: ") + e.what());
  }
}

std::string FieldManagerFromUserAgent(std::string_view user_agent) {
  std::string_view m = user_agent.substr(0, user_agent.find('/'));
  if (m.size() > 128) m = m.substr(0, 128);
  return std::string(m);
}

}  // namespace vkube::resource
