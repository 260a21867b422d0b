#include "libs/resource/json_path.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "libs/resource/utf8.h"

namespace vkube::resource {

using json = nlohmann::json;

namespace json_path_detail {

enum class Kind {
  kList,
  kText,
  kField,
  kArray,
  kFilter,
  kInt,
  kFloat,
  kBool,
  kWildcard,
  kRecursive,
  kUnion,
  kIdentifier
};

struct Param {
  std::int64_t value = 0;
  bool known = false;
  bool derived = false;
};

struct Node {
  Kind kind = Kind::kList;
  std::string name;         // field name, identifier, filter operator
  json literal;             // text, int, float and bool nodes
  Param params[3];          // array nodes
  std::vector<Node> nodes;  // list: its nodes; union: one list per alternative; filter: left and right lists
};

}  // namespace json_path_detail

namespace {

using json_path_detail::Kind;
using json_path_detail::Node;
using json_path_detail::Param;

constexpr int kMaxNesting = 32;     // parseAction nesting (unions, filters, quoted keys)
constexpr int kMaxRecursion = 256;  // depth of ".." descent into the document
constexpr int kEof = -1;

Node Make(Kind kind) {
  Node n;
  n.kind = kind;
  return n;
}

bool IsDigit(int r) { return r >= '0' && r <= '9'; }
// unicode.IsLetter/IsDigit: non-ASCII runes are taken as letters.
bool IsAlphaNumeric(int r) {
  return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || IsDigit(r) || r >= 0x80;
}
bool IsTerminator(int r) {
  switch (r) {
    case kEof:
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

// fmt's %#U.
std::string GoRune(int r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  bool printable = r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0);
  if (!printable) return out;
  std::string utf8;
  AppendUtf8(utf8, static_cast<std::uint32_t>(r));
  return out + " '" + utf8 + "'";
}


// jsonpath.UnquoteExtend (strconv.UnquoteChar rules); false = "invalid syntax".
bool UnquoteExtend(std::string_view s, std::string& out) {
  if (s.size() < 2 || s.front() != s.back() || (s.front() != '"' && s.front() != '\'')) return false;
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  out.clear();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == quote) return false;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != quote) return false;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return false;
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < n; ++k) {
          int h = hex(s[i + k]);
          if (h < 0) return false;
          v = v * 16 + static_cast<std::uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
          AppendUtf8(out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return false;
          std::uint32_t v = static_cast<std::uint32_t>(e - '0');
          for (std::size_t k = 0; k < 2; ++k) {
            char o = s[i + k];
            if (o < '0' || o > '7') return false;
            v = v * 8 + static_cast<std::uint32_t>(o - '0');
          }
          if (v > 255) return false;
          i += 2;
          out += static_cast<char>(v);
          break;
        }
        return false;
    }
  }
  return true;
}

// strconv.Atoi.
bool Atoi(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

class Parser {
 public:
  explicit Parser(int nesting) : nesting_(nesting) {}

  // Parser.Parse: the root list of text and action nodes.
  std::string Parse(std::string_view text, Node& root) {
    input_ = text;
    pos_ = start_ = 0;
    root = Make(Kind::kList);
    while (true) {
      std::size_t brace = input_.find('{', pos_);
      if (brace == std::string_view::npos) {
        pos_ = input_.size();
        if (pos_ > start_) root.nodes.push_back(Text(Consume()));
        return "";
      }
      pos_ = brace;
      if (pos_ > start_) root.nodes.push_back(Text(Consume()));
      pos_ += 1;
      Consume();
      root.nodes.push_back(Make(Kind::kList));
      if (std::string err = InsideAction(root.nodes.back()); !err.empty()) return err;
    }
  }

 private:
  static Node Text(std::string s) {
    Node n = Make(Kind::kText);
    n.literal = std::move(s);
    return n;
  }

  std::string Consume() {
    std::string v(input_.substr(start_, pos_ - start_));
    start_ = pos_;
    return v;
  }

  int Next() {
    if (pos_ >= input_.size()) {
      width_ = 0;
      return kEof;
    }
    auto c = static_cast<unsigned char>(input_[pos_]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    int r = 0xFFFD;
    if (n == 1) {
      r = c;
    } else if (n > 1 && pos_ + n <= input_.size()) {
      std::uint32_t v = c & (0x7F >> n);
      bool ok = true;
      for (std::size_t k = 1; k < n && ok; ++k) {
        auto cc = static_cast<unsigned char>(input_[pos_ + k]);
        ok = (cc & 0xC0) == 0x80;
        v = (v << 6) | (cc & 0x3F);
      }
      if (ok) {
        r = static_cast<int>(v);
      } else {
        n = 1;
      }
    } else {
      n = 1;
    }
    width_ = n;
    pos_ += n;
    return r;
  }
  int Peek() {
    int r = Next();
    Backup();
    return r;
  }
  void Backup() { pos_ -= width_; }
  bool HasPrefix(std::string_view p) const { return input_.substr(pos_, p.size()) == p; }

  // parseInsideAction, looping where Go recurses: returns after the closing "}".
  std::string InsideAction(Node& cur) {
    while (true) {
      if (HasPrefix("}")) {
        pos_ += 1;
        Consume();
        return "";
      }
      if (HasPrefix("[?(")) {
        if (auto err = Filter(cur); !err.empty()) return err;
        continue;
      }
      if (HasPrefix("..")) {
        if (!cur.nodes.empty() && cur.nodes.back().kind == Kind::kRecursive) {
          return "invalid multiple recursive descent";
        }
        pos_ += 2;
        Consume();
        cur.nodes.push_back(Make(Kind::kRecursive));
        if (IsAlphaNumeric(Peek())) Field(cur);
        continue;
      }
      int r = Next();
      std::string err;
      if (r == kEof || r == '\r' || r == '\n') {
        return "unclosed action";
      } else if (r == ' ' || r == '@' || r == '$') {
        Consume();
      } else if (r == '[') {
        err = Array(cur);
      } else if (r == '"' || r == '\'') {
        err = Quote(cur, r);
      } else if (r == '.') {
        Field(cur);
      } else if (r == '+' || r == '-' || IsDigit(r)) {
        Backup();
        err = Number(cur);
      } else if (IsAlphaNumeric(r)) {
        Backup();
        Identifier(cur);
      } else {
        return "unrecognized character in action: " + GoRune(r);
      }
      if (!err.empty()) return err;
    }
  }

  void Identifier(Node& cur) {
    while (true) {
      if (IsTerminator(Next())) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    if (value == "true" || value == "false") {
      Node n = Make(Kind::kBool);
      n.literal = value == "true";
      cur.nodes.push_back(std::move(n));
    } else {
      Node n = Make(Kind::kIdentifier);
      n.name = std::move(value);
      cur.nodes.push_back(std::move(n));
    }
  }

  std::string Number(Node& cur) {
    int r = Peek();
    if (r == '+' || r == '-') Next();
    while (true) {
      r = Next();
      if (r != '.' && !IsDigit(r)) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    std::int64_t i = 0;
    if (Atoi(value, i)) {
      Node n = Make(Kind::kInt);
      n.literal = i;
      cur.nodes.push_back(std::move(n));
      return "";
    }
    std::string_view f = value;
    if (!f.empty() && f[0] == '+') f.remove_prefix(1);
    double d = 0;
    auto res = std::from_chars(f.data(), f.data() + f.size(), d);
    // strconv.ParseFloat accepts "1." and out-of-range values (as ±Inf, with an error: refused here too).
    if (res.ec == std::errc() && res.ptr == f.data() + f.size() && !f.empty() && f[0] != '+') {
      Node n = Make(Kind::kFloat);
      n.literal = d;
      cur.nodes.push_back(std::move(n));
      return "";
    }
    return "cannot parse number " + value;
  }

  // parseAction: the single action list of "{" + text + "}".
  std::string Action(std::string_view text, Node& out) {
    if (nesting_ >= kMaxNesting) return "jsonpath expression nested too deeply";
    Parser sub(nesting_ + 1);
    Node root;
    std::string wrapped = "{" + std::string(text) + "}";
    if (auto err = sub.Parse(wrapped, root); !err.empty()) return err;
    if (root.nodes.empty() || root.nodes.front().kind != Kind::kList) return "invalid syntax";
    out = std::move(root.nodes.front());
    return "";
  }

  std::string Array(Node& cur) {
    while (true) {
      int r = Next();
      if (r == kEof || r == '\n') return "unterminated array";
      if (r == ']') break;
    }
    std::string text = Consume();
    text = text.substr(1, text.size() - 2);
    if (text == "*") text = ":";

    if (text.find(',') != std::string::npos) {
      Node u = Make(Kind::kUnion);
      std::size_t from = 0;
      while (true) {
        std::size_t comma = text.find(',', from);
        std::string part = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        std::size_t b = part.find_first_not_of(' '), e = part.find_last_not_of(' ');
        part = b == std::string::npos ? "" : part.substr(b, e - b + 1);
        Node list;
        if (auto err = Action("[" + part + "]", list); !err.empty()) return err;
        u.nodes.push_back(std::move(list));
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
      cur.nodes.push_back(std::move(u));
      return "";
    }
    // dictKeyRex ^'([^']*)'$: the key is parsed as a field path, so dots in it need escaping.
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' && text.find('\'', 1) == text.size() - 1) {
      Node list;
      if (auto err = Action("." + text.substr(1, text.size() - 2), list); !err.empty()) return err;
      for (auto& n : list.nodes) cur.nodes.push_back(std::move(n));
      return "";
    }
    // sliceOperatorRex ^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$
    std::string groups[3];
    bool present[3] = {true, false, false};
    std::size_t i = 0;
    auto digits = [&](std::string& g) {
      if (i < text.size() && text[i] == '-') g += text[i++];
      while (i < text.size() && IsDigit(text[i])) g += text[i++];
    };
    digits(groups[0]);
    for (int g = 1; g < 3 && i < text.size() && text[i] == ':'; ++g) {
      present[g] = true;
      ++i;
      digits(groups[g]);
    }
    if (i != text.size()) return "invalid array index " + text;
    Node a = Make(Kind::kArray);
    for (int g = 0; g < 3; ++g) {
      Param& p = a.params[g];
      if (g == 0 ? !groups[0].empty() : present[g]) {
        if (g > 0 && groups[g].empty()) {
          p.known = false;
        } else {
          p.known = true;
          if (!Atoi(groups[g], p.value)) return "array index " + groups[g] + " is not a number";
        }
      } else if (g == 1) {
        p.known = true;
        p.value = static_cast<std::int64_t>(static_cast<std::uint64_t>(a.params[0].value) + 1);  // Go's int wraps
        p.derived = true;
      }
    }
    cur.nodes.push_back(std::move(a));
    return "";
  }

  std::string Filter(Node& cur) {
    pos_ += 3;
    Consume();
    bool begin = false, end = false;
    int pair = 0;
    while (true) {
      int r = Next();
      if (r == kEof || r == '\n') return "unterminated filter";
      if (r == '"' || r == '\'') {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (pos_ >= 2 && input_[pos_ - 2] != '\\' && r == pair) end = true;
      } else if (r == ')') {
        if (begin == end) break;
      }
    }
    if (Next() != ']') return "unclosed array expect ]";
    std::string text = Consume();
    text = text.substr(0, text.size() - 2);
    // ^([^!<>=]+)([!<>=]+)(.+?)$
    auto op_char = [](char c) { return c == '!' || c == '<' || c == '>' || c == '='; };
    std::size_t l = 0;
    while (l < text.size() && !op_char(text[l])) ++l;
    std::size_t o = l;
    while (o < text.size() && op_char(text[o])) ++o;
    if (o == text.size() && o - l > 1) --o;  // the right side needs a character
    bool matched = l > 0 && o > l && o < text.size() && text.find('\n', o) == std::string::npos;
    Node f = Make(Kind::kFilter);
    Node left, right = Make(Kind::kList);
    if (!matched) {
      if (auto err = Action(text, left); !err.empty()) return err;
      f.name = "exists";
    } else {
      if (auto err = Action(text.substr(0, l), left); !err.empty()) return err;
      if (auto err = Action(text.substr(o), right); !err.empty()) return err;
      f.name = text.substr(l, o - l);
    }
    f.nodes.push_back(std::move(left));
    f.nodes.push_back(std::move(right));
    cur.nodes.push_back(std::move(f));
    return "";
  }

  std::string Quote(Node& cur, int end) {
    while (true) {
      int r = Next();
      if (r == kEof || r == '\n') return "unterminated quoted string";
      if (r == end && pos_ >= 2 && input_[pos_ - 2] != '\\') break;
    }
    std::string value = Consume();
    std::string s;
    if (!UnquoteExtend(value, s)) return "unquote string " + value + " error invalid syntax";
    cur.nodes.push_back(Text(std::move(s)));
    return "";
  }

  void Field(Node& cur) {
    Consume();
    while (true) {
      int r = Next();
      if (r == '\\') {
        Next();
      } else if (IsTerminator(r)) {
        Backup();
        break;
      }
    }
    std::string value = Consume();
    if (value == "*") {
      cur.nodes.push_back(Make(Kind::kWildcard));
      return;
    }
    Node n = Make(Kind::kField);
    for (char c : value) {
      if (c != '\\') n.name += c;
    }
    cur.nodes.push_back(std::move(n));
  }

  std::string_view input_;
  std::size_t pos_ = 0, start_ = 0, width_ = 0;
  int nesting_;
};

// ------------------------------------------------------------------------------------------------------
// Evaluation (JSONPath.FindResults with AllowMissingKeys(true)).

using Values = std::vector<const json*>;

struct EvalError {};

enum class BasicKind { kBool, kInt, kFloat, kString, kInvalid };

BasicKind BasicKindOf(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return BasicKind::kBool;
    case json::value_t::number_integer:
      return BasicKind::kInt;
    case json::value_t::number_unsigned:
      return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                 ? BasicKind::kInt
                 : BasicKind::kFloat;
    case json::value_t::number_float:
      return BasicKind::kFloat;
    case json::value_t::string:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

// template.Equal / template.Less: false with ok=false on incompatible or unordered kinds.
bool Equal(const json& a, const json& b, bool& ok) {
  BasicKind ka = BasicKindOf(a), kb = BasicKindOf(b);
  if (ka == BasicKind::kInvalid || kb == BasicKind::kInvalid || ka != kb) {
    ok = false;
    return false;
  }
  switch (ka) {
    case BasicKind::kBool:
      return a.get<bool>() == b.get<bool>();
    case BasicKind::kInt:
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    case BasicKind::kFloat:
      return a.get<double>() == b.get<double>();
    default:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  }
}

bool Less(const json& a, const json& b, bool& ok) {
  BasicKind ka = BasicKindOf(a), kb = BasicKindOf(b);
  if (ka == BasicKind::kInvalid || kb == BasicKind::kInvalid || ka != kb || ka == BasicKind::kBool) {
    ok = false;
    return false;
  }
  switch (ka) {
    case BasicKind::kInt:
      return a.get<std::int64_t>() < b.get<std::int64_t>();
    case BasicKind::kFloat:
      return a.get<double>() < b.get<double>();
    default:
      return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
  }
}

class Evaluator {
 public:
  Values Walk(const Values& in, const Node& node) {
    switch (node.kind) {
      case Kind::kList: {
        Values cur = in;
        for (const auto& n : node.nodes) cur = Walk(cur, n);
        return cur;
      }
      case Kind::kText:
        return {&node.literal};
      case Kind::kInt:
      case Kind::kFloat:
      case Kind::kBool:
        return Values(in.size(), &node.literal);
      case Kind::kField:
        return FieldOf(in, node.name);
      case Kind::kArray:
        return ArrayOf(in, node);
      case Kind::kFilter:
        return FilterOf(in, node);
      case Kind::kWildcard:
        return WildcardOf(in);
      case Kind::kRecursive:
        return RecursiveOf(in, 0);
      case Kind::kUnion: {
        Values out;
        for (const auto& list : node.nodes) {
          Values part = Walk(in, list);
          out.insert(out.end(), part.begin(), part.end());
        }
        return out;
      }
      case Kind::kIdentifier:
        throw EvalError{};  // "range"/"end" templates are not supported
    }
    return {};
  }

 private:
  static Values FieldOf(const Values& in, const std::string& name) {
    Values out;
    for (const json* v : in) {
      if (!v->is_object()) continue;
      auto it = v->find(name);
      if (it != v->end()) out.push_back(&*it);
    }
    return out;
  }

  static Values ArrayOf(const Values& in, const Node& node) {
    Values out;
    for (const json* v : in) {
      if (v->is_null()) continue;
      if (!v->is_array()) throw EvalError{};
      // No overflow: only negative or zero indices get the length added.
      const auto len = static_cast<std::int64_t>(v->size());
      std::int64_t p0 = node.params[0].known ? node.params[0].value : 0;
      std::int64_t p1 = node.params[1].known ? node.params[1].value : len;
      if (p0 < 0) p0 += len;
      if (node.params[1].known && (p1 < 0 || (p1 == 0 && node.params[1].derived))) p1 += len;
      if (p1 == p0) return out;  // zero elements requested: kube returns what it has so far
      if (p0 >= len || p0 < 0 || p1 > len || p1 < 0 || p0 > p1) throw EvalError{};
      std::int64_t step = 1;
      if (node.params[2].known) {
        if (node.params[2].value <= 0) throw EvalError{};
        step = node.params[2].value;
      }
      for (std::int64_t i = p0; i < p1; i += step) {
        out.push_back(&(*v)[static_cast<std::size_t>(i)]);
        if (p1 - i <= step) break;
      }
    }
    return out;
  }

  static Values WildcardOf(const Values& in) {
    Values out;
    for (const json* v : in) {
      if (v->is_object() || v->is_array()) {
        for (const auto& e : *v) out.push_back(&e);
      }
    }
    return out;
  }

  // Containers and non-empty strings (which Go descends into byte by byte), each before its descendants.
  Values RecursiveOf(const Values& in, int depth) {
    Values out;
    if (depth > kMaxRecursion) return out;
    for (const json* v : in) {
      if (v->is_string()) {
        if (!v->get_ref<const std::string&>().empty()) out.push_back(v);
        continue;
      }
      if (!(v->is_object() || v->is_array()) || v->empty()) continue;
      out.push_back(v);
      Values children;
      for (const auto& e : *v) children.push_back(&e);
      Values below = RecursiveOf(children, depth + 1);
      out.insert(out.end(), below.begin(), below.end());
    }
    return out;
  }

  Values FilterOf(const Values& in, const Node& node) {
    Values out;
    const Node& left_list = node.nodes[0];
    const Node& right_list = node.nodes[1];
    for (const json* v : in) {
      if (!v->is_array()) throw EvalError{};
      for (const auto& elem : *v) {
        Values one{&elem};
        if (node.name == "exists") {
          try {
            if (!Walk(one, left_list).empty()) out.push_back(&elem);
          } catch (const EvalError&) {
          }
          continue;
        }
        Values lefts = Walk(one, left_list);
        if (lefts.empty()) continue;
        if (lefts.size() > 1) throw EvalError{};
        Values rights = Walk(one, right_list);
        if (rights.empty()) continue;
        if (rights.size() > 1) throw EvalError{};
        const json& l = *lefts[0];
        const json& r = *rights[0];
        bool ok = true, pass = false;
        const std::string& op = node.name;
        if (op == "<") {
          pass = Less(l, r, ok);
        } else if (op == ">") {
          bool lt = Less(l, r, ok);
          pass = ok && !(lt || Equal(l, r, ok));
        } else if (op == "==") {
          pass = Equal(l, r, ok);
        } else if (op == "!=") {
          pass = !Equal(l, r, ok);
        } else if (op == "<=") {
          pass = Less(l, r, ok);
          if (ok && !pass) pass = Equal(l, r, ok);
        } else if (op == ">=") {
          pass = !Less(l, r, ok);
        } else {
          throw EvalError{};
        }
        if (!ok) throw EvalError{};
        if (pass) out.push_back(&elem);
      }
    }
    return out;
  }
};

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view expr) {
  std::string text(expr);
  std::size_t b = text.find_first_not_of(" \t");
  if (b == std::string::npos || text[b] != '{') text = "{" + text + "}";
  auto root = std::make_shared<Node>();
  if (std::string err = Parser(0).Parse(text, *root); !err.empty()) return Error::Make(ErrorCode::kBadRequest, err);
  return JsonPath(std::move(root));
}

std::vector<const json*> JsonPath::Find(const json& doc) const {
  std::vector<const json*> out;
  if (!root_) return out;
  try {
    Evaluator eval;
    for (const auto& node : root_->nodes) {
      Values part = eval.Walk({&doc}, node);
      out.insert(out.end(), part.begin(), part.end());
    }
  } catch (const EvalError&) {
    out.clear();
  } catch (...) {
    out.clear();
  }
  return out;
}

}  // namespace vkube::resource
