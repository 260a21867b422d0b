#pragma once
// Label and field selectors with kube-apiserver's syntax and error messages
// (k8s.io/apimachinery/pkg/labels and pkg/fields).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libs/core/result.h"
#include "libs/store/store.h"

namespace vkube::resource {

// Label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`,
// comma = AND, whitespace allowed between tokens. Keys must be qualified names and values valid
// label values; errors are BadRequest with kube's text ("unable to parse requirement: ...").
class LabelSelector {
 public:
  struct Requirement {
    enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan } op;
    std::string key;
    std::vector<std::string> values;  // sorted, unique (a set, as in kube)
    bool Matches(const std::vector<std::pair<std::string, std::string>>& sorted_labels) const;
    std::string String() const;  // kube's canonical text: "a in (x,y)", "!a", "a=b"
  };

  static Result<LabelSelector> Parse(std::string_view text);
  // metav1.LabelSelector as metav1.LabelSelectorAsSelector: null → matches nothing, {} → matches
  // everything. Errors carry kube's messages (used for "<invalid>" and workload validation).
  static Result<LabelSelector> FromJson(const nlohmann::json& selector);
  static LabelSelector Nothing();

  bool Matches(const std::vector<std::pair<std::string, std::string>>& sorted_labels) const;
  // Labels as a JSON object ({"app":"web"}); non-string values never match.
  bool MatchesJson(const nlohmann::json& labels) const;
  // True when it selects everything (no requirements). Nothing() is not empty.
  bool empty() const { return reqs_.empty() && !nothing_; }
  const std::vector<Requirement>& requirements() const { return reqs_; }
  // Requirements joined by ",", sorted by key, as labels.Selector.String() prints them.
  std::string String() const;

 private:
  std::vector<Requirement> reqs_;
  bool nothing_ = false;
};

// Field selector: `f=v`, `f==v`, `f!=v`, comma = AND; `\,` `\=` `\\` escape value characters. Only
// metadata.name, metadata.namespace and the fields in `allowed` are accepted (BadRequest:
// `field label not supported: spec.foo`, as kube-apiserver says). No whitespace trimming: kube
// does not trim either.
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
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

// Null predicate when both are empty.
store::Predicate MakePredicate(LabelSelector labels, FieldSelector fields);

}  // namespace vkube::resource
