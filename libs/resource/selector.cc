#include "libs/resource/selector.h"

#include <algorithm>
#include <cctype>

namespace vkube::resource {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string_view> SplitTop(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(Trim(s.substr(start)));
  return out;
}

bool ValidLabelToken(std::string_view s, bool allow_slash) {
  if (s.empty()) return !allow_slash;  // empty value ok, empty key not
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && !(allow_slash && c == '/'))
      return false;
  }
  return true;
}

const std::string* Find(const std::vector<std::pair<std::string, std::string>>& kv, std::string_view key) {
  auto it = std::lower_bound(kv.begin(), kv.end(), key, [](const auto& p, std::string_view k) { return p.first < k; });
  if (it != kv.end() && it->first == key) return &it->second;
  // tolerate unsorted input
  for (const auto& p : kv) {
    if (p.first == key) return &p.second;
  }
  return nullptr;
}

Error Bad(std::string_view text, std::string why) {
  return Error::Make(ErrorCode::kBadRequest,
                     "unable to parse requirement: " + why + " (selector: \"" + std::string(text) + "\")");
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (auto part : SplitTop(text)) {
    if (part.empty()) return Bad(text, "found '', expected: identifier");
    Requirement r;
    auto set_op = [&](std::string_view op_word, Requirement::Op op) -> std::optional<Error> {
      auto pos = part.find(op_word);
      std::string_view key = Trim(part.substr(0, pos));
      std::string_view rest = Trim(part.substr(pos + op_word.size()));
      if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') return Bad(text, "expected '(' values ')'");
      r.op = op;
      r.key = std::string(key);
      rest = rest.substr(1, rest.size() - 2);
      std::size_t start = 0;
      for (;;) {
        auto comma = rest.find(',', start);
        auto v = Trim(rest.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!ValidLabelToken(v, false)) return Bad(text, "invalid label value: \"" + std::string(v) + "\"");
        r.values.emplace_back(v);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      return std::nullopt;
    };
    std::optional<Error> err;
    if (part.find(" notin ") != std::string_view::npos) {
      err = set_op(" notin ", Requirement::Op::kNotIn);
    } else if (part.find(" in ") != std::string_view::npos) {
      err = set_op(" in ", Requirement::Op::kIn);
    } else if (auto p = part.find("!="); p != std::string_view::npos) {
      r.op = Requirement::Op::kNotEquals;
      r.key = std::string(Trim(part.substr(0, p)));
      r.values.emplace_back(Trim(part.substr(p + 2)));
    } else if (auto p2 = part.find("=="); p2 != std::string_view::npos) {
      r.op = Requirement::Op::kEquals;
      r.key = std::string(Trim(part.substr(0, p2)));
      r.values.emplace_back(Trim(part.substr(p2 + 2)));
    } else if (auto p3 = part.find('='); p3 != std::string_view::npos) {
      r.op = Requirement::Op::kEquals;
      r.key = std::string(Trim(part.substr(0, p3)));
      r.values.emplace_back(Trim(part.substr(p3 + 1)));
    } else if (part.front() == '!') {
      r.op = Requirement::Op::kDoesNotExist;
      r.key = std::string(Trim(part.substr(1)));
    } else {
      r.op = Requirement::Op::kExists;
      r.key = std::string(part);
    }
    if (err) return *err;
    if (!ValidLabelToken(r.key, true)) return Bad(text, "invalid label key \"" + r.key + "\"");
    for (const auto& v : r.values) {
      if (!ValidLabelToken(v, false)) return Bad(text, "invalid label value: \"" + v + "\"");
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::Matches(const std::vector<std::pair<std::string, std::string>>& labels) const {
  for (const auto& r : reqs_) {
    const std::string* v = Find(labels, r.key);
    switch (r.op) {
      case Requirement::Op::kEquals:
        if (!v || *v != r.values[0]) return false;
        break;
      case Requirement::Op::kNotEquals:
        if (v && *v == r.values[0]) return false;
        break;
      case Requirement::Op::kIn:
        if (!v || std::find(r.values.begin(), r.values.end(), *v) == r.values.end()) return false;
        break;
      case Requirement::Op::kNotIn:
        if (v && std::find(r.values.begin(), r.values.end(), *v) != r.values.end()) return false;
        break;
      case Requirement::Op::kExists:
        if (!v) return false;
        break;
      case Requirement::Op::kDoesNotExist:
        if (v) return false;
        break;
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text, const std::vector<std::string>& allowed) {
  FieldSelector sel;
  if (Trim(text).empty()) return sel;
  for (auto part : SplitTop(text)) {
    Requirement r;
    std::size_t op_len = 1;
    auto p = part.find("!=");
    if (p != std::string_view::npos) {
      r.negate = true;
      op_len = 2;
    } else if ((p = part.find("==")) != std::string_view::npos) {
      op_len = 2;
    } else {
      p = part.find('=');
    }
    if (p == std::string_view::npos) {
      return Error::Make(ErrorCode::kBadRequest, "invalid selector: '" + std::string(text) +
                                                     "'; can't understand '" + std::string(part) + "'");
    }
    r.field = std::string(Trim(part.substr(0, p)));
    r.value = std::string(Trim(part.substr(p + op_len)));
    if (r.field != "metadata.name" && r.field != "metadata.namespace" &&
        std::find(allowed.begin(), allowed.end(), r.field) == allowed.end()) {
      return Error::Make(ErrorCode::kBadRequest, "field label not supported: " + r.field);
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

bool FieldSelector::Matches(const std::vector<std::pair<std::string, std::string>>& fields) const {
  for (const auto& r : reqs_) {
    const std::string* v = Find(fields, r.field);
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
