#include "libs/resource/field_set.h"

#include <algorithm>
#include <unordered_map>

namespace vkube::resource {
namespace {

using nlohmann::json;
using Names = std::vector<std::string>;

bool IsContainerList(std::string_view f) {
  return f == "containers" || f == "initContainers" || f == "ephemeralContainers";
}

ListType MapList(std::vector<std::string> keys, json defaults = json()) {
  return ListType{ListType::Kind::kMap, std::move(keys), std::move(defaults)};
}
ListType SetList() { return ListType{ListType::Kind::kSet, {}, json()}; }
ListType AtomicList() { return ListType{}; }

// metadata lists, the same for every kind (ObjectMeta).
bool MetadataListType(const Names& path, ListType& out) {
  if (path.size() != 2 || path[0] != "metadata") return false;
  if (path[1] == "finalizers") {
    out = SetList();
  } else if (path[1] == "ownerReferences") {
    out = MapList({"uid"});
  } else {
    out = AtomicList();
  }
  return true;
}

class BuiltinSchema final : public FieldSchema {
 public:
  BuiltinSchema(std::string group, std::string kind) : group_(std::move(group)), kind_(std::move(kind)) {}

  ListType ListTypeAt(const Names& path) const override {
    ListType meta;
    if (MetadataListType(path, meta)) return meta;
    if (path.empty()) return AtomicList();
    const std::string& f = path.back();
    const std::string_view parent = path.size() >= 2 ? std::string_view(path[path.size() - 2]) : std::string_view();
    if (IsContainerList(f)) return MapList({"name"});
    if (f == "ports") {
      if (IsContainerList(parent)) return MapList({"containerPort", "protocol"}, json{{"protocol", "TCP"}});
      if (kind_ == "Service" && group_.empty() && path.size() == 2 && path[0] == "spec") {
        return MapList({"port", "protocol"}, json{{"protocol", "TCP"}});
      }
      return AtomicList();
    }
    if (f == "env" || f == "volumes" || f == "imagePullSecrets" || f == "schedulingGates" || f == "webhooks" ||
        f == "matchConditions" || f == "allocatedResourcesStatus" || f == "resourceClaimStatuses") {
      return MapList({"name"});
    }
    if (f == "resourceClaims" && parent == "spec") return MapList({"name"});
    if (f == "claims" && parent == "resources") return MapList({"name"});
    if (f == "volumeMounts") return MapList({"mountPath"});
    if (f == "volumeDevices") return MapList({"devicePath"});
    if (f == "hostAliases" || f == "podIPs") return MapList({"ip"});
    if (f == "topologySpreadConstraints") return MapList({"topologyKey", "whenUnsatisfiable"});
    if (f == "conditions") {
      if (group_ == "batch" && kind_ == "Job") return AtomicList();
      return MapList({"type"});
    }
    if (f == "addresses") {
      if (kind_ == "Node" && parent == "status") return MapList({"type"});
      if (kind_ == "EndpointSlice") return SetList();
      return AtomicList();
    }
    if (f == "podCIDRs" || f == "volumeLifecycleModes") return SetList();
    if ((f == "failed" || f == "succeeded") && parent == "uncountedTerminatedPods") return SetList();
    return AtomicList();
  }

  bool IsAtomicMap(const Names& path) const override {
    if (path.empty()) return false;
    const std::string& f = path.back();
    if (f == "selector") return path.size() >= 2 && path[path.size() - 2] == "spec";  // LabelSelector, Service's map
    static const char* const kAtomic[] = {
        "nodeSelector",  "podSelector",      "namespaceSelector",
        "labelSelector", "configMapKeyRef",  "secretKeyRef",
        "fieldRef",      "resourceFieldRef", "involvedObject",
        "targetRef",     "claimRef",         "dataSource",
        "dataSourceRef", "configMapRef",     "secretRef",
        "regarding",     "related",          "requiredDuringSchedulingIgnoredDuringExecution"};
    if (f == "requiredDuringSchedulingIgnoredDuringExecution") {
      return path.size() >= 2 && path[path.size() - 2] == "nodeAffinity";  // NodeSelector; pod affinity's is a list
    }
    for (const char* a : kAtomic) {
      if (f == a) return true;
    }
    return false;
  }

  bool IsAlwaysPresent(const Names& path) const override {
    if (path.empty()) return true;
    const std::string& f = path.back();
    if (path.size() == 1) return f == "metadata" || f == "spec" || f == "status";
    const std::string& parent = path[path.size() - 2];
    if ((f == "metadata" || f == "spec") && (parent == "template" || parent == "jobTemplate")) return true;
    return f == "template" || f == "strategy" || f == "updateStrategy" || f == "jobTemplate" || f == "resources" ||
           f == "containers";
  }

 private:
  std::string group_;
  std::string kind_;
};

// A CRD's structural schema: list and map types from its x-kubernetes-* extensions.
class CustomSchema final : public FieldSchema {
 public:
  explicit CustomSchema(json schema) : schema_(std::move(schema)), meta_("", "") {}

  ListType ListTypeAt(const Names& path) const override {
    if (!path.empty() && path[0] == "metadata") return meta_.ListTypeAt(path);
    const json* node = Resolve(path);
    if (node == nullptr) return AtomicList();
    const std::string type = node->value("x-kubernetes-list-type", "");
    if (type == "set") return SetList();
    if (type == "map") {
      std::vector<std::string> keys;
      json defaults = json::object();
      const json& items = Items(*node);
      if (auto k = node->find("x-kubernetes-list-map-keys"); k != node->end() && k->is_array()) {
        for (const auto& key : *k) {
          if (!key.is_string()) continue;
          keys.push_back(key.get<std::string>());
          const json* prop = Property(items, keys.back());
          if (prop != nullptr && prop->contains("default")) defaults[keys.back()] = (*prop)["default"];
        }
      }
      if (!keys.empty()) return MapList(std::move(keys), std::move(defaults));
    }
    return AtomicList();
  }

  bool IsAtomicMap(const Names& path) const override {
    if (!path.empty() && path[0] == "metadata") return meta_.IsAtomicMap(path);
    const json* node = Resolve(path);
    return node != nullptr && node->value("x-kubernetes-map-type", "") == "atomic";
  }

  // Custom resources are unstructured: only metadata is always there.
  bool IsAlwaysPresent(const Names& path) const override {
    return path.empty() || (path[0] == "metadata" && meta_.IsAlwaysPresent(path));
  }

 private:
  static const json& Items(const json& node) {
    static const json kNull;
    if (!node.is_object()) return kNull;
    auto it = node.find("items");
    return it == node.end() ? kNull : *it;
  }
  static const json* Property(const json& node, const std::string& name) {
    if (!node.is_object()) return nullptr;
    if (auto p = node.find("properties"); p != node.end() && p->is_object()) {
      if (auto f = p->find(name); f != p->end()) return &*f;
    }
    if (auto a = node.find("additionalProperties"); a != node.end() && a->is_object()) return &*a;
    return nullptr;
  }
  const json* Resolve(const Names& path) const {
    if (!schema_.is_object()) return nullptr;
    const json* node = &schema_;
    for (const auto& name : path) {
      // List items are not in the path: step through them.
      while (node->is_object() && node->value("type", "") == "array" && node->contains("items"))
        node = &(*node)["items"];
      node = Property(*node, name);
      if (node == nullptr) return nullptr;
    }
    return node;
  }

  json schema_;
  BuiltinSchema meta_;
};

std::string FieldElement(std::string_view name) {
  std::string e;
  e.reserve(name.size() + 2);
  e.append("f:").append(name);
  return e;
}

bool IsEmptyContainer(const json* v) {
  return v == nullptr || v->is_null() || ((v->is_object() || v->is_array()) && v->empty());
}

struct ToSetWalker {
  const FieldSchema& schema;
  Names names;

  void Walk(const json& v, FieldSet& node, const FieldSet* excl) {
    if (v.is_object()) {
      if (!names.empty() && schema.IsAtomicMap(names)) {
        node.Insert({});
        return;
      }
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::string e = FieldElement(it.key());
        const FieldSet* sub = excl != nullptr ? excl->Child(e) : nullptr;
        if (sub != nullptr && sub->member()) continue;
        names.push_back(it.key());
        FieldSet child;
        Walk(it.value(), child, sub);
        names.pop_back();
        if (!child.empty()) node.AddChild(std::move(e), std::move(child));
      }
      return;
    }
    if (v.is_array()) {
      ListType lt = schema.ListTypeAt(names);
      if (lt.kind == ListType::Kind::kAtomic) {
        node.Insert({});
        return;
      }
      for (std::size_t i = 0; i < v.size(); ++i) {
        FieldSet item;
        item.Insert({});
        if (lt.kind == ListType::Kind::kMap && v[i].is_object()) Walk(v[i], item, nullptr);
        node.AddChild(ListItemElement(lt, v[i], i), std::move(item));
      }
      return;
    }
    node.Insert({});
  }
};

}  // namespace

void FieldSet::AddChild(std::string element, FieldSet child) {
  auto it = children_.find(element);
  if (it == children_.end()) {
    children_.emplace(std::move(element), std::move(child));
  } else {
    it->second = it->second.Union(child);
  }
}

std::shared_ptr<const FieldSchema> BuiltinFieldSchema(std::string_view group, std::string_view kind) {
  return std::make_shared<BuiltinSchema>(std::string(group), std::string(kind));
}

std::shared_ptr<const FieldSchema> CustomResourceFieldSchema(json open_api_v3_schema) {
  return std::make_shared<CustomSchema>(std::move(open_api_v3_schema));
}

std::string ListItemElement(const ListType& type, const json& item, std::size_t index) {
  if (type.kind == ListType::Kind::kSet && !item.is_object() && !item.is_array()) return "v:" + item.dump();
  if (type.kind == ListType::Kind::kMap && item.is_object()) {
    json keys = json::object();
    for (const auto& k : type.keys) {
      if (auto it = item.find(k); it != item.end() && !it->is_null()) {
        keys[k] = *it;
      } else if (type.key_defaults.is_object() && type.key_defaults.contains(k)) {
        keys[k] = type.key_defaults[k];
      }
    }
    if (!keys.empty()) return "k:" + keys.dump();
  }
  return "i:" + std::to_string(index);
}

const FieldSet* FieldSet::Child(std::string_view element) const {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

void FieldSet::Insert(const Path& path) {
  FieldSet* node = this;
  for (const auto& e : path) node = &node->children_[e];
  node->member_ = true;
}

bool FieldSet::Has(const Path& path) const {
  const FieldSet* node = this;
  for (const auto& e : path) {
    node = node->Child(e);
    if (node == nullptr) return false;
  }
  return node->member_;
}

FieldSet FieldSet::Union(const FieldSet& o) const {
  FieldSet out = *this;
  out.member_ = member_ || o.member_;
  for (const auto& [e, c] : o.children_) {
    auto it = out.children_.find(e);
    if (it == out.children_.end()) {
      out.children_.emplace(e, c);
    } else {
      it->second = it->second.Union(c);
    }
  }
  return out;
}

FieldSet FieldSet::Intersection(const FieldSet& o) const {
  FieldSet out;
  out.member_ = member_ && o.member_;
  for (const auto& [e, c] : children_) {
    const FieldSet* oc = o.Child(e);
    if (oc == nullptr) continue;
    FieldSet i = c.Intersection(*oc);
    if (!i.empty()) out.children_.emplace(e, std::move(i));
  }
  return out;
}

FieldSet FieldSet::Difference(const FieldSet& o) const {
  FieldSet out;
  out.member_ = member_ && !o.member_;
  for (const auto& [e, c] : children_) {
    const FieldSet* oc = o.Child(e);
    if (oc == nullptr) {
      out.children_.emplace(e, c);
      continue;
    }
    FieldSet d = c.Difference(*oc);
    if (!d.empty()) out.children_.emplace(e, std::move(d));
  }
  return out;
}

FieldSet FieldSet::RecursiveDifference(const FieldSet& o) const {
  FieldSet out;
  out.member_ = member_ && !o.member_;
  if (o.member_) return FieldSet();
  for (const auto& [e, c] : children_) {
    const FieldSet* oc = o.Child(e);
    if (oc == nullptr) {
      out.children_.emplace(e, c);
      continue;
    }
    if (oc->member_) continue;
    FieldSet d = c.RecursiveDifference(*oc);
    if (!d.empty()) out.children_.emplace(e, std::move(d));
  }
  return out;
}

FieldSet FieldSet::WithPrefixesAsMembers() const {
  FieldSet out;
  out.member_ = member_ || !children_.empty();
  for (const auto& [e, c] : children_) out.children_.emplace(e, c.WithPrefixesAsMembers());
  return out;
}

void FieldSet::CollectMembers(Path& prefix, std::vector<Path>& out) const {
  if (member_) out.push_back(prefix);
  for (const auto& [e, c] : children_) {
    prefix.push_back(e);
    c.CollectMembers(prefix, out);
    prefix.pop_back();
  }
}

std::vector<FieldSet::Path> FieldSet::Members() const {
  std::vector<Path> out;
  Path prefix;
  CollectMembers(prefix, out);
  return out;
}

std::size_t FieldSet::MemberCount() const {
  std::size_t n = member_ ? 1 : 0;
  for (const auto& [e, c] : children_) n += c.MemberCount();
  return n;
}

json FieldSet::ToFieldsV1() const {
  json out = json::object();
  if (member_ && !children_.empty()) out["."] = json::object();
  for (const auto& [e, c] : children_) out[e] = c.ToFieldsV1();
  return out;
}

Result<FieldSet> FieldSet::FromFieldsV1(const json& fields) {
  if (!fields.is_object()) return Error::Make(ErrorCode::kBadRequest, "fieldsV1: expected an object");
  FieldSet out;
  if (fields.empty()) {
    out.member_ = true;
    return out;
  }
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string& k = it.key();
    if (k == ".") {
      out.member_ = true;
      continue;
    }
    if (k.size() < 2 || k[1] != ':' || (k[0] != 'f' && k[0] != 'k' && k[0] != 'v' && k[0] != 'i')) {
      return Error::Make(ErrorCode::kBadRequest, "fieldsV1: invalid path element " + k);
    }
    auto child = FromFieldsV1(it.value());
    if (!child) return child.take_error();
    out.children_.emplace(k, std::move(*child));
  }
  return out;
}

std::string FieldSet::PathString(const Path& path) {
  std::string out;
  for (const auto& e : path) {
    if (e.size() < 2) continue;
    std::string_view body = std::string_view(e).substr(2);
    switch (e[0]) {
      case 'f':
        out.append(".").append(body);
        break;
      case 'k': {
        json keys = json::parse(body, nullptr, false);
        out += "[";
        bool first = true;
        if (keys.is_object()) {
          for (auto it = keys.begin(); it != keys.end(); ++it) {
            if (!first) out += ",";
            first = false;
            out.append(it.key()).append("=").append(it.value().dump());
          }
        }
        out += "]";
        break;
      }
      case 'v':
        out.append("[=").append(body).append("]");
        break;
      case 'i':
        out.append("[").append(body).append("]");
        break;
      default:
        break;
    }
  }
  return out;
}

FieldSet FieldSet::FromObject(const json& obj, const FieldSchema& schema, const FieldSet* exclude) {
  FieldSet out;
  if (!obj.is_object()) return out;
  ToSetWalker w{schema, {}};
  w.Walk(obj, out, exclude);
  return out;
}

namespace {

struct CompareWalker {
  const FieldSchema& schema;
  FieldComparison& out;
  Names names;
  FieldSet::Path path;

  void Leaf(const json* a, const json* b) {
    if (a == nullptr && b == nullptr) return;
    if (a == nullptr) {
      out.added.Insert(path);
    } else if (b == nullptr) {
      out.removed.Insert(path);
    } else if (*a != *b) {
      out.modified.Insert(path);
    }
  }

  void Walk(const json* a, const json* b, const FieldSet* excl) {
    if (a == nullptr && b == nullptr) return;
    const json& shape = b != nullptr ? *b : *a;
    const bool same_type = a == nullptr || b == nullptr || a->type() == b->type();
    if (!same_type || !(shape.is_object() || shape.is_array()) || (IsEmptyContainer(a) && IsEmptyContainer(b))) {
      return Leaf(a, b);
    }
    // A map or list that appears or goes away is a change of its own (a list item always is).
    if (!names.empty() && (a == nullptr || b == nullptr) && !schema.IsAlwaysPresent(names) &&
        !(shape.is_object() && schema.IsAtomicMap(names)) &&
        !(shape.is_array() && schema.ListTypeAt(names).kind == ListType::Kind::kAtomic) && !path.empty() &&
        path.back()[0] == 'f') {
      (a == nullptr ? out.added : out.removed).Insert(path);
    }
    if (shape.is_object()) {
      if (!names.empty() && schema.IsAtomicMap(names)) return Leaf(a, b);
      auto visit = [&](const std::string& key, const json* av, const json* bv) {
        std::string e = FieldElement(key);
        const FieldSet* sub = excl != nullptr ? excl->Child(e) : nullptr;
        if (sub != nullptr && sub->member()) return;
        names.push_back(key);
        path.push_back(std::move(e));
        Walk(av, bv, sub);
        path.pop_back();
        names.pop_back();
      };
      if (a != nullptr) {
        for (auto it = a->begin(); it != a->end(); ++it) {
          const json* bv = nullptr;
          if (b != nullptr) {
            auto f = b->find(it.key());
            if (f != b->end()) bv = &*f;
          }
          visit(it.key(), &it.value(), bv);
        }
      }
      if (b != nullptr) {
        for (auto it = b->begin(); it != b->end(); ++it) {
          if (a != nullptr && a->contains(it.key())) continue;
          visit(it.key(), nullptr, &it.value());
        }
      }
      return;
    }
    ListType lt = schema.ListTypeAt(names);
    if (lt.kind == ListType::Kind::kAtomic) return Leaf(a, b);
    // Items by path element (first of duplicates wins), in a's then b's order.
    std::vector<std::pair<std::string, std::pair<const json*, const json*>>> items;
    std::unordered_map<std::string, std::size_t> index;
    auto add = [&](const json* list, bool second) {
      if (list == nullptr) return;
      for (std::size_t i = 0; i < list->size(); ++i) {
        std::string e = ListItemElement(lt, (*list)[i], i);
        auto [it, fresh] = index.emplace(e, items.size());
        if (fresh) items.push_back({std::move(e), {nullptr, nullptr}});
        auto& slot = items[it->second].second;
        const json*& side = second ? slot.second : slot.first;
        if (side == nullptr) side = &(*list)[i];
      }
    };
    add(a, false);
    add(b, true);
    for (auto& [e, sides] : items) {
      path.push_back(e);
      if (sides.first == nullptr) {
        out.added.Insert(path);
      } else if (sides.second == nullptr) {
        out.removed.Insert(path);
      }
      if (lt.kind == ListType::Kind::kMap) {
        Walk(sides.first, sides.second, nullptr);
      } else if (sides.first != nullptr && sides.second != nullptr && *sides.first != *sides.second) {
        out.modified.Insert(path);
      }
      path.pop_back();
    }
  }
};

}  // namespace

FieldComparison CompareObjects(const json& old_obj, const json& new_obj, const FieldSchema& schema,
                               const FieldSet* exclude) {
  FieldComparison out;
  CompareWalker w{schema, out, {}, {}};
  const json empty = json::object();
  const json* a = old_obj.is_object() ? &old_obj : &empty;
  const json* b = new_obj.is_object() ? &new_obj : &empty;
  // The root is never a leaf, even when empty.
  for (auto it = a->begin(); it != a->end(); ++it) {
    std::string e = FieldElement(it.key());
    const FieldSet* sub = exclude != nullptr ? exclude->Child(e) : nullptr;
    if (sub != nullptr && sub->member()) continue;
    auto f = b->find(it.key());
    w.names = {it.key()};
    w.path = {e};
    w.Walk(&it.value(), f == b->end() ? nullptr : &*f, sub);
  }
  for (auto it = b->begin(); it != b->end(); ++it) {
    if (a->contains(it.key())) continue;
    std::string e = FieldElement(it.key());
    const FieldSet* sub = exclude != nullptr ? exclude->Child(e) : nullptr;
    if (sub != nullptr && sub->member()) continue;
    w.names = {it.key()};
    w.path = {e};
    w.Walk(nullptr, &it.value(), sub);
  }
  return out;
}

}  // namespace vkube::resource
