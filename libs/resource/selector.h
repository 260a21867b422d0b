#pragma once
// Label and field selectors with kube-apiserver's syntax and error messages.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::resource {

// Label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma = AND.
class LabelSelector {
 public:
  static Result<LabelSelector> Parse(std::string_view text);
  bool Matches(const std::vector<std::pair<std::string, std::string>>& sorted_labels) const;
  bool empty() const { return reqs_.empty(); }

  struct Requirement {
    enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist } op;
    std::string key;
    std::vector<std::string> values;
  };

 private:
  std::vector<Requirement> reqs_;
};

// Field selector: `f=v`, `f==v`, `f!=v`, comma = AND; only fields in `allowed` are accepted
// (BadRequest: `field label not supported: spec.foo`, as kube-apiserver says).
class FieldSelector {
 public:
  static Result<FieldSelector> Parse(std::string_view text, const std::vector<std::string>& allowed);
  bool Matches(const std::vector<std::pair<std::string, std::string>>& sorted_fields) const;
  bool empty() const { return reqs_.empty(); }

  struct Requirement {
    std::string field;
    std::string value;
    bool negate = false;
  };

 private:
  std::vector<Requirement> reqs_;
};

// Null predicate when both are empty.
store::Predicate MakePredicate(LabelSelector labels, FieldSelector fields);

}  // namespace vkube::resource
