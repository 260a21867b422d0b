#include "libs/resource/field_validation.h"

#include <charconv>
#include <set>

namespace vkube::resource {

using nlohmann::json;

std::optional<FieldValidation> ParseFieldValidation(std::string_view value) {
  if (value.empty() || value == "Warn") return FieldValidation::kWarn;
  if (value == "Strict") return FieldValidation::kStrict;
  if (value == "Ignore") return FieldValidation::kIgnore;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Compilation: schema JSON → FieldTree nodes.

class FieldTreeCompiler {
 public:
  using Mode = FieldTree::Mode;
  using NodeType = FieldTree::NodeType;

  FieldTreeCompiler(const SchemaLookup& lookup, Mode mode, FieldTree::Limits limits)
      : lookup_(lookup), mode_(mode), limits_(limits), tree_(std::make_shared<FieldTree>()) {}

  std::shared_ptr<const FieldTree> Finish(std::optional<std::uint32_t> root) {
    if (!root || failed_) return nullptr;
    // The root must be node 0: Compile* always allocates it first.
    if (mode_ == Mode::kStructural && tree_->nodes_[0].type == NodeType::kObject) AddImplicitRootFields();
    return tree_;
  }

  std::optional<std::uint32_t> Ref(std::string_view ref, std::size_t depth) {
    std::string name = Normalize(ref);
    if (auto it = by_ref_.find(name); it != by_ref_.end()) return it->second;
    const json* schema = lookup_ ? lookup_(name) : nullptr;
    if (schema == nullptr) {
      // An unresolvable reference says nothing about its fields: accept anything below it.
      return Leaf(NodeType::kRaw);
    }
    std::uint32_t idx = Allocate();
    if (failed_) return std::nullopt;
    const std::string short_name = name.substr(name.rfind('.') + 1);  // the Go type's name
    by_ref_.emplace(std::move(name), idx);  // before descending: recursive schemas end here
    // Structural rules hold for a custom resource's own (inline) schema only: what it references
    // (ObjectMeta and its FieldsV1) are built-in Go types.
    const Mode saved = mode_;
    if (depth > 0) mode_ = Mode::kBuiltin;
    const bool ok = Fill(idx, *schema, depth + 1);
    mode_ = saved;
    if (!ok) return std::nullopt;
    auto& node = tree_->nodes_[idx];
    // resource.Quantity is a string in the schema, but its Go decoder takes numbers too.
    if (short_name == "Quantity") node.scalar = FieldTree::ScalarType::kAny;
    if (node.type == NodeType::kObject && node.go_type.empty()) node.go_type = short_name;
    return idx;
  }

  std::optional<std::uint32_t> Inline(const json& schema, std::size_t depth) {
    // A reference is shared, not copied: recursive schemas (JSONSchemaProps) close into a cycle.
    if (const std::string* ref = RefOf(schema)) return Ref(*ref, depth);
    std::uint32_t idx = Allocate();
    if (failed_) return std::nullopt;
    if (!Fill(idx, schema, depth + 1)) return std::nullopt;
    return idx;
  }

 private:
  static std::string Normalize(std::string_view ref) {
    for (std::string_view prefix : {"#/definitions/", "#/components/schemas/"}) {
      if (ref.substr(0, prefix.size()) == prefix) return std::string(ref.substr(prefix.size()));
    }
    return std::string(ref);
  }

  // "$ref", or kube v3's wrapping of a reference that has siblings: {"allOf":[{"$ref":...}], ...}.
  static const std::string* RefOf(const json& schema) {
    if (!schema.is_object()) return nullptr;
    if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) return &ref->get_ref<const std::string&>();
    auto all = schema.find("allOf");
    if (all == schema.end() || !all->is_array() || all->empty() || schema.contains("properties")) return nullptr;
    const json& first = (*all)[0];
    if (!first.is_object()) return nullptr;
    auto ref = first.find("$ref");
    return ref != first.end() && ref->is_string() ? &ref->get_ref<const std::string&>() : nullptr;
  }

  std::uint32_t Allocate() {
    if (tree_->nodes_.size() >= limits_.max_nodes) {
      failed_ = true;
      return 0;
    }
    tree_->nodes_.emplace_back();
    return static_cast<std::uint32_t>(tree_->nodes_.size() - 1);
  }

  std::optional<std::uint32_t> Leaf(NodeType type) {
    std::uint32_t idx = Allocate();
    if (failed_) return std::nullopt;
    tree_->nodes_[idx].type = type;
    return idx;
  }

  static FieldTree::ScalarType ScalarTypeOf(const std::string& type, const json& schema) {
    using T = FieldTree::ScalarType;
    const std::string format = schema.contains("format") && schema["format"].is_string() ? schema["format"].get<std::string>() : "";
    if (type == "boolean") return T::kBoolean;
    if (type == "number") return T::kNumber;
    if (type == "integer") return format == "int32" ? T::kInt32 : format == "int64" ? T::kInt64 : T::kInteger;
    if (type == "string" && format != "int-or-string") return T::kString;
    return T::kAny;
  }

  static bool True(const json& schema, const char* key) {
    auto it = schema.find(key);
    return it != schema.end() && it->is_boolean() && it->get<bool>();
  }

  // Fills node `idx` from `schema`. Nodes are addressed by index: the vector grows while filling.
  bool Fill(std::uint32_t idx, const json& schema, std::size_t depth) {
    if (depth > limits_.max_depth) {
      failed_ = true;
      return false;
    }
    if (!schema.is_object()) {
      tree_->nodes_[idx].type = NodeType::kRaw;
      return true;
    }
    // A definition that is only an alias of another one (rare): copy the target's node.
    if (const std::string* ref = RefOf(schema)) {
      auto target = Ref(*ref, depth);
      if (!target) return false;
      FieldTree::Node copy = tree_->nodes_[*target];
      tree_->nodes_[idx] = std::move(copy);
      return true;
    }
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array() && !all->empty() &&
                                           !schema.contains("properties")) {
      return Fill(idx, (*all)[0], depth + 1);
    }
    const bool preserve = True(schema, "x-kubernetes-preserve-unknown-fields");
    std::string type = schema.contains("type") && schema["type"].is_string() ? schema["type"].get<std::string>() : "";
    if (True(schema, "x-kubernetes-int-or-string") || schema.contains("oneOf") || schema.contains("anyOf") ||
        type == "string" || type == "integer" || type == "number" || type == "boolean") {
      tree_->nodes_[idx].type = NodeType::kScalar;
      // Only built-in kinds' Go decoders refuse other JSON types; CRD values are the schema
      // validator's to judge (with its own messages).
      if (mode_ == Mode::kBuiltin && !schema.contains("oneOf") && !schema.contains("anyOf") &&
          !True(schema, "x-kubernetes-int-or-string")) {
        tree_->nodes_[idx].scalar = ScalarTypeOf(type, schema);
      }
      return true;
    }
    if (type == "array" || schema.contains("items")) {
      std::optional<std::uint32_t> child;
      auto items = schema.find("items");
      if (items == schema.end() || !items->is_object()) {
        child = Leaf(preserve ? NodeType::kFree : NodeType::kRaw);
      } else {
        child = Inline(*items, depth);
      }
      if (!child) return false;
      tree_->nodes_[idx].type = NodeType::kArray;
      tree_->nodes_[idx].child = *child;
      return true;
    }
    auto props = schema.find("properties");
    auto additional = schema.find("additionalProperties");
    if (props != schema.end() && props->is_object()) {
      std::map<std::string, std::uint32_t, std::less<>> fields;
      for (auto it = props->begin(); it != props->end(); ++it) {
        auto child = Inline(it.value(), depth);
        if (!child) return false;
        fields.emplace(it.key(), *child);
      }
      auto& node = tree_->nodes_[idx];
      node.type = NodeType::kObject;
      node.allow_unknown = preserve;
      node.fields = std::move(fields);
      return true;
    }
    if (additional != schema.end()) {
      std::optional<std::uint32_t> child;
      if (additional->is_object() && !additional->empty()) {
        child = Inline(*additional, depth);
      } else if (additional->is_boolean() && !additional->get<bool>()) {
        tree_->nodes_[idx].type = NodeType::kObject;  // no field allowed
        return true;
      } else {
        child = Leaf(NodeType::kFree);
      }
      if (!child) return false;
      tree_->nodes_[idx].type = NodeType::kMap;
      tree_->nodes_[idx].child = *child;
      return true;
    }
    if (preserve) {
      tree_->nodes_[idx].type = NodeType::kFree;
      return true;
    }
    if (mode_ == Mode::kStructural && type == "object") {
      tree_->nodes_[idx].type = NodeType::kObject;  // every field would be pruned
      return true;
    }
    // A built-in `object` without properties is an opaque Go type (RawExtension, FieldsV1, Patch).
    tree_->nodes_[idx].type = NodeType::kRaw;
    return true;
  }

  void AddImplicitRootFields() {
    for (const char* scalar : {"apiVersion", "kind"}) {
      if (!tree_->nodes_[0].fields.contains(scalar)) {
        auto leaf = Leaf(NodeType::kScalar);
        if (!leaf) return;
        tree_->nodes_[0].fields.emplace(scalar, *leaf);
      }
    }
    // Custom resources' metadata is always ObjectMeta, whatever the CRD schema says about it.
    auto meta = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", 0);
    if (meta) tree_->nodes_[0].fields.insert_or_assign("metadata", *meta);
  }

  const SchemaLookup& lookup_;
  Mode mode_;
  FieldTree::Limits limits_;
  std::shared_ptr<FieldTree> tree_;
  std::map<std::string, std::uint32_t, std::less<>> by_ref_;
  bool failed_ = false;
};

std::shared_ptr<const FieldTree> FieldTree::Compile(std::string_view root_ref, const SchemaLookup& lookup, Mode mode,
                                                    Limits limits) {
  FieldTreeCompiler c(lookup, mode, limits);
  if (!lookup) return nullptr;
  std::string name(root_ref);
  for (std::string_view prefix : {"#/definitions/", "#/components/schemas/"}) {
    if (std::string_view(name).substr(0, prefix.size()) == prefix) name = name.substr(prefix.size());
  }
  if (lookup(name) == nullptr) return nullptr;
  return c.Finish(c.Ref(name, 0));
}

std::shared_ptr<const FieldTree> FieldTree::CompileSchema(const json& schema, const SchemaLookup& lookup, Mode mode,
                                                          Limits limits) {
  FieldTreeCompiler c(lookup, mode, limits);
  return c.Finish(c.Inline(schema, 0));
}

// ---------------------------------------------------------------------------------------------
// Walking a body.

namespace {

// Go's %q for the usual characters of field names and keys.
void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

class Walker final : public nlohmann::json_sax<json> {
 public:
  Walker(const FieldTree& tree, FieldIssueOptions options, FieldIssues& out) : tree_(tree), limits_(options), out_(out) {}

  bool null() override { return Scalar(nullptr); }  // null decodes into anything
  bool boolean(bool) override { return Scalar("bool"); }
  bool number_integer(number_integer_t) override { return Scalar("number"); }
  bool number_unsigned(number_unsigned_t) override { return Scalar("number"); }
  bool number_float(number_float_t, const string_t&) override { return Scalar("number"); }
  bool string(string_t&) override { return Scalar("string"); }
  bool binary(binary_t&) override { return Scalar(nullptr); }

  bool start_object(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    if (skip_depth_ > 0) return true;
    Frame& f = stack_.back();
    path_.resize(f.path_len);
    if (f.path_len > 0) path_.push_back('.');
    path_ += k;
    f.pending = kSkip;
    if (f.node == kSkip) return true;
    if (limits_.strategic_merge_patch && !k.empty() && k.front() == '$') return true;  // a directive
    if (!f.seen.insert(k).second) Report("duplicate field ");
    if (f.node == kFree) {
      f.pending = kFree;
      return true;
    }
    const auto& n = tree_.node(static_cast<std::uint32_t>(f.node));
    switch (n.type) {
      case FieldTree::NodeType::kObject:
        if (auto it = n.fields.find(std::string_view(k)); it != n.fields.end()) {
          f.pending = it->second;
        } else if (n.allow_unknown) {
          f.pending = kFree;
        } else {
          Report("unknown field ");
        }
        break;
      case FieldTree::NodeType::kMap:
        f.pending = n.child;
        break;
      case FieldTree::NodeType::kFree:
        f.pending = kFree;
        break;
      default:  // a type mismatch is the decoder's error to report, not an unknown field
        break;
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    out_.parse_error = true;
    return false;
  }

 private:
  static constexpr std::int64_t kSkip = -1;  // unknown or opaque subtree: nothing below is checked
  static constexpr std::int64_t kFree = -2;  // free-form subtree: duplicates only

  struct Frame {
    std::int64_t node = kSkip;
    std::int64_t pending = kSkip;  // objects: node of the value after the last key
    std::size_t path_len = 0;
    std::size_t index = 0;  // arrays: next item
    bool is_array = false;
    std::set<std::string, std::less<>> seen;
  };

  bool Open(bool is_array) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    std::int64_t node = BeginValue();
    CheckType(node, is_array ? "array" : "object");
    // Nothing below an unchecked value (or below the depth limit) is looked at: count the
    // nesting instead of keeping frames and paths.
    if (node == kSkip || stack_.size() >= limits_.max_depth) {
      skip_depth_ = 1;
      return true;
    }
    Frame f;
    f.node = node;
    f.path_len = path_.size();
    f.is_array = is_array;
    stack_.push_back(std::move(f));
    return true;
  }

  bool Close() {
    if (skip_depth_ > 0) {
      --skip_depth_;
    } else {
      stack_.pop_back();
    }
    return true;
  }

  // Node of the value starting now; sets path_ to its path.
  std::int64_t BeginValue() {
    if (stack_.empty()) return Normalize(tree_.root());
    Frame& f = stack_.back();
    if (!f.is_array) return f.pending < 0 ? f.pending : Normalize(f.pending);
    path_.resize(f.path_len);
    char index[24];
    auto [end, ec] = std::to_chars(index, index + sizeof(index), f.index++);
    path_.push_back('[');
    path_.append(index, end);
    path_.push_back(']');
    if (f.node == kSkip || f.node == kFree) return f.node;
    const auto& n = tree_.node(static_cast<std::uint32_t>(f.node));
    if (n.type == FieldTree::NodeType::kArray) return Normalize(n.child);
    if (n.type == FieldTree::NodeType::kFree) return kFree;
    return kSkip;
  }

  // Opaque and free-form nodes become the walker's sentinels.
  std::int64_t Normalize(std::int64_t idx) const {
    const auto& n = tree_.node(static_cast<std::uint32_t>(idx));
    if (n.type == FieldTree::NodeType::kRaw) return kSkip;
    if (n.type == FieldTree::NodeType::kFree) return kFree;
    return idx;
  }

  // `json_type` is Go's name of the JSON value ("string", "number"...); nullptr: fits anything.
  bool Scalar(const char* json_type) {
    if (skip_depth_ == 0) CheckType(BeginValue(), json_type);
    return true;
  }

  static const char* GoTypeName(FieldTree::ScalarType t) {
    switch (t) {
      case FieldTree::ScalarType::kString: return "string";
      case FieldTree::ScalarType::kInt32: return "int32";
      case FieldTree::ScalarType::kInt64: return "int64";
      case FieldTree::ScalarType::kInteger: return "int";
      case FieldTree::ScalarType::kNumber: return "float64";
      case FieldTree::ScalarType::kBoolean: return "bool";
      case FieldTree::ScalarType::kAny: break;
    }
    return nullptr;
  }

  static bool Fits(FieldTree::ScalarType t, std::string_view json_type) {
    switch (t) {
      case FieldTree::ScalarType::kString: return json_type == "string";
      case FieldTree::ScalarType::kBoolean: return json_type == "bool";
      case FieldTree::ScalarType::kAny: return true;
      default: return json_type == "number";
    }
  }

  // Go's UnmarshalTypeError: `json: cannot unmarshal string into Go struct field
  // DeploymentSpec.spec.replicas of type int32` (the field path without array indexes).
  void CheckType(std::int64_t node, const char* json_type) {
    if (node < 0 || json_type == nullptr || !out_.type_error.empty()) return;
    const auto& n = tree_.node(static_cast<std::uint32_t>(node));
    if (n.type != FieldTree::NodeType::kScalar || Fits(n.scalar, json_type)) return;
    std::string go_struct;
    for (auto it = stack_.rbegin(); it != stack_.rend() && go_struct.empty(); ++it) {
      if (it->node >= 0 && !it->is_array) go_struct = tree_.node(static_cast<std::uint32_t>(it->node)).go_type;
    }
    std::string field;
    for (std::size_t i = 0; i < path_.size() && field.size() < limits_.max_path_bytes; ++i) {
      if (path_[i] == '[') {
        while (i < path_.size() && path_[i] != ']') ++i;
        continue;
      }
      field.push_back(path_[i]);
    }
    out_.type_error = std::string("json: cannot unmarshal ") + json_type;
    if (go_struct.empty()) {
      out_.type_error += " into Go value";
    } else {
      out_.type_error += " into Go struct field " + go_struct + "." + field;
    }
    out_.type_error += std::string(" of type ") + GoTypeName(n.scalar);
  }

  void Report(const char* what) {
    if (out_.messages.size() >= limits_.max_issues) {
      out_.truncated = true;
      return;
    }
    std::string msg = what;
    AppendQuoted(msg, std::string_view(path_).substr(0, limits_.max_path_bytes));
    out_.messages.push_back(std::move(msg));
  }

  const FieldTree& tree_;
  FieldIssueOptions limits_;
  FieldIssues& out_;
  std::vector<Frame> stack_;
  std::size_t skip_depth_ = 0;  // > 0: inside an unchecked value, this many levels deep
  std::string path_;
};

}  // namespace

FieldIssues FindFieldIssues(std::string_view json_body, const FieldTree& tree, FieldIssueOptions limits) {
  FieldIssues out;
  if (tree.size() == 0) return out;
  Walker w(tree, limits, out);
  json::sax_parse(json_body.begin(), json_body.end(), &w, nlohmann::detail::input_format_t::json, true);
  return out;
}

namespace {

void Prune(json& value, const FieldTree& tree, std::uint32_t idx, std::size_t depth, std::size_t max_depth) {
  if (depth >= max_depth) return;
  const auto& n = tree.node(idx);
  switch (n.type) {
    case FieldTree::NodeType::kObject:
      if (!value.is_object()) return;
      for (auto it = value.begin(); it != value.end();) {
        auto f = n.fields.find(std::string_view(it.key()));
        if (f == n.fields.end()) {
          if (n.allow_unknown) {
            ++it;
          } else {
            it = value.erase(it);
          }
          continue;
        }
        Prune(it.value(), tree, f->second, depth + 1, max_depth);
        ++it;
      }
      return;
    case FieldTree::NodeType::kMap:
      if (!value.is_object()) return;
      for (auto& v : value) Prune(v, tree, n.child, depth + 1, max_depth);
      return;
    case FieldTree::NodeType::kArray:
      if (!value.is_array()) return;
      for (auto& v : value) Prune(v, tree, n.child, depth + 1, max_depth);
      return;
    default: return;  // scalars, free-form and opaque values keep everything
  }
}

}  // namespace

void PruneUnknownFields(json& obj, const FieldTree& tree, std::size_t max_depth) {
  if (tree.size() == 0) return;
  Prune(obj, tree, tree.root(), 0, max_depth);
}

std::string CannotBeDecodedMessage(std::string_view kind, std::string_view version, std::string_view type_error) {
  std::string out(kind);
  out += " in version ";
  AppendQuoted(out, version);
  out += " cannot be handled as a ";
  out += kind;
  out += ": ";
  out += type_error;
  return out;
}

std::string StrictDecodingError(const FieldIssues& issues) {
  std::string out = "strict decoding error: ";
  for (std::size_t i = 0; i < issues.messages.size(); ++i) {
    if (i > 0) out += ", ";
    out += issues.messages[i];
  }
  return out;
}

std::string CannotBeHandledMessage(std::string_view kind, std::string_view version, const FieldIssues& issues) {
  return CannotBeDecodedMessage(kind, version, StrictDecodingError(issues));
}

std::string WarningHeaderValue(std::string_view message) {
  std::string out = "299 - ";
  AppendQuoted(out, message);
  return out;
}

}  // namespace vkube::resource
