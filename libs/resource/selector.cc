#include "libs/resource/selector.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "libs/resource/status.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using Op = LabelSelector::Requirement::Op;
using Labels = std::vector<std::pair<std::string, std::string>>;

// ---- label selector lexer: the tokens of k8s.io/apimachinery/pkg/labels ----------------------

enum class Tok { kEnd, kIdentifier, kDoesNotExist, kEquals, kDoubleEquals, kNotEquals, kGreaterThan, kLessThan,
                 kIn, kNotIn, kComma, kOpenPar, kClosedPar };

struct Item {
  Tok tok;
  std::string lit;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

std::optional<Tok> SpecialToken(std::string_view s) {
  if (s == "!") return Tok::kDoesNotExist;
  if (s == "!=") return Tok::kNotEquals;
  if (s == "(") return Tok::kOpenPar;
  if (s == ")") return Tok::kClosedPar;
  if (s == ",") return Tok::kComma;
  if (s == "=") return Tok::kEquals;
  if (s == "==") return Tok::kDoubleEquals;
  if (s == ">") return Tok::kGreaterThan;
  if (s == "<") return Tok::kLessThan;
  return std::nullopt;
}

std::vector<Item> Lex(std::string_view s) {
  std::vector<Item> out;
  std::size_t i = 0;
  // Go's lexer reads a NUL rune as end of input; so does this one.
  auto at_end = [&] { return i >= s.size() || s[i] == '\0'; };
  for (;;) {
    while (!at_end() && IsWhitespace(s[i])) ++i;
    if (at_end()) {
      out.push_back({Tok::kEnd, ""});
      return out;
    }
    if (IsSpecial(s[i])) {
      // Longest special symbol that is a token ("!=" over "!"); every single symbol is one.
      std::size_t len = 1;
      if (i + 1 < s.size() && SpecialToken(s.substr(i, 2))) len = 2;
      out.push_back({*SpecialToken(s.substr(i, len)), std::string(s.substr(i, len))});
      i += len;
      continue;
    }
    std::size_t start = i;
    while (!at_end() && !IsWhitespace(s[i]) && !IsSpecial(s[i])) ++i;
    std::string word(s.substr(start, i - start));
    Tok t = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdentifier;
    out.push_back({t, std::move(word)});
  }
}

// %#v of a []string.
std::string GoStrings(const std::vector<std::string>& v) {
  if (v.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + validation::GoQuote(v[i]);
  return out + "}";
}

std::string JoinErrors(const std::vector<std::string>& msgs) {
  std::string out;
  for (std::size_t i = 0; i < msgs.size(); ++i) out += (i ? "; " : "") + msgs[i];
  return out;
}

// labels.NewRequirement's checks; error text is field.ErrorList.ToAggregate() of them.
std::optional<std::string> CheckRequirement(const LabelSelector::Requirement& r) {
  std::vector<FieldCause> errs;
  if (auto m = validation::IsQualifiedName(r.key); !m.empty()) {
    errs.push_back(validation::Invalid("key", validation::GoQuote(r.key), JoinErrors(m)));
  }
  switch (r.op) {
    case Op::kIn:
    case Op::kNotIn:
      if (r.values.empty()) {
        errs.push_back(
            validation::Invalid("values", GoStrings(r.values), "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Op::kEquals:
    case Op::kNotEquals:
      if (r.values.size() != 1) {
        errs.push_back(
            validation::Invalid("values", GoStrings(r.values), "exact-match compatibility requires one single value"));
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!r.values.empty()) {
        errs.push_back(validation::Invalid("values", GoStrings(r.values),
                                           "values set must be empty for exists and does not exist"));
      }
      break;
    case Op::kGreaterThan:
    case Op::kLessThan:
      if (r.values.size() != 1) {
        errs.push_back(
            validation::Invalid("values", GoStrings(r.values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (std::size_t i = 0; i < r.values.size(); ++i) {
        std::int64_t n = 0;
        const auto& v = r.values[i];
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size()) {
          errs.push_back(validation::Invalid("values[" + std::to_string(i) + "]", validation::GoQuote(v),
                                             "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    if (auto m = validation::IsValidLabelValue(r.values[i]); !m.empty()) {
      errs.push_back(validation::Invalid("values[" + std::to_string(i) + "][" + r.key + "]",
                                         validation::GoQuote(r.values[i]), JoinErrors(m)));
    }
  }
  if (errs.empty()) return std::nullopt;
  return AggregateCauses(errs);
}

class LabelParser {
 public:
  explicit LabelParser(std::string_view text) : items_(Lex(text)) {}

  Result<std::vector<LabelSelector::Requirement>> Parse() {
    std::vector<LabelSelector::Requirement> reqs;
    for (;;) {
      const Item& it = Lookahead(true);
      if (it.tok == Tok::kEnd) return reqs;
      if (it.tok != Tok::kIdentifier && it.tok != Tok::kDoesNotExist) {
        return Bad("found '" + it.lit + "', expected: !, identifier, or 'end of string'");
      }
      auto r = ParseRequirement();
      if (!r) return Bad("unable to parse requirement: " + r.error().message);
      reqs.push_back(std::move(*r));
      const Item& next = Consume(true);
      if (next.tok == Tok::kEnd) return reqs;
      if (next.tok != Tok::kComma) return Bad("found '" + next.lit + "', expected: ',' or 'end of string'");
      const Item& after = Lookahead(true);
      if (after.tok != Tok::kIdentifier && after.tok != Tok::kDoesNotExist) {
        return Bad("found '" + after.lit + "', expected: identifier after ','");
      }
    }
  }

 private:
  static Error Bad(std::string msg) { return BadRequest(std::move(msg)); }

  // In "values" context the keywords in/notin are plain identifiers (a label may be named "in").
  Item Lookahead(bool values) const {
    Item it = items_[pos_];
    if (values && (it.tok == Tok::kIn || it.tok == Tok::kNotIn)) it.tok = Tok::kIdentifier;
    return it;
  }
  Item Consume(bool values) {
    Item it = Lookahead(values);
    if (pos_ + 1 < items_.size()) ++pos_;
    return it;
  }

  Result<LabelSelector::Requirement> ParseRequirement() {
    LabelSelector::Requirement r{Op::kEquals, {}, {}};
    bool does_not_exist = false;
    Item it = Consume(true);
    if (it.tok == Tok::kDoesNotExist) {
      does_not_exist = true;
      it = Consume(true);
    }
    if (it.tok != Tok::kIdentifier) return Bad("found '" + it.lit + "', expected: identifier");
    if (auto m = validation::IsQualifiedName(it.lit); !m.empty()) {
      // kube validates the key with a nil field path here, hence "<nil>".
      return Bad("<nil>: Invalid value: " + validation::GoQuote(it.lit) + ": " + JoinErrors(m));
    }
    r.key = it.lit;
    Tok next = Lookahead(true).tok;
    if (does_not_exist || next == Tok::kEnd || next == Tok::kComma) {
      r.op = does_not_exist ? Op::kDoesNotExist : Op::kExists;
      return Checked(std::move(r));
    }
    Item op = Consume(false);
    switch (op.tok) {
      case Tok::kIn: r.op = Op::kIn; break;
      case Tok::kNotIn: r.op = Op::kNotIn; break;
      case Tok::kEquals:
      case Tok::kDoubleEquals: r.op = Op::kEquals; break;
      case Tok::kNotEquals: r.op = Op::kNotEquals; break;
      case Tok::kGreaterThan: r.op = Op::kGreaterThan; break;
      case Tok::kLessThan: r.op = Op::kLessThan; break;
      default: return Bad("found '" + op.lit + "', expected: in, notin, =, ==, !=, gt, lt");
    }
    std::set<std::string> values;
    if (r.op == Op::kIn || r.op == Op::kNotIn) {
      auto err = ParseValues(values);
      if (err) return *err;
    } else {
      auto err = ParseExactValue(values);
      if (err) return *err;
    }
    r.values.assign(values.begin(), values.end());
    return Checked(std::move(r));
  }

  static Result<LabelSelector::Requirement> Checked(LabelSelector::Requirement r) {
    if (auto err = CheckRequirement(r)) return Bad(*err);
    return r;
  }

  std::optional<Error> ParseValues(std::set<std::string>& out) {
    Item it = Consume(true);
    if (it.tok != Tok::kOpenPar) return Bad("found '" + it.lit + "' expected: '('");
    Item la = Lookahead(true);
    if (la.tok == Tok::kClosedPar) {  // "()" is the set {""}
      Consume(true);
      out.insert("");
      return std::nullopt;
    }
    if (la.tok != Tok::kIdentifier && la.tok != Tok::kComma) {
      return Bad("found '" + la.lit + "', expected: ',', ')' or identifier");
    }
    if (auto err = ParseIdentifiers(out)) return err;
    if (Consume(true).tok != Tok::kClosedPar) return Bad("found '" + la.lit + "', expected: ')'");
    return std::nullopt;
  }

  // Values between parentheses; empty entries ("(,a)", "(a,,b)") stand for the empty value.
  std::optional<Error> ParseIdentifiers(std::set<std::string>& out) {
    for (;;) {
      Item it = Consume(true);
      if (it.tok == Tok::kIdentifier) {
        out.insert(it.lit);
        Item la = Lookahead(true);
        if (la.tok == Tok::kComma) continue;
        if (la.tok == Tok::kClosedPar) return std::nullopt;
        return Bad("found '" + la.lit + "', expected: ',' or ')'");
      }
      if (it.tok == Tok::kComma) {
        if (out.empty()) out.insert("");
        Tok la = Lookahead(true).tok;
        if (la == Tok::kClosedPar) {
          out.insert("");
          return std::nullopt;
        }
        if (la == Tok::kComma) {
          Consume(true);
          out.insert("");
        }
        continue;
      }
      return Bad("found '" + it.lit + "', expected: ',', or identifier");
    }
  }

  std::optional<Error> ParseExactValue(std::set<std::string>& out) {
    Tok la = Lookahead(true).tok;
    if (la == Tok::kEnd || la == Tok::kComma) {  // "a=" selects the empty value
      out.insert("");
      return std::nullopt;
    }
    Item it = Consume(true);
    if (it.tok != Tok::kIdentifier) return Bad("found '" + it.lit + "', expected: identifier");
    out.insert(it.lit);
    return std::nullopt;
  }

  std::vector<Item> items_;
  std::size_t pos_ = 0;
};

const std::string* FindLabel(const Labels& kv, std::string_view key) {
  auto it = std::lower_bound(kv.begin(), kv.end(), key, [](const auto& p, std::string_view k) { return p.first < k; });
  if (it != kv.end() && it->first == key) return &it->second;
  return nullptr;
}

void SortByKey(std::vector<LabelSelector::Requirement>& reqs) {
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
}

std::optional<std::int64_t> ToInt(std::string_view s) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

// ---- field selectors (k8s.io/apimachinery/pkg/fields) ---------------------------------------

std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  bool in_slash = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (in_slash) {
      in_slash = false;
    } else if (s[i] == '\\') {
      in_slash = true;
    } else if (s[i] == ',') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

Result<std::string> UnescapeValue(std::string_view s) {
  std::string out;
  bool in_slash = false;
  for (char c : s) {
    if (in_slash) {
      if (c != '\\' && c != ',' && c != '=') {
        return BadRequest("invalid field selector: invalid escape sequence: \\" + std::string(1, c));
      }
      out.push_back(c);
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v: its code point.
      return BadRequest("invalid field selector: unescaped character in value: " + std::to_string(static_cast<int>(c)));
    } else {
      out.push_back(c);
    }
  }
  if (in_slash) return BadRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

}  // namespace

bool LabelSelector::Requirement::Matches(const Labels& labels) const {
  const std::string* v = FindLabel(labels, key);
  auto in_values = [&] { return v && std::binary_search(values.begin(), values.end(), *v); };
  switch (op) {
    case Op::kEquals:
    case Op::kIn:
      return in_values();
    case Op::kNotEquals:
    case Op::kNotIn:
      return !in_values();
    case Op::kExists:
      return v != nullptr;
    case Op::kDoesNotExist:
      return v == nullptr;
    case Op::kGreaterThan:
    case Op::kLessThan: {
      if (!v || values.size() != 1) return false;
      auto have = ToInt(*v);
      auto want = ToInt(values[0]);
      if (!have || !want) return false;
      return op == Op::kGreaterThan ? *have > *want : *have < *want;
    }
  }
  return false;
}

std::string LabelSelector::Requirement::String() const {
  std::string vals;
  for (std::size_t i = 0; i < values.size(); ++i) vals += (i ? "," : "") + values[i];
  switch (op) {
    case Op::kEquals: return key + "=" + vals;
    case Op::kNotEquals: return key + "!=" + vals;
    case Op::kIn: return key + " in (" + vals + ")";
    case Op::kNotIn: return key + " notin (" + vals + ")";
    case Op::kExists: return key;
    case Op::kDoesNotExist: return "!" + key;
    case Op::kGreaterThan: return key + ">" + vals;
    case Op::kLessThan: return key + "<" + vals;
  }
  return key;
}

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelParser parser(text);
  auto reqs = parser.Parse();
  if (!reqs) return reqs.take_error();
  LabelSelector sel;
  sel.reqs_ = std::move(*reqs);
  SortByKey(sel.reqs_);
  return sel;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector sel;
  sel.nothing_ = true;
  return sel;
}

Result<LabelSelector> LabelSelector::FromJson(const nlohmann::json& selector) {
  if (selector.is_null()) return Nothing();
  if (!selector.is_object()) return BadRequest("invalid label selector");
  LabelSelector sel;
  auto ml = selector.find("matchLabels");
  if (ml != selector.end() && ml->is_object()) {
    for (auto& [k, v] : ml->items()) {
      Requirement r{Op::kEquals, k, {v.is_string() ? v.get<std::string>() : v.dump()}};
      if (auto err = CheckRequirement(r)) return BadRequest(*err);
      sel.reqs_.push_back(std::move(r));
    }
  }
  auto me = selector.find("matchExpressions");
  if (me != selector.end() && me->is_array()) {
    for (const auto& e : *me) {
      if (!e.is_object()) return BadRequest("invalid label selector requirement");
      std::string op = e.value("operator", nlohmann::json()).is_string() ? e["operator"].get<std::string>() : "";
      Requirement r{Op::kIn, e.value("key", nlohmann::json()).is_string() ? e["key"].get<std::string>() : "", {}};
      if (op == "In") {
        r.op = Op::kIn;
      } else if (op == "NotIn") {
        r.op = Op::kNotIn;
      } else if (op == "Exists") {
        r.op = Op::kExists;
      } else if (op == "DoesNotExist") {
        r.op = Op::kDoesNotExist;
      } else {
        return BadRequest(validation::GoQuote(op) + " is not a valid label selector operator");
      }
      std::set<std::string> values;
      auto vs = e.find("values");
      if (vs != e.end() && vs->is_array()) {
        for (const auto& v : *vs) values.insert(v.is_string() ? v.get<std::string>() : v.dump());
      }
      r.values.assign(values.begin(), values.end());
      if (auto err = CheckRequirement(r)) return BadRequest(*err);
      sel.reqs_.push_back(std::move(r));
    }
  }
  SortByKey(sel.reqs_);
  return sel;
}

bool LabelSelector::Matches(const Labels& labels) const {
  if (nothing_) return false;
  return std::all_of(reqs_.begin(), reqs_.end(), [&](const Requirement& r) { return r.Matches(labels); });
}

bool LabelSelector::MatchesJson(const nlohmann::json& labels) const {
  Labels kv;
  if (labels.is_object()) {
    for (auto& [k, v] : labels.items()) {
      if (v.is_string()) kv.emplace_back(k, v.get<std::string>());
    }
  }
  return Matches(kv);  // object iteration is already key-sorted
}

std::string LabelSelector::String() const {
  std::string out;
  for (std::size_t i = 0; i < reqs_.size(); ++i) out += (i ? "," : "") + reqs_[i].String();
  return out;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text, const std::vector<std::string>& allowed) {
  FieldSelector sel;
  auto parts = SplitTerms(text);
  std::sort(parts.begin(), parts.end());  // kube sorts terms, so its first error is the same one
  for (auto part : parts) {
    if (part.empty()) continue;
    Requirement r;
    std::size_t op_pos = std::string_view::npos, op_len = 0;
    for (std::size_t i = 0; i < part.size() && op_pos == std::string_view::npos; ++i) {
      std::string_view rest = part.substr(i);
      if (rest.substr(0, 2) == "!=") {
        op_pos = i, op_len = 2, r.negate = true;
      } else if (rest.substr(0, 2) == "==") {
        op_pos = i, op_len = 2;
      } else if (rest.front() == '=') {
        op_pos = i, op_len = 1;
      }
    }
    if (op_pos == std::string_view::npos) {
      return BadRequest("invalid selector: '" + std::string(text) + "'; can't understand '" + std::string(part) + "'");
    }
    auto value = UnescapeValue(part.substr(op_pos + op_len));
    if (!value) return value.take_error();
    r.field = std::string(part.substr(0, op_pos));
    r.value = std::move(*value);
    sel.reqs_.push_back(std::move(r));
  }
  for (const auto& r : sel.reqs_) {
    if (r.field != "metadata.name" && r.field != "metadata.namespace" &&
        std::find(allowed.begin(), allowed.end(), r.field) == allowed.end()) {
      return BadRequest("field label not supported: " + r.field);
    }
  }
  return sel;
}

bool FieldSelector::Matches(const Labels& fields) const {
  for (const auto& r : reqs_) {
    const std::string* v = FindLabel(fields, r.field);
    std::string_view have = v ? std::string_view(*v) : std::string_view();
    if ((have == r.value) == r.negate) return false;
  }
  return true;
}

store::Predicate MakePredicate(LabelSelector labels, FieldSelector fields) {
  if (labels.empty() && fields.empty()) return nullptr;
  return [l = std::move(labels), f = std::move(fields)](const store::Object& o) {
    return l.Matches(o.attrs.labels) && f.Matches(o.attrs.fields);
  };
}

}  // namespace vkube::resource
