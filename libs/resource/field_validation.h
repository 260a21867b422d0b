#pragma once
// Server-side field validation (`?fieldValidation=Ignore|Warn|Strict`): finds the unknown and
// duplicate fields of a JSON request body, reported the way kube-apiserver's strict decoder does
// (`unknown field "spec.foo"`, `duplicate field "metadata.name"`, arrays as `containers[0]`).
//
// The schema side is a FieldTree compiled once per kind from OpenAPI schemas (v2 `definitions` or
// v3 `components.schemas`, resolved through a lookup callback), so this library knows nothing
// about where schemas come from. The body side is a SAX pass over the raw bytes: a DOM parse
// silently keeps only the last of duplicate keys, so duplicates are only visible here.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vkube::resource {

enum class FieldValidation { kIgnore, kWarn, kStrict };

// Query value → directive. "" means the server default (Warn, as kube-apiserver ≥ 1.27).
// nullopt for anything else: kube-apiserver answers 422 with
// `fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
std::optional<FieldValidation> ParseFieldValidation(std::string_view value);

// Resolves a schema reference ("#/definitions/X", "#/components/schemas/X" or a bare "X") to the
// schema JSON; nullptr when unknown. Returned pointers must stay valid while compiling.
using SchemaLookup = std::function<const nlohmann::json*(std::string_view ref)>;

struct FieldTreeLimits {
  std::size_t max_nodes = 200000;  // a hostile CRD schema cannot make compilation unbounded
  std::size_t max_depth = 128;     // nesting of inline schemas
};

// The accepted fields of a kind, as a graph of nodes (recursive schemas such as JSONSchemaProps
// share nodes instead of unrolling). Immutable after compilation: share it across threads.
class FieldTree {
 public:
  enum class NodeType : std::uint8_t {
    kScalar,  // string/number/bool/int-or-string: no fields below
    kObject,  // fixed set of fields (unknown ones are reported unless allow_unknown)
    kMap,     // additionalProperties: any key, values of `child`
    kArray,   // items of `child`
    kFree,    // free-form (x-kubernetes-preserve-unknown-fields): only duplicates are reported
    kRaw,     // opaque (RawExtension, FieldsV1): nothing below is checked
  };
  // What a kScalar of a built-in kind decodes into; anything else is a decode error in kube
  // (`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`).
  enum class ScalarType : std::uint8_t { kAny, kString, kInt32, kInt64, kInteger, kNumber, kBoolean };
  struct Node {
    NodeType type = NodeType::kRaw;
    ScalarType scalar = ScalarType::kAny;                 // kScalar of a built-in kind only
    bool allow_unknown = false;                           // kObject + preserve-unknown-fields
    std::string go_type;                                  // kObject: the Go struct's name, for decode errors
    std::map<std::string, std::uint32_t, std::less<>> fields;  // kObject
    std::uint32_t child = 0;                              // kMap / kArray
  };

  enum class Mode : std::uint8_t {
    // Built-in kinds: an `object` schema without properties is an opaque Go type (RawExtension).
    kBuiltin,
    // CRD structural schemas: an `object` without properties keeps no fields (they are pruned and
    // reported as unknown) unless x-kubernetes-preserve-unknown-fields; the root implicitly
    // accepts apiVersion, kind and metadata (ObjectMeta resolved through the lookup).
    kStructural,
  };

  using Limits = FieldTreeLimits;

  // Compiles the definition `root_ref`; nullptr if it cannot be resolved or a limit is exceeded.
  static std::shared_ptr<const FieldTree> Compile(std::string_view root_ref, const SchemaLookup& lookup,
                                                  Mode mode = Mode::kBuiltin, Limits limits = {});
  // Compiles an inline schema (a CRD version's openAPIV3Schema).
  static std::shared_ptr<const FieldTree> CompileSchema(const nlohmann::json& schema, const SchemaLookup& lookup,
                                                        Mode mode = Mode::kStructural, Limits limits = {});

  const Node& node(std::uint32_t i) const { return nodes_[i]; }
  std::uint32_t root() const { return 0; }
  std::size_t size() const { return nodes_.size(); }

 private:
  friend class FieldTreeCompiler;
  std::vector<Node> nodes_;
};

struct FieldIssueOptions {
  std::size_t max_issues = 100;        // further issues are dropped (the request still fails in Strict)
  std::size_t max_path_bytes = 4096;   // longer paths are cut
  std::size_t max_depth = 10000;       // deeper values are not checked (kube's decoder stops there)
  // The body is a strategic merge patch: its directive keys ($patch, $retainKeys,
  // $setElementOrder/<field>, $deleteFromPrimitiveList/<field>...) are not fields.
  bool strategic_merge_patch = false;
};

struct FieldIssues {
  // kube's messages in document order: `unknown field "spec.foo"`, `duplicate field "a.b"`.
  std::vector<std::string> messages;
  bool truncated = false;     // more than max_issues were found
  bool parse_error = false;   // the body is not JSON (the decoder reports that, not this check)
  // The first value of the wrong JSON type for a built-in field, as Go's decoder words it. kube
  // refuses such a body whatever the fieldValidation directive (it cannot be decoded at all).
  std::string type_error;
  bool empty() const { return messages.empty(); }
};

// Walks `json_body` against `tree`. Cost: one SAX pass, no DOM.
// For a merge or strategic merge patch body this finds the unknown fields the patch would add;
// a JSON patch (RFC 6902) has no object shape: check the patched object instead.
FieldIssues FindFieldIssues(std::string_view json_body, const FieldTree& tree, FieldIssueOptions options = {});

// Removes from `obj` every field `tree` does not know, as kube's decoder drops unknown fields of
// built-in kinds and prunes custom resources to their structural schema. Stops at `max_depth`.
void PruneUnknownFields(nlohmann::json& obj, const FieldTree& tree, std::size_t max_depth = 512);

// `<Kind> in version "<v>" cannot be handled as a <Kind>: <type error>` (400 BadRequest).
std::string CannotBeDecodedMessage(std::string_view kind, std::string_view version, std::string_view type_error);

// Strict: `strict decoding error: unknown field "spec.foo", duplicate field "x"`. kube-apiserver
// wraps it as a 400 BadRequest with message
// `<Kind> in version "<version>" cannot be handled as a <Kind>: <this>`.
std::string StrictDecodingError(const FieldIssues& issues);
std::string CannotBeHandledMessage(std::string_view kind, std::string_view version, const FieldIssues& issues);

// Warn: one `Warning` response header per message, value `299 - "<message with \" escaped>"`.
std::string WarningHeaderValue(std::string_view message);

}  // namespace vkube::resource
