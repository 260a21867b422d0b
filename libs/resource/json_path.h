#pragma once
// client-go's util/jsonpath as kube-apiserver uses it for CRD additionalPrinterColumns (the table
// convertor parses "{" + jsonPath + "}" and reads missing keys as empty): fields (".a", escaped dots
// "a\.b", "['key']"), indices and slices ("[0]", "[-1]", "[1:3]", "[::2]", "[*]"), unions ("[0,2]"),
// wildcards (".*"), recursive descent (".."), and filters ("[?(@.type==\"Ready\")]" with == != < > <= >=
// against string/number/bool literals or other paths, "[?(@.x)]" for existence). Parse errors carry
// client-go's wording ("unclosed action", "invalid array index x", ...). `range`/`end` parse but select
// nothing.
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "libs/core/result.h"

namespace vkube::resource {

namespace json_path_detail {
struct Node;
}

class JsonPath {
 public:
  // `expr` with or without the surrounding "{...}" (without, it is wrapped as kube wraps column paths).
  static Result<JsonPath> Parse(std::string_view expr);

  // Every value the path selects in `doc`, in order: pointers into doc, except that literals in the
  // expression (quoted text, numbers) select values owned by this JsonPath. Map members come in key order
  // (Go's order is random). An evaluation error (index out of range, filtering a non-array, comparing
  // incompatible types) selects nothing, as kube then prints an empty cell. Never throws.
  std::vector<const nlohmann::json*> Find(const nlohmann::json& doc) const;

 private:
  explicit JsonPath(std::shared_ptr<const json_path_detail::Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const json_path_detail::Node> root_;  // immutable: copies share it
};

}  // namespace vkube::resource
