#include "libs/resource/structural_schema.h"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/regex.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "libs/resource/utf8.h"
#include "libs/resource/validation.h"

// Boost's backtracking matcher gives up after max_state_count states; its own estimate grows with
// length x pattern size squared (tens of seconds for a crafted pattern on a 10 KB string). kube's RE2 is linear,
// so a tenant's pattern gets a budget linear in the input: pathological patterns fail fast (as no match),
// ordinary ones never come close. This specializes the estimate for the one matcher type used here.
namespace boost::BOOST_REGEX_DETAIL_NS {
using VkubeIt = std::string::const_iterator;
template <>
inline void
perl_matcher<VkubeIt, std::allocator<sub_match<VkubeIt>>,
             regex_traits<char, cpp_regex_traits<char>>>::estimate_max_state_count(std::random_access_iterator_tag*) {
  max_state_count = 1000000 + 16 * static_cast<std::ptrdiff_t>(last - base);
}
}  // namespace boost::BOOST_REGEX_DETAIL_NS

namespace vkube::resource {

namespace v = validation;
using json = nlohmann::json;

namespace structural_detail {

// One x-kubernetes-validations entry (only statically checked: vkube does not evaluate CEL).
struct Rule {
  std::string rule, message, message_expression, field_path;
  std::optional<std::string> reason;
  std::optional<bool> optional_old_self;
};

// A JSONSchemaProps node as kube decodes it, plus what compilation adds (the pattern's regex). Absent,
// null and wrong-typed keywords read as Go's zero values.
struct Props {
  bool opaque = false;  // too deep or not an object: accepts and preserves anything

  // Keywords kube rejects (kept so Check can report them).
  bool has_id = false, has_schema_uri = false, has_ref = false, has_pattern_properties = false,
       has_dependencies = false, has_dependency_entries = false, has_additional_items = false, has_definitions = false,
       items_is_array = false;
  std::map<std::string, std::unique_ptr<Props>> definitions, dependencies;
  std::vector<std::unique_ptr<Props>> items_array;

  // Generic.
  std::string type, description, title, format;
  bool nullable = false;
  std::optional<json> default_value;  // non-null `default`

  // Value validation.
  std::optional<double> maximum, minimum, multiple_of;
  bool exclusive_maximum = false, exclusive_minimum = false, unique_items = false;
  std::optional<std::int64_t> max_length, min_length, max_items, min_items, max_properties, min_properties;
  std::string pattern;
  std::shared_ptr<const boost::regex> pattern_re;  // null when pattern is empty or invalid
  std::string pattern_error;                       // Go-style compile error
  std::vector<json> enum_values;
  std::vector<std::string> required;
  std::vector<std::unique_ptr<Props>> all_of, any_of, one_of;
  std::unique_ptr<Props> not_schema;

  // Structure.
  std::map<std::string, std::unique_ptr<Props>> properties;
  std::unique_ptr<Props> items;
  bool has_additional = false, additional_allows = false;
  std::unique_ptr<Props> additional;  // additionalProperties as a schema

  // Kubernetes extensions.
  std::optional<bool> preserve_unknown;
  bool embedded = false, int_or_string = false;
  std::optional<std::string> list_type, map_type;
  std::vector<std::string> list_map_keys;
  std::vector<Rule> validations;

  bool Preserves() const { return opaque || preserve_unknown.value_or(false); }
  const Props* Property(const std::string& k) const {
    auto it = properties.find(k);
    return it == properties.end() ? nullptr : it->second.get();
  }
  // Structural AdditionalProperties.Structural (null for `additionalProperties: true/false`).
  const Props* AdditionalSchema() const { return additional.get(); }
};

}  // namespace structural_detail

namespace {

using structural_detail::Props;
using structural_detail::Rule;

constexpr int kMaxDepth = StructuralSchema::kMaxSchemaDepth;
constexpr int kMaxDataDepth = 512;    // walks over data without a schema (pruning under nil schemas)
constexpr int kMaxRenderDepth = 100;  // Go-syntax rendering and comparison of arbitrary values

// ----------------------------------------------------------------------------------------------------
// Go values: JSON decoded as kube decodes it (integers that fit int64 are int64, other numbers float64).

enum class GoKind { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

GoKind KindOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return GoKind::kNull;
    case json::value_t::boolean:
      return GoKind::kBool;
    case json::value_t::number_integer:
      return GoKind::kInt;
    case json::value_t::number_unsigned:
      return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                 ? GoKind::kInt
                 : GoKind::kFloat;
    case json::value_t::number_float:
      return GoKind::kFloat;
    case json::value_t::string:
      return GoKind::kString;
    case json::value_t::array:
      return GoKind::kArray;
    case json::value_t::object:
      return GoKind::kObject;
    default:
      return GoKind::kNull;  // discarded/binary: never produced by the JSON parser
  }
}

std::int64_t AsInt(const json& v) {
  if (v.is_number_unsigned()) return static_cast<std::int64_t>(v.get<std::uint64_t>());
  if (v.is_number_integer()) return v.get<std::int64_t>();
  return 0;
}

double AsFloat(const json& v) {
  if (v.is_number_unsigned()) return static_cast<double>(v.get<std::uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<std::int64_t>());
  if (v.is_number_float()) return v.get<double>();
  return 0;
}

// Go's int64(f) on amd64: out of range (and NaN) yields math.MinInt64.
std::int64_t GoInt64(double f) {
  if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(f);
}

// Go's string(rune(i)): the UTF-8 of a code point, U+FFFD for invalid ones.
std::string RuneString(std::int64_t i) {
  std::string out;
  AppendUtf8(out, (i < 0 || i > 0x10FFFF) ? 0xFFFDu : static_cast<std::uint32_t>(i));
  return out;
}

// swag.IsFloat64AJSONInteger.
bool IsJsonInteger(double f) {
  constexpr double kMax = 9007199254740992.0;  // 1<<53
  if (std::isnan(f) || std::isinf(f) || f < -kMax || f > kMax) return false;
  if (f == std::trunc(f)) return true;
  if (f < 0) return false;  // Go's uint64(negative) makes the relative error ~1
  double g = std::trunc(f);
  double diff = std::fabs(f - g);
  if (g == 0) return diff < 1e-9 * std::numeric_limits<double>::denorm_min();
  return diff / std::min(f + g, std::numeric_limits<double>::max()) < 1e-9;
}

// fmt's %v of a float64 (strconv 'g' with the shortest precision).
std::string GoFloat(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  std::string out;
  if (!s.empty() && s[0] == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  auto e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  if (exp < -4 || exp >= 6) {  // %e
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    std::string ed = std::to_string(std::abs(exp));
    if (ed.size() < 2) ed = "0" + ed;
    return out + ed;
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) return out + "0." + std::string(static_cast<std::size_t>(-dp), '0') + digits;
  if (static_cast<std::size_t>(dp) >= digits.size()) {
    return out + digits + std::string(static_cast<std::size_t>(dp) - digits.size(), '0');
  }
  return out + digits.substr(0, static_cast<std::size_t>(dp)) + "." + digits.substr(static_cast<std::size_t>(dp));
}

// %v of a number as Go prints the decoded value.
std::string GoNumber(const json& v) {
  return KindOf(v) == GoKind::kInt ? std::to_string(AsInt(v)) : GoFloat(AsFloat(v));
}

// Go's fmt of an interface{} holding decoded JSON: %#v (sharp) or %v.
void GoFormat(const json& v, bool sharp, int depth, std::string& out) {
  if (depth > kMaxRenderDepth) {
    out += "...";
    return;
  }
  const char* sep = sharp ? ", " : " ";
  switch (KindOf(v)) {
    case GoKind::kNull:
      out += sharp ? "interface {}(nil)" : "<nil>";
      return;
    case GoKind::kBool:
      out += v.get<bool>() ? "true" : "false";
      return;
    case GoKind::kInt:
    case GoKind::kFloat:
      out += GoNumber(v);
      return;
    case GoKind::kString:
      out += sharp ? v::GoQuote(v.get_ref<const std::string&>()) : v.get_ref<const std::string&>();
      return;
    case GoKind::kArray: {
      out += sharp ? "[]interface {}{" : "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += sep;
        first = false;
        GoFormat(e, sharp, depth + 1, out);
      }
      out += sharp ? "}" : "]";
      return;
    }
    case GoKind::kObject: {
      out += sharp ? "map[string]interface {}{" : "map[";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += sep;
        first = false;
        out += (sharp ? v::GoQuote(it.key()) : it.key()) + ":";
        GoFormat(it.value(), sharp, depth + 1, out);
      }
      out += sharp ? "}" : "]";
      return;
    }
  }
}

// The value as field.Error.ErrorBody prints a BadValue holding decoded JSON (nil prints as "null").
std::string BadValue(const json& v) {
  switch (KindOf(v)) {
    case GoKind::kNull:
      return "\"null\"";
    case GoKind::kBool:
      return v.get<bool>() ? "true" : "false";
    case GoKind::kInt:
    case GoKind::kFloat:
      return GoNumber(v);
    case GoKind::kString:
      return v::GoQuote(v.get_ref<const std::string&>());
    default: {
      std::string out;
      GoFormat(v, true, 0, out);
      return out;
    }
  }
}

// encoding/json's float64 format.
std::string GoJsonFloat(double f) {
  if (std::isnan(f) || std::isinf(f)) return "null";
  double a = std::fabs(f);
  char buf[64];
  std::to_chars_result res;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string s(buf, res.ptr);
    // Go prints e-07 as e-7.
    auto e = s.find('e');
    if (e != std::string::npos && e + 2 < s.size() && s[e + 2] == '0') s.erase(e + 2, 1);
    return s;
  }
  res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

// json.Marshal of decoded JSON (map keys sorted); past the depth cap every value is distinct.
void GoMarshal(const json& v, int depth, std::string& out) {
  if (depth > kMaxRenderDepth) {
    out += "\x01" + std::to_string(reinterpret_cast<std::uintptr_t>(&v));
    return;
  }
  switch (KindOf(v)) {
    case GoKind::kFloat:
      out += GoJsonFloat(AsFloat(v));
      return;
    case GoKind::kArray: {
      out += "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ",";
        first = false;
        GoMarshal(e, depth + 1, out);
      }
      out += "]";
      return;
    }
    case GoKind::kObject: {
      out += "{";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ",";
        first = false;
        out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace) + ":";
        GoMarshal(it.value(), depth + 1, out);
      }
      out += "}";
      return;
    }
    case GoKind::kInt:
      out += std::to_string(AsInt(v));
      return;
    default:
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
      return;
  }
}

std::string Marshal(const json& v) {
  std::string out;
  GoMarshal(v, 0, out);
  return out;
}

// reflect.DeepEqual of decoded JSON (int64 and float64 differ).
bool DeepEqual(const json& a, const json& b, int depth = 0) {
  if (depth > kMaxRenderDepth) return false;
  GoKind ka = KindOf(a), kb = KindOf(b);
  if (ka != kb) return false;
  switch (ka) {
    case GoKind::kNull:
      return true;
    case GoKind::kBool:
      return a.get<bool>() == b.get<bool>();
    case GoKind::kInt:
      return AsInt(a) == AsInt(b);
    case GoKind::kFloat:
      return AsFloat(a) == AsFloat(b);
    case GoKind::kString:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    case GoKind::kArray: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!DeepEqual(a[i], b[i], depth + 1)) return false;
      }
      return true;
    }
    case GoKind::kObject: {
      if (a.size() != b.size()) return false;
      for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt) {
        if (it.key() != jt.key() || !DeepEqual(it.value(), jt.value(), depth + 1)) return false;
      }
      return true;
    }
  }
  return false;
}

// ----------------------------------------------------------------------------------------------------
// field.Path rendering.

std::string PChild(const std::string& p, std::string_view name) {
  return p.empty() ? std::string(name) : p + "." + std::string(name);
}
std::string PKey(const std::string& p, std::string_view key) { return p + "[" + std::string(key) + "]"; }
std::string PIndex(const std::string& p, std::size_t i) { return p + "[" + std::to_string(i) + "]"; }

FieldCause TypeInvalid(std::string field, std::string_view value_repr, std::string_view detail) {
  std::string msg = "Invalid value: " + std::string(value_repr);
  if (!detail.empty()) msg.append(": ").append(detail);
  return FieldCause{"FieldValueTypeInvalid", std::move(msg), std::move(field)};
}

// %#v of a []string.
std::string GoStringSlice(const std::vector<std::string>& s) {
  std::string out = "[]string{";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + v::GoQuote(s[i]);
  return out + "}";
}

// ----------------------------------------------------------------------------------------------------
// Patterns: kube compiles them with Go's RE2; Boost's Perl syntax is close, with Go's defaults (no
// multi-line anchors, '.' not matching newline). Constructs RE2 rejects are rejected here too.

constexpr auto kRegexFlags = boost::regex::perl | boost::regex::no_mod_m | boost::regex::no_mod_s;

// The first construct Go's regexp/syntax refuses that Boost would accept, as Go words it.
std::string Re2Refusal(std::string_view p) {
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (!in_class && n >= '1' && n <= '9') return "invalid escape sequence: `\\" + std::string(1, n) + "`";
      if (n == 'Z' || n == 'G') return "invalid escape sequence: `\\" + std::string(1, n) + "`";
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // a leading ']' is literal
      continue;
    }
    if (c == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      char n = p[i + 2];
      if (n == '=' || n == '!' || n == '>' || (n == '<' && i + 3 < p.size() && (p[i + 3] == '=' || p[i + 3] == '!'))) {
        return "invalid or unsupported Perl syntax: `" + std::string(p.substr(i, 3)) + "`";
      }
    }
  }
  return "";
}

void CompilePattern(Props& p) {
  if (p.pattern.empty()) return;
  std::string err = Re2Refusal(p.pattern);
  if (err.empty()) {
    std::string boost_pattern = p.pattern;
    // Go's named groups (?P<name>...) are (?<name>...) for Boost.
    for (std::size_t at = boost_pattern.find("(?P<"); at != std::string::npos; at = boost_pattern.find("(?P<", at)) {
      boost_pattern.erase(at + 2, 1);
    }
    try {
      p.pattern_re = std::make_shared<const boost::regex>(boost_pattern, kRegexFlags);
    } catch (const std::exception& e) {
      std::string what = e.what();
      auto dot = what.find(".  ");
      if (dot != std::string::npos) what.resize(dot);
      err = what + ": `" + p.pattern + "`";
    } catch (...) {
      err = "invalid pattern: `" + p.pattern + "`";
    }
  }
  if (!err.empty()) {
    p.pattern_re.reset();
    p.pattern_error = "error parsing regexp: " + err;
  }
}

// regexp.MatchString; a match Boost gives up on (pathological backtracking, huge input) is no match.
bool Search(const boost::regex& re, const std::string& s) {
  try {
    return boost::regex_search(s, re);
  } catch (...) {
    return false;
  }
}

bool StaticSearch(const char* pattern, const std::string& s, bool icase = false) {
  // Only for the fixed patterns above: compiled once per thread, keyed by the literal's address.
  struct Cache {
    std::map<const char*, boost::regex> m;
  };
  thread_local Cache cache;
  auto it = cache.m.find(pattern);
  if (it == cache.m.end()) {
    auto flags = kRegexFlags;
    if (icase) flags |= boost::regex::icase;
    it = cache.m.emplace(pattern, boost::regex(pattern, flags)).first;
  }
  return Search(it->second, s);
}

// ----------------------------------------------------------------------------------------------------
// String formats kube-openapi's strfmt.Default validates (the ones kube does not strip).

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

// time.Parse("2006-01-02", s).
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s.substr(0, 4)) || !Digits(s.substr(5, 2)) || !Digits(s.substr(8, 2))) return false;
  int y = ToInt(s.substr(0, 4)), m = ToInt(s.substr(5, 2)), d = ToInt(s.substr(8, 2));
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[m - 1];
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) max = 29;
  return d <= max;
}

// strfmt.IsDateTime: a date, 't', then hh:mm:ss[.frac](z|±hh:mm), compared as strings.
bool IsDateTime(const std::string& str) {
  if (str.size() < 4) return false;
  std::string lower = str;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto t = lower.find('t');
  if (t == std::string::npos || !IsDate(std::string_view(lower).substr(0, t))) return false;
  auto t2 = lower.find('t', t + 1);
  std::string rest = lower.substr(t + 1, t2 == std::string::npos ? std::string::npos : t2 - t - 1);
  boost::smatch m;
  static const boost::regex kTime(R"(^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$)",
                                  kRegexFlags);
  try {
    if (!boost::regex_search(rest, m, kTime)) return false;
  } catch (...) {
    return false;
  }
  return m[1].str() <= "23" && m[2].str() <= "59" && m[3].str() <= "59";
}

// time.ParseDuration.
bool IsGoDuration(std::string_view s) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return true;
  if (s.empty()) return false;
  std::uint64_t d = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return false;
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > kLimit / 10) return false;
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > kLimit) return false;
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    bool post = false;
    double frac = 0, scale = 1;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t j = 0;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (scale < 1e18) {
          frac = frac * 10 + (s[j] - '0');
          scale *= 10;
        }
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return false;
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == 0) return false;
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    std::uint64_t unit = 0;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xc2\xb5s" || unit_name == "\xce\xbcs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000000;
    } else if (unit_name == "s") {
      unit = 1000000000ULL;
    } else if (unit_name == "m") {
      unit = 60ULL * 1000000000ULL;
    } else if (unit_name == "h") {
      unit = 3600ULL * 1000000000ULL;
    } else {
      return false;
    }
    if (v > kLimit / unit) return false;
    v *= unit;
    if (frac > 0) {
      v += static_cast<std::uint64_t>(frac * (static_cast<double>(unit) / scale));
      if (v > kLimit) return false;
    }
    d += v;
    if (d > kLimit) return false;
  }
  return true;
}

// strfmt.ParseDuration: Go durations, else scala-like "<n> <unit>" groups anywhere in the string.
bool IsDuration(const std::string& s) {
  if (IsGoDuration(s)) return true;
  static const std::vector<std::vector<std::string>> kUnits = {
      {"ns", "nano"}, {"us", "\xc2\xb5s", "micro"}, {"ms", "milli"}, {"s", "sec"},
      {"m", "min"},   {"h", "hr", "hour"},          {"d", "day"},    {"w", "wk", "week"}};
  auto iequal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
  };
  bool ok = false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!(s[i] >= '0' && s[i] <= '9')) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    std::size_t k = j;
    while (k < s.size() && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\f' || s[k] == '\r')) ++k;
    std::size_t u = k;
    while (u < s.size()) {
      if (std::isalpha(static_cast<unsigned char>(s[u]))) {
        ++u;
      } else if (s.compare(u, 2, "\xc2\xb5") == 0) {
        u += 2;
      } else {
        break;
      }
    }
    if (u == k) {  // digits not followed by a unit: no match here
      i = j;
      continue;
    }
    if (j - i > 18) return false;  // strconv.Atoi overflow is an error
    std::string unit = s.substr(k, u - k);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& variants : kUnits) {
      for (std::size_t n = 0; n < variants.size(); ++n) {
        if ((n + 1 == variants.size() && unit.rfind(variants[n], 0) == 0) || iequal(variants[n], unit)) ok = true;
      }
    }
    i = u;
  }
  return ok;
}

// govalidator.IsBase64.
bool IsBase64(std::string_view s) {
  if (s.size() < 4 || s.size() % 4 != 0) return false;
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  std::size_t pad = 0;
  if (s.back() == '=') pad = s[s.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < s.size() - pad; ++i) {
    if (!b64(s[i])) return false;
  }
  return true;
}

// net.ParseIP as netutils.ParseIPSloppy does it for IPv4 (leading zeros allowed).
bool ParseIPv4Sloppy(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t i = 0;
    int n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      n = n * 10 + (s[i] - '0');
      if (n > 0xFFFFFF) return false;
    }
    if (i == 0 || n > 0xFF) return false;
    s.remove_prefix(i);
  }
  return s.empty();
}

bool ParseIPv6(const std::string& s) {
  in6_addr addr{};
  return s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

bool IsIPv4(const std::string& s) { return (ParseIPv4Sloppy(s) || ParseIPv6(s)) && s.find('.') != std::string::npos; }

bool IsCIDR(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string addr = s.substr(0, slash), mask = s.substr(slash + 1);
  int bits = 0;
  if (ParseIPv4Sloppy(addr)) {
    bits = 32;
  } else if (ParseIPv6(addr)) {
    bits = 128;
  } else {
    return false;
  }
  if (!Digits(mask) || mask.size() > 6) return false;
  return ToInt(mask) <= bits;
}

// net.ParseMAC.
bool IsMAC(std::string_view s) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (s.size() < 14) return false;
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0) return false;
    std::size_t n = (s.size() + 1) / 3;
    if (n != 6 && n != 8 && n != 20) return false;
    for (std::size_t x = 0, i = 0; i < n; ++i, x += 3) {
      if (!hex(s[x]) || !hex(s[x + 1])) return false;
      if (x + 2 < s.size() && s[x + 2] != s[2]) return false;
    }
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0) return false;
    std::size_t n = 2 * (s.size() + 1) / 5;
    if (n != 6 && n != 8 && n != 20) return false;
    for (std::size_t x = 0, i = 0; i < n; i += 2, x += 5) {
      for (std::size_t k = 0; k < 4; ++k) {
        if (!hex(s[x + k])) return false;
      }
      if (x + 4 < s.size() && s[x + 4] != '.') return false;
    }
    return true;
  }
  return false;
}

// strfmt.IsHostname; non-ASCII bytes stand in for \p{L}/\p{S}.
bool IsHostname(const std::string& str) {
  std::string ascii = str;
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) c = 'a';
  }
  if (!StaticSearch(
          R"(^([a-zA-Z0-9]((-?[a-zA-Z0-9]{0,62})?)|([a-zA-Z0-9](([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.)){1,}([a-zA-Z]){2,63})$)",
          ascii)) {
    return false;
  }
  if (str.size() > 255) return false;
  std::size_t start = 0;
  while (true) {
    auto dot = str.find('.', start);
    std::size_t len = (dot == std::string::npos ? str.size() : dot) - start;
    if (len > 63) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// net/mail.ParseAddress, simplified: [display name] <local@domain> or local@domain.
bool IsEmail(std::string s) {
  auto trim = [](std::string& x) {
    while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) x.pop_back();
    std::size_t b = 0;
    while (b < x.size() && (x[b] == ' ' || x[b] == '\t')) ++b;
    x.erase(0, b);
  };
  trim(s);
  if (!s.empty() && s.back() == '>') {
    auto lt = s.rfind('<');
    if (lt == std::string::npos) return false;
    s = s.substr(lt + 1, s.size() - lt - 2);
  }
  auto at = s.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == s.size()) return false;
  auto atext = [](unsigned char c) {
    if (c >= 0x80) return true;
    if (c < '!' || c > '~') return false;
    return std::strchr("()<>[]:;@\\,\".", c) == nullptr;
  };
  auto dot_atom = [&](std::string_view x) {
    if (x.empty() || x.front() == '.' || x.back() == '.' || x.find("..") != std::string_view::npos) return false;
    return std::all_of(x.begin(), x.end(), [&](char c) { return c == '.' || atext(static_cast<unsigned char>(c)); });
  };
  std::string_view local = std::string_view(s).substr(0, at), domain = std::string_view(s).substr(at + 1);
  bool local_ok = dot_atom(local) || (local.size() >= 2 && local.front() == '"' && local.back() == '"');
  bool domain_ok = dot_atom(domain) || (domain.size() >= 2 && domain.front() == '[' && domain.back() == ']');
  return local_ok && domain_ok;
}

// url.ParseRequestURI, simplified: control bytes, scheme, authority characters and %-escapes.
bool IsRequestURI(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  if (s == "*") return true;
  auto valid_escapes = [](std::string_view x) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i] != '%') continue;
      if (i + 2 >= x.size() || !std::isxdigit(static_cast<unsigned char>(x[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(x[i + 2]))) {
        return false;
      }
    }
    return true;
  };
  std::string_view rest = s;
  bool has_scheme = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (std::isalpha(static_cast<unsigned char>(c))) continue;
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return false;  // missing protocol scheme
      has_scheme = true;
      rest = rest.substr(i + 1);
    }
    break;
  }
  if (auto q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  if (rest.empty() || rest[0] != '/') return has_scheme;  // opaque URIs need a scheme
  if (has_scheme && rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    std::string_view host = authority;
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view user = authority.substr(0, at);
      for (char c : user) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("-._:~!$&'()*+,;=%@", c)) return false;
      }
      host = authority.substr(at + 1);
    }
    if (!host.empty() && host[0] == '[') {
      auto close = host.find(']');
      if (close == std::string_view::npos) return false;
      std::string_view port = host.substr(close + 1);
      if (!port.empty() && (port[0] != ':' || !std::all_of(port.begin() + 1, port.end(), ::isdigit))) return false;
    } else {
      if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
        std::string_view port = host.substr(colon + 1);
        if (!std::all_of(port.begin(), port.end(), ::isdigit)) return false;
        host = host.substr(0, colon);
      }
      for (char c : host) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || std::isalnum(u)) continue;
        if (!std::strchr("-._~!$&'()*+,;=:[]<>\"%", c)) return false;
      }
    }
    if (!valid_escapes(host)) return false;
  }
  return valid_escapes(rest);
}

// govalidator.IsISBN(str, 10|13).
bool IsISBN(const std::string& str, int version) {
  std::string s;
  for (char c : str) {
    if (c != '-' && !std::isspace(static_cast<unsigned char>(c))) s += c;
  }
  if (version == 10) {
    if (!StaticSearch("^(?:[0-9]{9}X|[0-9]{10})$", s)) return false;
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (i + 1) * (s[static_cast<std::size_t>(i)] - '0');
    sum += 10 * (s[9] == 'X' ? 10 : s[9] - '0');
    return sum % 11 == 0;
  }
  if (!StaticSearch("^(?:[0-9]{13})$", s)) return false;
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (i % 2 ? 3 : 1) * (s[static_cast<std::size_t>(i)] - '0');
  return (s[12] - '0') - ((10 - sum % 10) % 10) == 0;
}

// govalidator.IsCreditCard (pattern, then Luhn).
bool IsCreditCard(const std::string& str) {
  std::string s;
  for (char c : str) {
    if (c != '-' && !std::isspace(static_cast<unsigned char>(c))) s += c;
  }
  if (!StaticSearch("^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|"
                    "2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|"
                    "(?:2131|1800|35\\d{3})\\d{11}|6[27][0-9]{14})$",
                    s)) {
    return false;
  }
  int sum = 0;
  bool dbl = false;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      sum += d >= 10 ? d % 10 + 1 : d;
    } else {
      sum += d;
    }
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

std::string NormalizeFormat(std::string_view f) {
  std::string out;
  for (char c : f) {
    if (c != '-') out += c;
  }
  return out;
}

// The formats kube validates (apiserver/validation supportedFormats == strfmt.Default's names).
bool KnownFormat(std::string_view format) {
  static const std::set<std::string, std::less<>> kKnown = {
      "bsonobjectid", "uri",      "email",    "hostname", "ipv4",     "ipv6",   "cidr",     "mac",
      "uuid",         "uuid3",    "uuid4",    "uuid5",    "isbn",     "isbn10", "isbn13",   "creditcard",
      "ssn",          "hexcolor", "rgbcolor", "byte",     "password", "date",   "duration", "datetime"};
  return kKnown.count(NormalizeFormat(format)) > 0;
}

bool FormatValidates(std::string_view format, const std::string& s) {
  std::string f = NormalizeFormat(format);
  if (f == "date") return IsDate(s);
  if (f == "datetime") return IsDateTime(s);
  if (f == "duration") return IsDuration(s);
  if (f == "byte") return IsBase64(s);
  if (f == "password") return true;
  if (f == "uuid") return StaticSearch("^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", s, true);
  if (f == "uuid3") return StaticSearch("^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", s, true);
  if (f == "uuid4") {
    return StaticSearch("^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", s, true);
  }
  if (f == "uuid5") {
    return StaticSearch("^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", s, true);
  }
  if (f == "ipv4") return IsIPv4(s);
  if (f == "ipv6") return ParseIPv6(s);
  if (f == "cidr") return IsCIDR(s);
  if (f == "mac") return IsMAC(s);
  if (f == "hostname") return IsHostname(s);
  if (f == "email") return IsEmail(s);
  if (f == "uri") return IsRequestURI(s);
  if (f == "isbn") return IsISBN(s, 10) || IsISBN(s, 13);
  if (f == "isbn10") return IsISBN(s, 10);
  if (f == "isbn13") return IsISBN(s, 13);
  if (f == "creditcard") return IsCreditCard(s);
  if (f == "ssn") return StaticSearch(R"(^\d{3}[- ]?\d{2}[- ]?\d{4}$)", s);
  if (f == "hexcolor") return StaticSearch("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", s);
  if (f == "rgbcolor") {
    return StaticSearch(
        R"(^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$)",
        s);
  }
  if (f == "bsonobjectid") {
    return s.size() == 24 &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  }
  return true;
}

// ----------------------------------------------------------------------------------------------------
// Decoding a JSONSchemaProps from tenant JSON. Keywords of the wrong JSON type are what kube's decoder
// rejects; Check reports them with Go's wording, Compile ignores them.

class Decoder {
 public:
  explicit Decoder(std::vector<FieldCause>* errs) : errs_(errs) {}

  std::unique_ptr<Props> Schema(const json& j, const std::string& path, int depth) {
    auto p = std::make_unique<Props>();
    if (depth > kMaxDepth) {
      p->opaque = true;
      if (errs_ && !depth_reported_) {
        depth_reported_ = true;
        errs_->push_back(
            v::Forbidden(path, "must not be nested more than " + std::to_string(kMaxDepth) + " levels deep"));
      }
      return p;
    }
    if (!j.is_object()) {
      p->opaque = true;
      Mismatch(path, j, "v1.JSONSchemaProps");
      return p;
    }
    Props& s = *p;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const json& val = it.value();
      if (val.is_null()) continue;  // null decodes to the zero value
      const std::string kp = PChild(path, k);
      if (k == "id") {
        s.has_id = !Str(val, kp).empty();
      } else if (k == "$schema") {
        s.has_schema_uri = !Str(val, kp).empty();
      } else if (k == "$ref") {
        if (val.is_string()) {
          s.has_ref = true;
        } else {
          Mismatch(kp, val, "string");
        }
      } else if (k == "description") {
        s.description = Str(val, kp);
      } else if (k == "type") {
        s.type = Str(val, kp);
      } else if (k == "format") {
        s.format = Str(val, kp);
      } else if (k == "title") {
        s.title = Str(val, kp);
      } else if (k == "default") {
        s.default_value = val;
      } else if (k == "example") {
        // no effect
      } else if (k == "maximum") {
        s.maximum = Float(val, kp);
      } else if (k == "minimum") {
        s.minimum = Float(val, kp);
      } else if (k == "multipleOf") {
        s.multiple_of = Float(val, kp);
      } else if (k == "exclusiveMaximum") {
        s.exclusive_maximum = Bool(val, kp);
      } else if (k == "exclusiveMinimum") {
        s.exclusive_minimum = Bool(val, kp);
      } else if (k == "uniqueItems") {
        s.unique_items = Bool(val, kp);
      } else if (k == "nullable") {
        s.nullable = Bool(val, kp);
      } else if (k == "maxLength") {
        s.max_length = Int(val, kp);
      } else if (k == "minLength") {
        s.min_length = Int(val, kp);
      } else if (k == "maxItems") {
        s.max_items = Int(val, kp);
      } else if (k == "minItems") {
        s.min_items = Int(val, kp);
      } else if (k == "maxProperties") {
        s.max_properties = Int(val, kp);
      } else if (k == "minProperties") {
        s.min_properties = Int(val, kp);
      } else if (k == "pattern") {
        s.pattern = Str(val, kp);
      } else if (k == "enum") {
        if (val.is_array()) {
          for (const auto& e : val) s.enum_values.push_back(e);
        } else {
          Mismatch(kp, val, "[]v1.JSON");
        }
      } else if (k == "required") {
        s.required = Strings(val, kp);
      } else if (k == "items") {
        if (val.is_object()) {
          s.items = Schema(val, kp, depth + 1);
        } else if (val.is_array()) {
          s.items_is_array = !val.empty();
          for (std::size_t i = 0; i < val.size(); ++i)
            s.items_array.push_back(Schema(val[i], PIndex(kp, i), depth + 1));
        } else {
          Mismatch(kp, val, "v1.JSONSchemaPropsOrArray");
        }
      } else if (k == "allOf" || k == "anyOf" || k == "oneOf") {
        auto& list = k == "allOf" ? s.all_of : k == "anyOf" ? s.any_of : s.one_of;
        if (val.is_array()) {
          for (std::size_t i = 0; i < val.size(); ++i) list.push_back(Schema(val[i], PIndex(kp, i), depth + 1));
        } else {
          Mismatch(kp, val, "[]v1.JSONSchemaProps");
        }
      } else if (k == "not") {
        s.not_schema = Schema(val, kp, depth + 1);
      } else if (k == "properties" || k == "definitions") {
        if (val.is_object()) {
          auto& map = k == "properties" ? s.properties : s.definitions;
          for (auto pt = val.begin(); pt != val.end(); ++pt) {
            map[pt.key()] = Schema(pt.value(), PKey(kp, pt.key()), depth + 1);
          }
          if (k == "definitions") s.has_definitions = !val.empty();
        } else {
          Mismatch(kp, val, "map[string]v1.JSONSchemaProps");
        }
      } else if (k == "additionalProperties" || k == "additionalItems") {
        bool is_props = k == "additionalProperties";
        if (val.is_boolean() || val.is_object()) {
          if (is_props) {
            s.has_additional = true;
            s.additional_allows = val.is_object() || val.get<bool>();
            if (val.is_object()) s.additional = Schema(val, kp, depth + 1);
          } else {
            s.has_additional_items = true;
          }
        } else {
          Mismatch(kp, val, "v1.JSONSchemaPropsOrBool");
        }
      } else if (k == "patternProperties") {
        if (val.is_object()) {
          s.has_pattern_properties = !val.empty();
        } else {
          Mismatch(kp, val, "map[string]v1.JSONSchemaProps");
        }
      } else if (k == "dependencies") {
        if (val.is_object()) {
          s.has_dependencies = true;
          s.has_dependency_entries = !val.empty();
          for (auto dt = val.begin(); dt != val.end(); ++dt) {
            if (dt.value().is_object()) {
              s.dependencies[dt.key()] = Schema(dt.value(), PKey(kp, dt.key()), depth + 1);
            } else if (!dt.value().is_null()) {
              Strings(dt.value(), PKey(kp, dt.key()));
            }
          }
        } else {
          Mismatch(kp, val, "v1.JSONSchemaDependencies");
        }
      } else if (k == "externalDocs") {
        if (!val.is_object()) Mismatch(kp, val, "v1.ExternalDocumentation");
      } else if (k == "x-kubernetes-preserve-unknown-fields") {
        if (val.is_boolean()) {
          s.preserve_unknown = val.get<bool>();
        } else {
          Mismatch(kp, val, "bool");
        }
      } else if (k == "x-kubernetes-embedded-resource") {
        s.embedded = Bool(val, kp);
      } else if (k == "x-kubernetes-int-or-string") {
        s.int_or_string = Bool(val, kp);
      } else if (k == "x-kubernetes-list-map-keys") {
        s.list_map_keys = Strings(val, kp);
      } else if (k == "x-kubernetes-list-type") {
        if (val.is_string()) {
          s.list_type = val.get<std::string>();
        } else {
          Mismatch(kp, val, "string");
        }
      } else if (k == "x-kubernetes-map-type") {
        if (val.is_string()) {
          s.map_type = val.get<std::string>();
        } else {
          Mismatch(kp, val, "string");
        }
      } else if (k == "x-kubernetes-validations") {
        Rules(val, kp, s.validations);
      }
      // Unknown keywords are dropped by kube's decoder.
    }
    CompilePattern(s);
    return p;
  }

 private:
  static const char* JsonKind(const json& v) {
    switch (v.type()) {
      case json::value_t::string:
        return "string";
      case json::value_t::boolean:
        return "bool";
      case json::value_t::array:
        return "array";
      case json::value_t::object:
        return "object";
      default:
        return "number";
    }
  }

  void Mismatch(const std::string& path, const json& val, std::string_view go_type) {
    if (!errs_) return;
    std::string what = JsonKind(val);
    if (val.is_number() && go_type == "int64") what += " " + GoNumber(val);
    errs_->push_back(v::Invalid(path, BadValue(val),
                                "json: cannot unmarshal " + what + " into Go value of type " + std::string(go_type)));
  }

  std::string Str(const json& val, const std::string& path) {
    if (val.is_string()) return val.get<std::string>();
    Mismatch(path, val, "string");
    return "";
  }
  bool Bool(const json& val, const std::string& path) {
    if (val.is_boolean()) return val.get<bool>();
    Mismatch(path, val, "bool");
    return false;
  }
  std::optional<double> Float(const json& val, const std::string& path) {
    if (val.is_number()) return AsFloat(val);
    Mismatch(path, val, "float64");
    return std::nullopt;
  }
  std::optional<std::int64_t> Int(const json& val, const std::string& path) {
    if (val.is_number() && KindOf(val) == GoKind::kInt) return AsInt(val);
    Mismatch(path, val, "int64");
    return std::nullopt;
  }
  std::vector<std::string> Strings(const json& val, const std::string& path) {
    std::vector<std::string> out;
    if (!val.is_array()) {
      Mismatch(path, val, "[]string");
      return out;
    }
    for (std::size_t i = 0; i < val.size(); ++i) {
      if (val[i].is_string()) {
        out.push_back(val[i].get<std::string>());
      } else if (!val[i].is_null()) {
        Mismatch(PIndex(path, i), val[i], "string");
      }
    }
    return out;
  }
  void Rules(const json& val, const std::string& path, std::vector<Rule>& out) {
    if (!val.is_array()) {
      Mismatch(path, val, "v1.ValidationRules");
      return;
    }
    for (std::size_t i = 0; i < val.size(); ++i) {
      const json& r = val[i];
      std::string rp = PIndex(path, i);
      if (!r.is_object()) {
        if (!r.is_null()) Mismatch(rp, r, "v1.ValidationRule");
        out.emplace_back();
        continue;
      }
      Rule rule;
      for (auto it = r.begin(); it != r.end(); ++it) {
        if (it.value().is_null()) continue;
        std::string fp = PChild(rp, it.key());
        if (it.key() == "rule") {
          rule.rule = Str(it.value(), fp);
        } else if (it.key() == "message") {
          rule.message = Str(it.value(), fp);
        } else if (it.key() == "messageExpression") {
          rule.message_expression = Str(it.value(), fp);
        } else if (it.key() == "fieldPath") {
          rule.field_path = Str(it.value(), fp);
        } else if (it.key() == "reason") {
          rule.reason = Str(it.value(), fp);
        } else if (it.key() == "optionalOldSelf") {
          rule.optional_old_self = Bool(it.value(), fp);
        }
      }
      out.push_back(std::move(rule));
    }
  }

  std::vector<FieldCause>* errs_;
  bool depth_reported_ = false;
};

// ----------------------------------------------------------------------------------------------------
// kube-openapi's SchemaValidator (pkg/validation/validate) over a Props tree, error for error.

enum class Code {
  kInvalidType,
  kRequired,
  kTooLong,
  kTooShort,
  kPattern,
  kEnum,
  kMultipleOf,
  kMax,
  kMin,
  kUnique,
  kMaxItems,
  kMinItems,
  kTooFewProperties,
  kTooManyProperties,
  kUnallowedProperty,
  kMultipleOfMustBePositive,
  kComposite,  // errors.New(CompositeErrorCode, ...): anyOf/oneOf/allOf/not
};

struct VError {
  Code code;
  std::string name;     // the value's path as kube-openapi names it
  std::string message;  // Error()
  std::string value;    // Value as ErrorBody renders it; empty when Value is nil
  std::int64_t actual = -1, valid = -1;
  std::vector<std::string> enum_values;
};

struct VResult {
  std::vector<VError> errors;
  std::unordered_set<std::string> seen;  // Result.AddErrors drops errors whose message was reported
  int match_count = 0;

  bool Valid() const { return errors.empty(); }
  void Add(VError e) {
    if (seen.insert(e.message).second) errors.push_back(std::move(e));
  }
  void Merge(VResult&& o) {
    for (auto& e : o.errors) Add(std::move(e));
    match_count += o.match_count;
  }
  void Inc() { ++match_count; }
};

VResult Err(VError e) {
  VResult r;
  r.Add(std::move(e));
  return r;
}

constexpr std::string_view kIn = " in body";

VError InvalidType(const std::string& path, std::string_view type_name, const std::string& value) {
  return VError{Code::kInvalidType, path,
                path + std::string(kIn) + " must be of type " + std::string(type_name) + ": " + v::GoQuote(value),
                v::GoQuote(value)};
}

struct VCtx {
  // Defaults are validated against Structural.ToKubeOpenAPI(): formats as written, int-or-string untyped.
  // Objects against the CRD's converted schema: unsupported formats stripped, int-or-string typed.
  bool default_mode = false;
};

class Validator {
 public:
  explicit Validator(VCtx ctx) : ctx_(ctx) {}

  VResult Value(const Props& s, const json& data, const std::string& path, bool resource_root = false) const {
    VResult r;
    if (s.opaque) return r;
    std::vector<std::string_view> types;
    std::string_view format = s.format;
    if (ctx_.default_mode) {
      if (!s.type.empty()) types.push_back(s.type);
    } else {
      if (s.int_or_string) {
        types = {"integer", "string"};
      } else if (!s.type.empty()) {
        types.push_back(s.type);
      }
      if (!KnownFormat(format)) format = {};
    }
    if (data.is_null()) {
      r.Merge(Type(s, types, format, data, path));
      r.Merge(Enum(s, data, path));
      return r;
    }
    GoKind kind = KindOf(data);
    if (!types.empty() || !format.empty()) {
      r.Merge(Type(s, types, format, data, path));
      r.Inc();
    }
    r.Merge(Junctors(s, data, path));
    r.Inc();
    if (kind == GoKind::kString) {
      r.Merge(String(s, data.get_ref<const std::string&>(), path));
      r.Inc();
      if (KnownFormat(format)) {
        const std::string& str = data.get_ref<const std::string&>();
        if (!FormatValidates(format, str)) r.Add(InvalidType(path, format, str));
        r.Inc();
      }
    }
    if (kind == GoKind::kInt || kind == GoKind::kFloat) {
      r.Merge(Number(s, data, path));
      r.Inc();
    }
    if (kind == GoKind::kArray) {
      r.Merge(Slice(s, data, path));
      r.Inc();
    }
    r.Merge(Enum(s, data, path));
    r.Inc();
    if (kind == GoKind::kObject) {
      r.Merge(Object(s, data, path, resource_root));
      r.Inc();
    }
    r.Inc();
    return r;
  }

 private:
  static bool Has(const std::vector<std::string_view>& types, std::string_view t) {
    return std::find(types.begin(), types.end(), t) != types.end();
  }

  // typeValidator.
  VResult Type(const Props& s, const std::vector<std::string_view>& types, std::string_view format, const json& data,
               const std::string& path) const {
    VResult r;
    r.Inc();
    std::string joined;
    for (std::size_t i = 0; i < types.size(); ++i) joined += (i ? "," : "") + std::string(types[i]);
    if (data.is_null()) {
      if (!types.empty() && !Has(types, "null") && !s.nullable) return Err(InvalidType(path, joined, "null"));
      return r;
    }
    std::string_view sch_type, sch_format;
    GoKind kind = KindOf(data);
    switch (kind) {
      case GoKind::kBool:
        sch_type = "boolean";
        break;
      case GoKind::kString:
        sch_type = "string";
        break;
      case GoKind::kInt:
        sch_type = "integer", sch_format = "int64";
        break;
      case GoKind::kFloat:
        sch_type = "number", sch_format = "float64";
        break;
      case GoKind::kArray:
        sch_type = "array";
        break;
      default:
        sch_type = "object";
        break;
    }
    bool is_float_int = kind == GoKind::kFloat && IsJsonInteger(AsFloat(data)) && Has(types, "integer");
    bool is_int_float = kind == GoKind::kInt && Has(types, "number");
    bool str_or_slice = kind == GoKind::kString || kind == GoKind::kArray;
    if (!str_or_slice && !format.empty() &&
        !(Has(types, sch_type) || sch_format == format || is_float_int || is_int_float)) {
      return Err(InvalidType(path, format, std::string(sch_format)));
    }
    if (!(Has(types, "number") || Has(types, "integer")) && !format.empty() && str_or_slice) return r;
    if (!(Has(types, sch_type) || is_float_int || is_int_float)) {
      return Err(InvalidType(path, joined, std::string(sch_type)));
    }
    return r;
  }

  // schemaPropsValidator: anyOf, oneOf, allOf, not.
  VResult Junctors(const Props& s, const json& data, const std::string& path) const {
    VResult main;
    const std::string quoted = v::GoQuote(path);
    auto composite = [&](std::string msg) { main.Add(VError{Code::kComposite, path, std::move(msg), ""}); };
    if (!s.any_of.empty()) {
      std::optional<VResult> best, first_success;
      bool succeeded = false;
      for (const auto& sub : s.any_of) {
        VResult res = Value(*sub, data, path);
        if (res.Valid()) {
          best.reset();
          succeeded = true;
          first_success = std::move(res);
          break;
        }
        if (!best || res.match_count > best->match_count) best = std::move(res);
      }
      if (!succeeded) composite(quoted + " must validate at least one schema (anyOf)");
      if (best) {
        main.Merge(std::move(*best));
      } else if (first_success) {
        main.Merge(std::move(*first_success));
      }
    }
    if (!s.one_of.empty()) {
      std::optional<VResult> best, first_success;
      int validated = 0;
      for (const auto& sub : s.one_of) {
        VResult res = Value(*sub, data, path);
        if (res.Valid()) {
          ++validated;
          best.reset();
          if (!first_success) first_success = std::move(res);
          continue;
        }
        if (validated == 0 && (!best || res.match_count > best->match_count)) best = std::move(res);
      }
      if (validated != 1) {
        composite(quoted + " must validate one and only one schema (oneOf). " +
                  (validated == 0 ? std::string("Found none valid")
                                  : "Found " + std::to_string(validated) + " valid alternatives"));
        if (best) main.Merge(std::move(*best));
      } else if (first_success) {
        main.Merge(std::move(*first_success));
      }
    }
    if (!s.all_of.empty()) {
      std::size_t validated = 0;
      for (const auto& sub : s.all_of) {
        VResult res = Value(*sub, data, path);
        if (res.Valid()) ++validated;
        main.Merge(std::move(res));
      }
      if (validated != s.all_of.size()) {
        composite(quoted + " must validate all the schemas (allOf)" + (validated == 0 ? ". None validated" : ""));
      }
    }
    if (s.not_schema && Value(*s.not_schema, data, path).Valid()) {
      composite(quoted + " must not validate the schema (not)");
    }
    main.Inc();
    return main;
  }

  // stringValidator: the first failing of maxLength, minLength, pattern.
  VResult String(const Props& s, const std::string& data, const std::string& path) const {
    std::int64_t runes = 0;
    for (std::size_t i = 0; i < data.size();) {  // utf8.RuneCount: invalid bytes count one each
      auto c = static_cast<unsigned char>(data[i]);
      std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
      bool ok = i + n <= data.size();
      for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(data[i + k]) & 0xC0) == 0x80;
      i += ok ? n : 1;
      ++runes;
    }
    if (s.max_length && runes > *s.max_length) {
      VError e{Code::kTooLong, path,
               path + std::string(kIn) + " should be at most " + std::to_string(*s.max_length) + " chars long",
               v::GoQuote(data)};
      e.valid = *s.max_length;
      return Err(std::move(e));
    }
    if (s.min_length && runes < *s.min_length) {
      return Err(
          VError{Code::kTooShort, path,
                 path + std::string(kIn) + " should be at least " + std::to_string(*s.min_length) + " chars long",
                 v::GoQuote(data)});
    }
    if (!s.pattern.empty()) {
      if (!s.pattern_re) {
        return Err(VError{Code::kPattern, path,
                          path + std::string(kIn) + " should match '" + s.pattern +
                              ", but pattern is invalid: " + s.pattern_error + "'",
                          v::GoQuote(data)});
      }
      if (!Search(*s.pattern_re, data)) {
        return Err(VError{Code::kPattern, path, path + std::string(kIn) + " should match '" + s.pattern + "'",
                          v::GoQuote(data)});
      }
    }
    return {};
  }

  // numberValidator: multipleOf, minimum, maximum, compared natively (int64 data against int64(bound)).
  VResult Number(const Props& s, const json& data, const std::string& path) const {
    VResult res;
    const bool is_int = KindOf(data) == GoKind::kInt;
    const std::string value = GoNumber(data);
    const std::string prefix = path + std::string(kIn);
    if (s.multiple_of) {
      if (is_int) {
        std::int64_t factor = GoInt64(*s.multiple_of), d = AsInt(data);
        if (factor <= 0) {
          res.Add(VError{Code::kMultipleOfMustBePositive, path,
                         "factor MultipleOf declared for " + path + " must be positive: " + std::to_string(factor),
                         std::to_string(factor)});
        } else if (d % factor != 0) {
          res.Add(
              VError{Code::kMultipleOf, path, prefix + " should be a multiple of " + std::to_string(factor), value});
        }
      } else {
        double factor = *s.multiple_of, d = AsFloat(data);
        if (factor <= 0) {
          res.Add(VError{Code::kMultipleOfMustBePositive, path,
                         "factor MultipleOf declared for " + path + " must be positive: " + GoFloat(factor),
                         GoFloat(factor)});
        } else if (!IsJsonInteger(factor < 1 ? 1 / factor * d : d / factor)) {
          res.Add(VError{Code::kMultipleOf, path, prefix + " should be a multiple of " + GoFloat(factor), value});
        }
      }
    }
    if (s.minimum) {
      bool excl = s.exclusive_minimum, fail;
      std::string bound;
      if (is_int) {
        std::int64_t min = GoInt64(*s.minimum), d = AsInt(data);
        fail = excl ? d <= min : d < min;
        bound = std::to_string(min);
      } else {
        double min = *s.minimum, d = AsFloat(data);
        fail = excl ? d <= min : d < min;
        bound = GoFloat(min);
      }
      if (fail) {
        res.Add(VError{Code::kMin, path,
                       prefix + (excl ? " should be greater than " : " should be greater than or equal to ") + bound,
                       value});
      }
    }
    if (s.maximum) {
      bool excl = s.exclusive_maximum, fail;
      std::string bound;
      if (is_int) {
        std::int64_t max = GoInt64(*s.maximum), d = AsInt(data);
        fail = excl ? d >= max : d > max;
        bound = std::to_string(max);
      } else {
        double max = *s.maximum, d = AsFloat(data);
        fail = excl ? d >= max : d > max;
        bound = GoFloat(max);
      }
      if (fail) {
        res.Add(VError{Code::kMax, path,
                       prefix + (excl ? " should be less than " : " should be less than or equal to ") + bound, value});
      }
    }
    res.Inc();
    return res;
  }

  // schemaSliceValidator.
  VResult Slice(const Props& s, const json& data, const std::string& path) const {
    VResult res;
    if (s.items) {
      for (std::size_t i = 0; i < data.size(); ++i) res.Merge(Value(*s.items, data[i], PIndex(path, i)));
    }
    const auto size = static_cast<std::int64_t>(data.size());
    const std::string prefix = path + std::string(kIn);
    if (s.min_items && size < *s.min_items) {
      res.Add(VError{Code::kMinItems, path, prefix + " should have at least " + std::to_string(*s.min_items) + " items",
                     std::to_string(size)});
    }
    if (s.max_items && size > *s.max_items) {
      VError e{Code::kMaxItems, path, prefix + " should have at most " + std::to_string(*s.max_items) + " items",
               std::to_string(size)};
      e.actual = size;
      e.valid = *s.max_items;
      res.Add(std::move(e));
    }
    if (s.unique_items) {
      std::unordered_set<std::string> seen;
      for (const auto& e : data) {
        // DeepEqual tells int64 from float64: keep the kind in the key.
        if (!seen.insert(std::to_string(static_cast<int>(KindOf(e))) + Marshal(e)).second) {
          res.Add(VError{Code::kUnique, path, prefix + " shouldn't contain duplicates", ""});
          break;
        }
      }
    }
    res.Inc();
    return res;
  }

  // basicCommonValidator: enum, matched after Go's reflect conversion of the data to each value's type.
  VResult Enum(const Props& s, const json& data, const std::string& path) const {
    if (s.enum_values.empty()) return {};
    if (!data.is_null()) {
      GoKind dk = KindOf(data);
      for (const auto& e : s.enum_values) {
        GoKind ek = KindOf(e);
        if (ek == GoKind::kNull) continue;
        bool match = false;
        if (ek == GoKind::kFloat && (dk == GoKind::kInt || dk == GoKind::kFloat)) {
          match = AsFloat(data) == AsFloat(e);
        } else if (ek == GoKind::kInt && dk == GoKind::kFloat) {
          match = GoInt64(AsFloat(data)) == AsInt(e);  // float64 converts to int64 by truncation
        } else if (ek == GoKind::kString && dk == GoKind::kInt) {
          match = RuneString(AsInt(data)) == e.get_ref<const std::string&>();  // Go's string(rune(i))
        } else if (ek == dk) {
          match = DeepEqual(data, e);
        }
        if (match) return {};
      }
    }
    std::string list = "[";
    VError err{Code::kEnum, path, "", data.is_null() ? "" : BadValue(data)};
    for (std::size_t i = 0; i < s.enum_values.size(); ++i) {
      const json& e = s.enum_values[i];
      if (i) list += " ";
      GoFormat(e, false, 0, list);
      err.enum_values.push_back(e.is_string() ? e.get<std::string>() : Marshal(e));
    }
    err.message = path + std::string(kIn) + " should be one of " + list + "]";
    return Err(std::move(err));
  }

  // objectValidator.
  VResult Object(const Props& s, const json& data, const std::string& path, bool resource_root) const {
    VResult res;
    const auto n = static_cast<std::int64_t>(data.size());
    const std::string prefix = path + std::string(kIn);
    if (s.min_properties && n < *s.min_properties) {
      res.Add(VError{Code::kTooFewProperties, path,
                     prefix + " should have at least " + std::to_string(*s.min_properties) + " properties",
                     std::to_string(n)});
    }
    if (s.max_properties && n > *s.max_properties) {
      VError e{Code::kTooManyProperties, path,
               prefix + " should have at most " + std::to_string(*s.max_properties) + " properties", std::to_string(n)};
      e.actual = n;
      e.valid = *s.max_properties;
      res.Add(std::move(e));
    }
    // The caller validates the object's own apiVersion, kind and metadata.
    auto skipped = [&](const std::string& k) {
      return resource_root && (k == "apiVersion" || k == "kind" || k == "metadata");
    };
    if (s.has_additional && !s.additional_allows) {
      for (auto it = data.begin(); it != data.end(); ++it) {
        if (!s.Property(it.key()) && !skipped(it.key())) {
          res.Add(VError{Code::kUnallowedProperty, path,
                         path + "." + it.key() + std::string(kIn) + " is a forbidden property", v::GoQuote(it.key())});
        }
      }
    } else if (s.additional) {
      for (auto it = data.begin(); it != data.end(); ++it) {
        if (!s.Property(it.key()) && !skipped(it.key())) {
          res.Merge(Value(*s.additional, it.value(), path + "." + it.key()));
        }
      }
    }
    for (const auto& [name, prop] : s.properties) {
      auto it = data.find(name);
      if (it == data.end()) continue;
      std::string child = path.empty() ? name : path + "." + name;
      if (resource_root && name == "metadata") {
        // Only name and generateName may be restricted at the root (ValidateStructural).
        if (it->is_object()) {
          for (const char* field : {"name", "generateName"}) {
            const Props* sub = prop->Property(field);
            auto ft = it->find(field);
            if (sub && ft != it->end()) res.Merge(Value(*sub, *ft, child + "." + field));
          }
        }
        continue;
      }
      if (skipped(name)) continue;
      res.Merge(Value(*prop, *it, child));
    }
    for (const auto& k : s.required) {
      if (!data.contains(k)) {
        res.Add(VError{Code::kRequired, path + "." + k, path + "." + k + std::string(kIn) + " is required", ""});
      }
    }
    return res;
  }

  VCtx ctx_;
};

// kubeOpenAPIResultToFieldErrors: `fld` is the field path the value sits at ("" for a custom resource,
// whose composite errors then carry kube's nil path "<nil>").
void ToCauses(const VResult& r, const std::string& fld, std::vector<FieldCause>& out) {
  const std::string nil_or_fld = fld.empty() ? "<nil>" : fld;
  for (const auto& e : r.errors) {
    if (e.code == Code::kComposite) {
      out.push_back(v::Invalid(nil_or_fld, "\"\"", e.message));
      continue;
    }
    std::string path = nil_or_fld;
    if (!e.name.empty() && e.name != ".") {
      std::string_view name = e.name;
      if (name.front() == '.') name.remove_prefix(1);
      path = fld.empty() ? std::string(name) : fld + "." + std::string(name);
    }
    const std::string value = e.value.empty() ? "\"\"" : e.value;
    switch (e.code) {
      case Code::kRequired:
        out.push_back(v::Required(path));
        break;
      case Code::kEnum:
        out.push_back(v::NotSupported(path, e.value.empty() ? "\"null\"" : e.value, e.enum_values));
        break;
      // field.TooLong / field.TooMany word negative limits differently.
      case Code::kTooLong:
        out.push_back(e.valid >= 0 ? v::TooLong(path, e.valid)
                                   : FieldCause{"FieldValueTooLong", "Too long: value is too long", path});
        break;
      case Code::kMaxItems:
      case Code::kTooManyProperties:
        out.push_back(e.valid >= 0
                          ? v::TooMany(path, e.actual, e.valid)
                          : FieldCause{"FieldValueTooMany",
                                       "Too many: " + std::to_string(e.actual) + ": has too many items", path});
        break;
      case Code::kInvalidType:
        out.push_back(TypeInvalid(path, value, e.message));
        break;
      default:
        out.push_back(v::Invalid(path, value, e.message));
        break;
    }
  }
}

// ----------------------------------------------------------------------------------------------------
// Pruning (pruning.PruneWithOptions), null pruning and embedded ObjectMeta coercion.

const std::set<std::string, std::less<>>& MetaFields() {
  static const std::set<std::string, std::less<>> kFields = {"apiVersion", "kind", "metadata"};
  return kFields;
}

// The JSON fields of metav1.ObjectMeta: coercing embedded metadata through it drops everything else.
const std::set<std::string, std::less<>>& ObjectMetaFields() {
  static const std::set<std::string, std::less<>> kFields = {"name",
                                                             "generateName",
                                                             "namespace",
                                                             "selfLink",
                                                             "uid",
                                                             "resourceVersion",
                                                             "generation",
                                                             "creationTimestamp",
                                                             "deletionTimestamp",
                                                             "deletionGracePeriodSeconds",
                                                             "labels",
                                                             "annotations",
                                                             "ownerReferences",
                                                             "finalizers",
                                                             "managedFields"};
  return kFields;
}

class Pruner {
 public:
  std::vector<std::string> removed;

  // `embedded` overrides s's x-kubernetes-embedded-resource (the resource root is pruned as one).
  void Prune(json& x, const Props* s, bool embedded, std::string& path, int depth) {
    if (depth > kMaxDataDepth) return;
    if (s && s->Preserves()) {
      SkipPrune(x, s, embedded || s->embedded, path, depth);
      return;
    }
    const std::size_t len = path.size();
    if (x.is_object()) {
      std::vector<std::string> drop;
      for (auto it = x.begin(); it != x.end(); ++it) {
        const std::string& k = it.key();
        if (!s) {
          Record(path, k);
          drop.push_back(k);
          continue;
        }
        if ((embedded || s->embedded) && MetaFields().count(k)) continue;
        if (const Props* prop = s->Property(k)) {
          AppendKey(path, k);
          Prune(it.value(), prop, false, path, depth + 1);
          path.resize(len);
        } else if (s->has_additional) {
          AppendKey(path, k);
          Prune(it.value(), s->AdditionalSchema(), false, path, depth + 1);
          path.resize(len);
        } else {
          if (!MetaFields().count(k) || !path.empty()) Record(path, k);
          drop.push_back(k);
        }
      }
      for (const auto& k : drop) x.erase(k);
    } else if (x.is_array()) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        path += "[" + std::to_string(i) + "]";
        Prune(x[i], s ? s->items.get() : nullptr, false, path, depth + 1);
        path.resize(len);
      }
    }
  }

 private:
  void SkipPrune(json& x, const Props* s, bool embedded, std::string& path, int depth) {
    if (!s || depth > kMaxDataDepth) return;
    const std::size_t len = path.size();
    if (x.is_object()) {
      for (auto it = x.begin(); it != x.end(); ++it) {
        const std::string& k = it.key();
        if (embedded && MetaFields().count(k)) continue;
        if (const Props* prop = s->Property(k)) {
          AppendKey(path, k);
          Prune(it.value(), prop, false, path, depth + 1);
          path.resize(len);
        } else if (s->has_additional) {
          AppendKey(path, k);
          Prune(it.value(), s->AdditionalSchema(), false, path, depth + 1);
          path.resize(len);
        }
      }
    } else if (x.is_array()) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        path += "[" + std::to_string(i) + "]";
        const Props* items = s->items.get();
        SkipPrune(x[i], items, items && items->embedded, path, depth + 1);
        path.resize(len);
      }
    }
  }

  static void AppendKey(std::string& path, const std::string& k) {
    if (!path.empty()) path += ".";
    path += k;
  }
  void Record(const std::string& path, const std::string& k) { removed.push_back(path.empty() ? k : path + "." + k); }
};

// defaulting.PruneNonNullableNullsWithoutDefaults (root apiVersion/kind/metadata are the caller's).
void PruneNulls(json& x, const Props* s, bool root) {
  if (!s || s->opaque) return;
  if (x.is_object()) {
    std::vector<std::string> drop;
    for (auto it = x.begin(); it != x.end(); ++it) {
      if (root && MetaFields().count(it.key())) continue;
      const Props* sub = s->Property(it.key());
      if (!sub && s->has_additional) sub = s->AdditionalSchema();
      if (!sub) continue;
      if (it.value().is_null() && !sub->nullable && !sub->default_value) {
        drop.push_back(it.key());
      } else {
        PruneNulls(it.value(), sub, false);
      }
    }
    for (const auto& k : drop) x.erase(k);
  } else if (x.is_array()) {
    for (auto& e : x) PruneNulls(e, s->items.get(), false);
  }
}

// objectmeta.Coerce for embedded resources: metadata goes through metav1.ObjectMeta, so unknown fields and a
// zero creationTimestamp disappear. Paths use field.Path syntax (map keys in brackets).
void CoerceEmbedded(json& x, const Props* s, const std::string& path, bool root, std::vector<std::string>& removed) {
  if (!s || s->opaque) return;
  if (x.is_object()) {
    if (s->embedded && !root) {
      auto md = x.find("metadata");
      if (md != x.end() && md->is_object()) {
        std::vector<std::string> drop;
        for (auto it = md->begin(); it != md->end(); ++it) {
          if (!ObjectMetaFields().count(it.key())) {
            removed.push_back(PChild(path, "metadata") + "." + it.key());
            drop.push_back(it.key());
          } else if (it.key() == "creationTimestamp" && it.value().is_null()) {
            drop.push_back(it.key());
          }
        }
        for (const auto& k : drop) md->erase(k);
      }
    }
    for (auto it = x.begin(); it != x.end(); ++it) {
      if (root && MetaFields().count(it.key())) continue;
      if (const Props* prop = s->Property(it.key())) {
        CoerceEmbedded(it.value(), prop, PChild(path, it.key()), false, removed);
      } else if (s->has_additional) {
        CoerceEmbedded(it.value(), s->AdditionalSchema(), PKey(path, it.key()), false, removed);
      }
    }
  } else if (x.is_array()) {
    for (std::size_t i = 0; i < x.size(); ++i) CoerceEmbedded(x[i], s->items.get(), PIndex(path, i), false, removed);
  }
}

// structuraldefaulting.Default.
void ApplyDefaults(json& x, const Props* s) {
  if (!s || s->opaque) return;
  auto non_nullable_null = [](const json& v, const Props* p) { return v.is_null() && p && !p->nullable; };
  if (x.is_object()) {
    for (const auto& [k, prop] : s->properties) {
      if (!prop->default_value) continue;
      auto it = x.find(k);
      if (it == x.end() || non_nullable_null(*it, prop.get())) x[k] = *prop->default_value;
    }
    for (auto it = x.begin(); it != x.end(); ++it) {
      if (const Props* prop = s->Property(it.key())) {
        ApplyDefaults(it.value(), prop);
      } else if (s->has_additional) {
        const Props* ap = s->AdditionalSchema();
        if (non_nullable_null(it.value(), ap) && ap->default_value) it.value() = *ap->default_value;
        ApplyDefaults(it.value(), ap);
      }
    }
  } else if (x.is_array()) {
    const Props* items = s->items.get();
    for (auto& e : x) {
      if (non_nullable_null(e, items) && items->default_value) e = *items->default_value;
      ApplyDefaults(e, items);
    }
  }
}

// ----------------------------------------------------------------------------------------------------
// objectmeta.Validate (embedded resources) and listtype.ValidateListSetsAndMaps.

// What decoding embedded metadata into metav1.ObjectMeta fails on (the first bad field).
std::string ObjectMetaDecodeError(const json& md) {
  if (!md.is_object()) {
    return std::string("json: cannot unmarshal ") +
           (md.is_string()    ? "string"
            : md.is_array()   ? "array"
            : md.is_boolean() ? "bool"
                              : "number") +
           " into Go value of type v1.ObjectMeta";
  }
  auto kind = [](const json& v) -> std::string {
    return v.is_string()    ? "string"
           : v.is_array()   ? "array"
           : v.is_boolean() ? "bool"
           : v.is_object()  ? "object"
                            : "number";
  };
  for (auto it = md.begin(); it != md.end(); ++it) {
    const std::string& k = it.key();
    const json& val = it.value();
    if (val.is_null()) continue;
    std::string field = "ObjectMeta." + k;
    if (k == "name" || k == "generateName" || k == "namespace" || k == "selfLink" || k == "uid" ||
        k == "resourceVersion") {
      if (!val.is_string()) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type string";
      }
    } else if (k == "generation" || k == "deletionGracePeriodSeconds") {
      if (!val.is_number() || KindOf(val) != GoKind::kInt) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type int64";
      }
    } else if (k == "labels" || k == "annotations") {
      if (!val.is_object()) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type map[string]string";
      }
      for (const auto& e : val) {
        if (!e.is_string() && !e.is_null()) {
          return "json: cannot unmarshal " + kind(e) + " into Go struct field " + field + " of type string";
        }
      }
    } else if (k == "finalizers") {
      if (!val.is_array()) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type []string";
      }
      for (const auto& e : val) {
        if (!e.is_string() && !e.is_null()) {
          return "json: cannot unmarshal " + kind(e) + " into Go struct field " + field + " of type string";
        }
      }
    } else if (k == "ownerReferences" || k == "managedFields") {
      if (!val.is_array()) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type []v1." +
               (k == "ownerReferences" ? "OwnerReference" : "ManagedFieldsEntry");
      }
    } else if (k == "creationTimestamp" || k == "deletionTimestamp") {
      if (!val.is_string()) {
        return "json: cannot unmarshal " + kind(val) + " into Go struct field " + field + " of type string";
      }
    }
  }
  return "";
}

void ValidateEmbeddedResource(const std::string& path, const json& x, std::vector<FieldCause>& errs) {
  if (!x.contains("apiVersion")) errs.push_back(v::Required(PChild(path, "apiVersion"), "must not be empty"));
  if (!x.contains("kind")) errs.push_back(v::Required(PChild(path, "kind"), "must not be empty"));
  for (auto it = x.begin(); it != x.end(); ++it) {
    const std::string& k = it.key();
    const json& val = it.value();
    std::string p = PChild(path, k);
    if (k == "apiVersion" || k == "kind") {
      if (!val.is_string()) {
        errs.push_back(v::Invalid(p, BadValue(val), "must be a string"));
        continue;
      }
      const std::string& s = val.get_ref<const std::string&>();
      if (s.empty()) {
        errs.push_back(v::Invalid(p, "\"\"", "must not be empty"));
      } else if (k == "apiVersion") {
        if (s != "/" && std::count(s.begin(), s.end(), '/') > 1) {
          errs.push_back(v::Invalid(p, v::GoQuote(s), "unexpected GroupVersion string: " + s));
        }
      } else {
        std::string lower = s;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        auto msgs = v::IsDns1035Label(lower);
        if (!msgs.empty()) {
          std::string joined;
          for (std::size_t i = 0; i < msgs.size(); ++i) joined += (i ? "," : "") + msgs[i];
          errs.push_back(v::Invalid(p, v::GoQuote(s), "may have mixed case, but should otherwise match: " + joined));
        }
      }
    } else if (k == "metadata") {
      if (std::string err = ObjectMetaDecodeError(val); !err.empty()) {
        errs.push_back(v::Invalid(p, BadValue(val), err));
        continue;
      }
      // metav1 ValidateObjectMeta with path-segment names (an empty name counts as set).
      auto str = [&](const char* f) {
        auto ft = val.find(f);
        return ft != val.end() && ft->is_string() ? ft->get<std::string>() : std::string();
      };
      if (std::string name = str("name"); !name.empty()) {
        for (auto& m : v::IsValidPathSegmentName(name))
          errs.push_back(v::Invalid(PChild(p, "name"), v::GoQuote(name), m));
      }
      if (std::string gen = str("generateName"); !gen.empty()) {
        for (auto& m : v::IsValidPathSegmentName(gen)) {
          if (m.rfind("may not be '", 0) == 0) continue;  // prefixes may be "." or ".."
          errs.push_back(v::Invalid(PChild(p, "generateName"), v::GoQuote(gen), m));
        }
      }
      if (std::string ns = str("namespace"); !ns.empty()) {
        for (auto& m : v::IsDns1123Label(ns)) errs.push_back(v::Invalid(PChild(p, "namespace"), v::GoQuote(ns), m));
      }
      if (auto lt = val.find("labels"); lt != val.end()) v::ValidateLabels(*lt, PChild(p, "labels"), errs);
      if (auto at = val.find("annotations"); at != val.end()) {
        v::ValidateAnnotations(*at, PChild(p, "annotations"), errs);
      }
    }
  }
}

void ValidateEmbedded(const std::string& path, const json& x, const Props* s, bool root,
                      std::vector<FieldCause>& errs) {
  if (!s || s->opaque) return;
  if (x.is_object()) {
    if (s->embedded && !root) ValidateEmbeddedResource(path, x, errs);
    for (auto it = x.begin(); it != x.end(); ++it) {
      if (root && MetaFields().count(it.key())) continue;
      if (const Props* prop = s->Property(it.key())) {
        ValidateEmbedded(PChild(path, it.key()), it.value(), prop, false, errs);
      } else if (s->has_additional) {
        ValidateEmbedded(PKey(path, it.key()), it.value(), s->AdditionalSchema(), false, errs);
      }
    }
  } else if (x.is_array()) {
    for (std::size_t i = 0; i < x.size(); ++i) ValidateEmbedded(PIndex(path, i), x[i], s->items.get(), false, errs);
  }
}

// Indices of second occurrences (validateListSet): scalars compare as Go interface values, compounds by JSON.
std::vector<std::size_t> NonUnique(const std::vector<const json*>& items) {
  std::map<std::string, int> seen;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json* x = items[i];
    std::string key = x ? std::to_string(static_cast<int>(KindOf(*x))) + ":" + Marshal(*x) : "unspecified";
    if (x && (x->is_object() || x->is_array())) key = "c:" + Marshal(*x);
    if (++seen[key] == 2) out.push_back(i);
  }
  return out;
}

void ListSetsAndMaps(const std::string& path, const Props* s, const json& obj, std::vector<FieldCause>& errs);

void ListSetsAndMapsValue(const std::string& path, const Props* s, const json& x, std::vector<FieldCause>& errs) {
  if (!s || s->opaque) return;
  if (x.is_object()) {
    ListSetsAndMaps(path, s, x, errs);
    return;
  }
  if (!x.is_array()) return;
  if (s->list_type == "set") {
    std::vector<const json*> items;
    for (const auto& e : x) items.push_back(&e);
    for (std::size_t i : NonUnique(items)) errs.push_back(v::Duplicate(PIndex(path, i), BadValue(x[i])));
  } else if (s->list_type == "map") {
    bool ok = true;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!x[i].is_null() && !x[i].is_object()) {
        errs.push_back(v::Invalid(PIndex(path, i), BadValue(x[i]), "must be an object for an array of list-type map"));
        ok = false;
        break;
      }
    }
    if (ok && x.size() > 1) {
      std::vector<json> keys;
      keys.reserve(x.size());
      std::vector<bool> unspecified(x.size(), false);
      for (std::size_t i = 0; i < x.size(); ++i) {
        json key = json::object();
        for (const auto& f : s->list_map_keys) {
          if (x[i].is_object()) {
            auto it = x[i].find(f);
            if (it != x[i].end()) key[f] = *it;
          }
        }
        // With one key, a missing key is its own "unspecified" value (printed as an empty map).
        if (s->list_map_keys.size() == 1 && key.empty()) unspecified[i] = true;
        keys.push_back(std::move(key));
      }
      std::vector<const json*> cmp;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (s->list_map_keys.size() == 1) {
          cmp.push_back(unspecified[i] ? nullptr : &keys[i].begin().value());
        } else {
          cmp.push_back(&keys[i]);
        }
      }
      for (std::size_t i : NonUnique(cmp)) errs.push_back(v::Duplicate(PIndex(path, i), BadValue(keys[i])));
    }
  }
  if (s->items) {
    for (std::size_t i = 0; i < x.size(); ++i) ListSetsAndMapsValue(PIndex(path, i), s->items.get(), x[i], errs);
  }
}

void ListSetsAndMaps(const std::string& path, const Props* s, const json& obj, std::vector<FieldCause>& errs) {
  if (!s || s->opaque || !obj.is_object()) return;
  if (const Props* ap = s->AdditionalSchema()) {
    for (auto it = obj.begin(); it != obj.end(); ++it) ListSetsAndMapsValue(PKey(path, it.key()), ap, it.value(), errs);
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (const Props* sub = s->Property(it.key())) ListSetsAndMapsValue(PChild(path, it.key()), sub, it.value(), errs);
  }
}

// ----------------------------------------------------------------------------------------------------
// CRD-time checks.

// NewStructural's first refusal, in its traversal order ("" when the schema converts).
std::string StructuralInitError(const Props& s) {
  if (s.opaque) return "";
  if (s.has_id) return "OpenAPIV3Schema 'id' is not supported";
  if (s.has_schema_uri) return "OpenAPIV3Schema 'schema' is not supported";
  if (s.has_ref) return "OpenAPIV3Schema '$ref' is not supported";
  if (s.has_pattern_properties) return "OpenAPIV3Schema 'patternProperties' is not supported";
  if (s.has_dependency_entries) return "OpenAPIV3Schema 'dependencies' is not supported";
  if (s.has_additional_items) return "OpenAPIV3Schema 'additionalItems' is not supported";
  if (s.has_definitions) return "OpenAPIV3Schema 'definitions' is not supported";
  auto first = [](const std::vector<std::unique_ptr<Props>>& list) {
    for (const auto& p : list) {
      if (auto e = StructuralInitError(*p); !e.empty()) return e;
    }
    return std::string();
  };
  if (s.not_schema) {
    if (auto e = StructuralInitError(*s.not_schema); !e.empty()) return e;
  }
  for (const auto* list : {&s.all_of, &s.any_of, &s.one_of}) {
    if (auto e = first(*list); !e.empty()) return e;
  }
  if (s.preserve_unknown == false) {
    return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
  }
  if (s.items_is_array) return "OpenAPIV3Schema 'items' must be a schema, but is an array";
  if (s.items) {
    if (auto e = StructuralInitError(*s.items); !e.empty()) return e;
  }
  for (const auto& [k, p] : s.properties) {
    if (auto e = StructuralInitError(*p); !e.empty()) return e;
  }
  if (s.additional) return StructuralInitError(*s.additional);
  return "";
}

bool HasValueValidation(const Props& s) {
  return !s.format.empty() || s.maximum || s.exclusive_maximum || s.minimum || s.exclusive_minimum || s.max_length ||
         s.min_length || !s.pattern.empty() || s.max_items || s.min_items || s.unique_items || s.multiple_of ||
         !s.enum_values.empty() || s.max_properties || s.min_properties || !s.required.empty() || !s.all_of.empty() ||
         !s.one_of.empty() || !s.any_of.empty() || s.not_schema;
}

bool HasExtensions(const Props& s) {
  return s.preserve_unknown.value_or(false) || s.embedded || s.int_or_string || !s.list_map_keys.empty() ||
         s.list_type || s.map_type;
}

// A NestedValueValidation that is exactly {type: t} (the int-or-string anyOf pattern).
bool OnlyType(const Props& p, std::string_view t) {
  return !p.opaque && p.type == t && p.description.empty() && p.title.empty() && !p.nullable && !p.default_value &&
         !HasValueValidation(p) && !HasExtensions(p) && p.validations.empty() && !p.items && p.properties.empty() &&
         !(p.additional || (p.has_additional && p.additional_allows));
}

bool IntOrStringAnyOf(const std::vector<std::unique_ptr<Props>>& any_of) {
  return any_of.size() == 2 && OnlyType(*any_of[0], "integer") && OnlyType(*any_of[1], "string");
}

enum class Level { kRoot, kItem, kField };

// schema.ValidateStructural: invariants and completeness.
class StructuralChecker {
 public:
  std::vector<FieldCause> errs;

  void Invariants(const Props& s, Level lvl, const std::string& path) {
    if (s.opaque) return;
    if (s.type == "array" && !s.items) errs.push_back(v::Required(PChild(path, "items"), "must be specified"));
    if (s.items) Invariants(*s.items, Level::kItem, PChild(path, "items"));
    for (const auto& [k, p] : s.properties) Invariants(*p, Level::kField, PKey(PChild(path, "properties"), k));
    if (s.has_additional) {
      if (lvl == Level::kRoot) {
        errs.push_back(v::Forbidden(PChild(path, "additionalProperties"), "must not be used at the root"));
      }
      if (s.additional) Invariants(*s.additional, Level::kField, PChild(path, "additionalProperties"));
    }
    if (s.int_or_string && s.preserve_unknown.value_or(false)) {
      errs.push_back(v::Invalid(PChild(path, "x-kubernetes-preserve-unknown-fields"), "true",
                                "must be false if x-kubernetes-int-or-string is true"));
    }
    if (s.int_or_string && s.embedded) {
      errs.push_back(v::Invalid(PChild(path, "x-kubernetes-embedded-resource"), "true",
                                "must be false if x-kubernetes-int-or-string is true"));
    }
    bool skip_any_of = IntOrStringAnyOf(s.any_of);
    bool skip_first_all_of_any_of = !s.all_of.empty() && IntOrStringAnyOf(s.all_of[0]->any_of);
    ValueValidation(s, skip_any_of, skip_first_all_of_any_of, lvl, path);

    const bool check_metadata = lvl == Level::kRoot || s.embedded;
    const std::string type_path = PChild(path, "type");
    if (s.embedded && s.type != "object") {
      if (s.type.empty()) {
        errs.push_back(v::Required(type_path, "must be object if x-kubernetes-embedded-resource is true"));
      } else {
        errs.push_back(
            v::Invalid(type_path, v::GoQuote(s.type), "must be object if x-kubernetes-embedded-resource is true"));
      }
    } else if (s.type.empty() && !s.int_or_string && !s.preserve_unknown.value_or(false)) {
      errs.push_back(v::Required(type_path, lvl == Level::kRoot   ? "must not be empty at the root"
                                            : lvl == Level::kItem ? "must not be empty for specified array items"
                                                                  : "must not be empty for specified object fields"));
    }
    if (s.embedded && s.has_additional) {
      errs.push_back(v::Forbidden(PChild(path, "additionalProperties"),
                                  "must not be used if x-kubernetes-embedded-resource is set"));
    }
    if (lvl == Level::kRoot && !s.type.empty() && s.type != "object") {
      errs.push_back(v::Invalid(type_path, v::GoQuote(s.type), "must be object at the root"));
    }
    const std::string props = PChild(path, "properties");
    for (const char* meta : {"kind", "apiVersion"}) {
      const Props* p = s.Property(meta);
      if (p && check_metadata && !p->opaque && p->type != "string") {
        errs.push_back(v::Invalid(PChild(PKey(props, meta), "type"), v::GoQuote(p->type), "must be string"));
      }
    }
    if (const Props* md = s.Property("metadata"); md && !md->opaque) {
      const std::string mp = PKey(props, "metadata");
      if (check_metadata && md->type != "object") {
        errs.push_back(v::Invalid(PChild(mp, "type"), v::GoQuote(md->type), "must be object"));
      }
      if (lvl == Level::kRoot) {
        bool name = md->Property("name"), gen = md->Property("generateName");
        std::size_t n = md->properties.size();
        bool only_names = n == 0 || (name && gen && n == 2) || ((name || gen) && n == 1);
        if (!only_names || !md->description.empty() || !md->title.empty() || md->nullable || HasExtensions(*md) ||
            HasValueValidation(*md) || !md->validations.empty() || md->items || md->has_additional) {
          errs.push_back(v::Forbidden(
              mp, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
        }
      }
    }
    if (s.embedded && !s.preserve_unknown.value_or(false) && s.properties.empty()) {
      errs.push_back(v::Required(
          props,
          "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
    }
  }

  // validateStructuralCompleteness: only the root's junctors are compared with the structure.
  void Completeness(const Props& root, const std::string& path) {
    if (!root.opaque) ValueCompleteness(root, &root, path, path);
  }

 private:
  void ValueValidation(const Props& s, bool skip_any_of, bool skip_first_all_of_any_of, Level lvl,
                       const std::string& path) {
    if (!skip_any_of) {
      for (std::size_t i = 0; i < s.any_of.size(); ++i)
        Nested(s.any_of[i].get(), false, lvl, PIndex(PChild(path, "anyOf"), i));
    }
    for (std::size_t i = 0; i < s.all_of.size(); ++i) {
      Nested(s.all_of[i].get(), skip_first_all_of_any_of && i == 0, lvl, PIndex(PChild(path, "allOf"), i));
    }
    for (std::size_t i = 0; i < s.one_of.size(); ++i)
      Nested(s.one_of[i].get(), false, lvl, PIndex(PChild(path, "oneOf"), i));
    Nested(s.not_schema.get(), false, lvl, PChild(path, "not"));
    if (!s.pattern.empty() && !s.pattern_re) {
      errs.push_back(v::Invalid(PChild(path, "pattern"), v::GoQuote(s.pattern),
                                "must be a valid regular expression, but isn't: " + s.pattern_error));
    }
  }

  void Nested(const Props* p, bool skip_any_of, Level lvl, const std::string& path) {
    if (!p || p->opaque) return;
    const Props& s = *p;
    ValueValidation(s, skip_any_of, false, lvl, path);
    Nested(s.items.get(), false, lvl, PChild(path, "items"));
    for (const auto& [k, sub] : s.properties)
      Nested(sub.get(), false, Level::kField, PKey(PChild(path, "properties"), k));
    auto forbid = [&](const char* key, const char* msg) { errs.push_back(v::Forbidden(PChild(path, key), msg)); };
    if (!s.type.empty()) forbid("type", "must be empty to be structural");
    if (s.additional || (s.has_additional && s.additional_allows)) {
      forbid("additionalProperties", "must be undefined to be structural");
    }
    if (s.default_value) forbid("default", "must be undefined to be structural");
    if (!s.title.empty()) forbid("title", "must be empty to be structural");
    if (!s.description.empty()) forbid("description", "must be empty to be structural");
    if (s.nullable) forbid("nullable", "must be false to be structural");
    if (s.preserve_unknown.value_or(false)) {
      forbid("x-kubernetes-preserve-unknown-fields", "must be false to be structural");
    }
    if (s.embedded) forbid("x-kubernetes-embedded-resource", "must be false to be structural");
    if (s.int_or_string) forbid("x-kubernetes-int-or-string", "must be false to be structural");
    if (!s.list_map_keys.empty()) forbid("x-kubernetes-list-map-keys", "must be empty to be structural");
    if (s.list_type) forbid("x-kubernetes-list-type", "must be undefined to be structural");
    if (s.map_type) forbid("x-kubernetes-map-type", "must be undefined to be structural");
    if (!s.validations.empty()) forbid("x-kubernetes-validations", "must be empty to be structural");
    if (s.Property("metadata")) {
      errs.push_back(
          v::Forbidden(PKey(PChild(path, "properties"), "metadata"), "must not be specified in a nested context"));
    }
  }

  void ValueCompleteness(const Props& v, const Props* s, const std::string& s_path, const std::string& v_path) {
    NestedCompleteness(v.not_schema.get(), s, s_path, PChild(v_path, "not"));
    for (std::size_t i = 0; i < v.all_of.size(); ++i)
      NestedCompleteness(v.all_of[i].get(), s, s_path, PIndex(PChild(v_path, "allOf"), i));
    for (std::size_t i = 0; i < v.any_of.size(); ++i)
      NestedCompleteness(v.any_of[i].get(), s, s_path, PIndex(PChild(v_path, "anyOf"), i));
    for (std::size_t i = 0; i < v.one_of.size(); ++i)
      NestedCompleteness(v.one_of[i].get(), s, s_path, PIndex(PChild(v_path, "oneOf"), i));
  }

  void NestedCompleteness(const Props* v, const Props* s, const std::string& s_path, const std::string& v_path) {
    if (!v || v->opaque) return;
    if (!s || s->opaque) {
      if (!s) errs.push_back(v::Required(s_path, "because it is defined in " + v_path));
      return;
    }
    ValueCompleteness(*v, s, s_path, v_path);
    NestedCompleteness(v->items.get(), s->items.get(), PChild(s_path, "items"), PChild(v_path, "items"));
    for (const auto& [k, fld] : v->properties) {
      std::string sp = PKey(PChild(s_path, "properties"), k), vp = PKey(PChild(v_path, "properties"), k);
      if (const Props* sf = s->Property(k)) {
        NestedCompleteness(fld.get(), sf, sp, vp);
      } else {
        errs.push_back(v::Required(sp, "because it is defined in " + vp));
      }
    }
  }
};

// ValidateCustomResourceDefinitionOpenAPISchema with the v1 options (defaults allowed, property types,
// atomic set items, map-list keys).
struct SchemaRules {
  bool allow_defaults = true;
  std::string disallow_reason;
  bool inside_meta = false;

  SchemaRules ForbidDefaults(std::string reason) const {
    SchemaRules r = *this;
    r.allow_defaults = false;
    r.disallow_reason = std::move(reason);
    return r;
  }
};

std::string TrimSpace(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return std::string(s);
}

bool HasNewlines(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

void CheckSchema(const Props* sp, const std::string& path, const SchemaRules& rules, bool is_root,
                 std::vector<FieldCause>& errs) {
  if (!sp || sp->opaque) return;
  const Props& s = *sp;
  auto at = [&](std::string_view key) { return PChild(path, key); };
  static const std::vector<std::string> kTypes = {"array", "boolean", "integer", "number", "object", "string"};
  if (!s.type.empty() && std::find(kTypes.begin(), kTypes.end(), s.type) == kTypes.end()) {
    errs.push_back(v::NotSupported(at("type"), v::GoQuote(s.type), kTypes));
  }
  if (s.default_value && !rules.allow_defaults) {
    errs.push_back(v::Forbidden(
        at("default"), "must not be set" + (rules.disallow_reason.empty() ? "" : " " + rules.disallow_reason)));
  }
  if (s.has_id) errs.push_back(v::Forbidden(at("id"), "id is not supported"));
  if (s.has_additional_items) errs.push_back(v::Forbidden(at("additionalItems"), "additionalItems is not supported"));
  if (s.has_pattern_properties) {
    errs.push_back(v::Forbidden(at("patternProperties"), "patternProperties is not supported"));
  }
  if (s.has_definitions) errs.push_back(v::Forbidden(at("definitions"), "definitions is not supported"));
  if (s.has_dependencies) errs.push_back(v::Forbidden(at("dependencies"), "dependencies is not supported"));
  if (s.has_ref) errs.push_back(v::Forbidden(at("$ref"), "$ref is not supported"));
  if (s.type == "null") {
    errs.push_back(v::Forbidden(at("type"), "type cannot be set to null, use nullable as an alternative"));
  }
  if (s.items_is_array) errs.push_back(v::Forbidden(at("items"), "items must be a schema object and not an array"));
  if (rules.inside_meta && s.embedded) {
    errs.push_back(v::Forbidden(at("x-kubernetes-embedded-resource"), "must not be used inside of resource meta"));
  }
  if (s.unique_items) {
    errs.push_back(v::Forbidden(at("uniqueItems"),
                                "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
  }
  if (s.has_additional) {
    if (!s.properties.empty() && (!s.additional_allows || s.additional)) {
      errs.push_back(
          v::Forbidden(at("additionalProperties"), "additionalProperties and properties are mutual exclusive"));
    }
    SchemaRules sub =
        rules.inside_meta ? rules.ForbidDefaults("inside additionalProperties applying to object metadata") : rules;
    CheckSchema(s.additional.get(), at("additionalProperties"), sub, false, errs);
  }
  for (const auto& [k, p] : s.properties) {
    SchemaRules sub = rules;
    if ((is_root || s.embedded) && MetaFields().count(k)) {
      sub.inside_meta = true;
      if (is_root) sub = sub.ForbidDefaults("in top-level " + k);
    }
    CheckSchema(p.get(), PKey(at("properties"), k), sub, false, errs);
  }
  CheckSchema(s.not_schema.get(), at("not"), rules, false, errs);
  for (std::size_t i = 0; i < s.all_of.size(); ++i)
    CheckSchema(s.all_of[i].get(), PIndex(at("allOf"), i), rules, false, errs);
  for (std::size_t i = 0; i < s.one_of.size(); ++i)
    CheckSchema(s.one_of[i].get(), PIndex(at("oneOf"), i), rules, false, errs);
  for (std::size_t i = 0; i < s.any_of.size(); ++i)
    CheckSchema(s.any_of[i].get(), PIndex(at("anyOf"), i), rules, false, errs);
  for (const auto& [k, p] : s.definitions) CheckSchema(p.get(), PKey(at("definitions"), k), rules, false, errs);
  CheckSchema(s.items.get(), at("items"), rules, false, errs);
  for (std::size_t i = 0; i < s.items_array.size(); ++i)
    CheckSchema(s.items_array[i].get(), PIndex(at("items"), i), rules, false, errs);
  for (const auto& [k, p] : s.dependencies) CheckSchema(p.get(), PKey(at("dependencies"), k), rules, false, errs);

  if (s.preserve_unknown == false) {
    errs.push_back(v::Invalid(at("x-kubernetes-preserve-unknown-fields"), "false", "must be true or undefined"));
  }
  auto type_must_be = [&](const std::string& msg) {
    if (s.type.empty()) {
      errs.push_back(v::Required(at("type"), msg));
    } else {
      errs.push_back(v::Invalid(at("type"), v::GoQuote(s.type), msg));
    }
  };
  if (s.map_type && s.type != "object") type_must_be("must be object if x-kubernetes-map-type is specified");
  if (s.map_type && *s.map_type != "atomic" && *s.map_type != "granular") {
    errs.push_back(v::NotSupported(at("x-kubernetes-map-type"), v::GoQuote(*s.map_type), {"atomic", "granular"}));
  }
  const Props* items = s.items && !s.items->opaque ? s.items.get() : nullptr;
  if (s.list_type && s.type != "array") {
    type_must_be("must be array if x-kubernetes-list-type is specified");
  } else if (s.list_type == "set" && items) {
    if (items->type == "array" && items->list_type && *items->list_type != "atomic") {
      errs.push_back(v::Invalid(PChild(at("items"), "x-kubernetes-list-type"), v::GoQuote(*items->list_type),
                                "must be atomic as item of a list with x-kubernetes-list-type=set"));
    } else if (items->type == "object" && items->map_type != "atomic") {
      // kube prints the items' list type here.
      errs.push_back(v::Invalid(PChild(at("items"), "x-kubernetes-map-type"),
                                items->list_type ? v::GoQuote(*items->list_type) : "\"null\"",
                                "must be atomic as item of a list with x-kubernetes-list-type=set"));
    }
  }
  if (s.list_type && *s.list_type != "atomic" && *s.list_type != "set" && *s.list_type != "map") {
    errs.push_back(v::NotSupported(at("x-kubernetes-list-type"), v::GoQuote(*s.list_type), {"atomic", "set", "map"}));
  }
  if (!s.list_map_keys.empty()) {
    if (!s.list_type) {
      errs.push_back(
          v::Required(at("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"));
    } else if (*s.list_type != "map") {
      errs.push_back(v::Invalid(at("x-kubernetes-list-type"), v::GoQuote(*s.list_type),
                                "must be map if x-kubernetes-list-map-keys is non-empty"));
    }
  }
  if (s.list_type == "map") {
    if (s.list_map_keys.empty()) {
      errs.push_back(
          v::Required(at("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"));
    }
    if (!s.items && !s.items_is_array) {
      errs.push_back(v::Required(at("items"), "must have a schema if x-kubernetes-list-type is map"));
    }
    if (s.items_is_array)
      errs.push_back(
          v::Invalid(at("items"), "[...]", "must only have a single schema if x-kubernetes-list-type is map"));
    if (items && items->type != "object") {
      errs.push_back(v::Invalid(PChild(at("items"), "type"), v::GoQuote(items->type),
                                "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items && items->type == "object") {
      std::set<std::string> keys;
      for (const auto& k : s.list_map_keys) {
        if (const Props* kp = items->Property(k)) {
          if (kp->type == "array" || kp->type == "object") {
            // kube prints the items' type ("object") here.
            errs.push_back(v::Invalid(PChild(PKey(PChild(at("items"), "properties"), k), "type"),
                                      v::GoQuote(items->type),
                                      "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          }
        } else {
          errs.push_back(v::Invalid(at("x-kubernetes-list-map-keys"), GoStringSlice(s.list_map_keys),
                                    "entries must all be names of item properties"));
        }
        if (!keys.insert(k).second) {
          errs.push_back(v::Invalid(at("x-kubernetes-list-map-keys"), GoStringSlice(s.list_map_keys),
                                    "must not contain duplicate entries"));
        }
      }
    }
  }
  if (items && (s.list_type == "set" || s.list_type == "map")) {  // validateMapListKeysMapSet
    if (items->nullable) {
      errs.push_back(v::Forbidden(PChild(at("items"), "nullable"),
                                  "cannot be nullable when x-kubernetes-list-type is " + *s.list_type));
    }
    if (s.list_type == "map") {
      for (const auto& k : s.list_map_keys) {
        const Props* kp = items->Property(k);
        if (!kp) continue;
        std::string kpath = PKey(PChild(at("items"), "properties"), k);
        bool required = std::find(items->required.begin(), items->required.end(), k) != items->required.end();
        if (!required && !kp->default_value) {
          errs.push_back(v::Required(
              PChild(kpath, "default"),
              "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
        }
        if (kp->nullable) {
          errs.push_back(v::Forbidden(PChild(kpath, "nullable"),
                                      "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
        }
      }
    }
  }
  static const std::vector<std::string> kReasons = {"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                                                    "FieldValueRequired"};
  for (std::size_t i = 0; i < s.validations.size(); ++i) {
    const Rule& r = s.validations[i];
    const std::string rp = PIndex(at("x-kubernetes-validations"), i);
    const std::string rule = TrimSpace(r.rule), msg = TrimSpace(r.message), msg_expr = TrimSpace(r.message_expression);
    if (rule.empty()) {
      errs.push_back(v::Required(PChild(rp, "rule"), "rule is not specified"));
    } else if (!r.message.empty() && msg.empty()) {
      errs.push_back(
          v::Invalid(PChild(rp, "message"), v::GoQuote(r.message), "message must be non-empty if specified"));
    } else if (HasNewlines(msg)) {
      errs.push_back(v::Invalid(PChild(rp, "message"), v::GoQuote(r.message), "message must not contain line breaks"));
    } else if (HasNewlines(rule) && msg.empty()) {
      errs.push_back(v::Required(PChild(rp, "message"), "message must be specified if rule contains line breaks"));
    }
    if (!r.message_expression.empty() && msg_expr.empty()) {
      errs.push_back(v::Required(PChild(rp, "messageExpression"), "messageExpression must be non-empty if specified"));
    }
    if (r.reason && std::find(kReasons.begin(), kReasons.end(), *r.reason) == kReasons.end()) {
      errs.push_back(v::NotSupported(PChild(rp, "reason"), v::GoQuote(*r.reason), kReasons));
    }
    if (!r.field_path.empty() && TrimSpace(r.field_path).empty()) {
      errs.push_back(
          v::Invalid(PChild(rp, "fieldPath"), v::GoQuote(r.field_path), "fieldPath must be non-empty if specified"));
    }
    if (HasNewlines(r.field_path)) {
      errs.push_back(
          v::Invalid(PChild(rp, "fieldPath"), v::GoQuote(r.field_path), "fieldPath must not contain line breaks"));
    }
  }
}

// defaulting.ValidateDefaults: defaults are pruned, valid embedded resources and valid against their node.
// Defaults inside resource metadata are not checked (kube forbids them at the top level).
void CheckDefaults(const Props* sp, const std::string& path, bool inside_meta, bool force_embedded,
                   std::vector<FieldCause>& errs) {
  if (!sp || sp->opaque) return;
  const Props& s = *sp;
  const bool embedded = s.embedded || force_embedded;
  if (embedded) inside_meta = false;
  if (s.default_value && !inside_meta) {
    const json& def = *s.default_value;
    const std::string dp = PChild(path, "default");
    json pruned = def;
    Pruner pruner;
    std::string scratch;
    pruner.Prune(pruned, &s, embedded, scratch, 0);
    if (!pruner.removed.empty()) errs.push_back(v::Invalid(dp, BadValue(def), "must not have unknown fields"));
    std::vector<FieldCause> meta;
    if (force_embedded && !s.embedded && def.is_object()) ValidateEmbeddedResource(dp, def, meta);
    ValidateEmbedded(dp, def, &s, false, meta);
    if (!meta.empty()) {
      errs.insert(errs.end(), meta.begin(), meta.end());
    } else {
      ToCauses(Validator(VCtx{true}).Value(s, def, ""), dp, errs);
    }
  }
  // additionalProperties are not followed: defaults there are not validated by kube either.
  CheckDefaults(s.items.get(), PChild(path, "items"), inside_meta, false, errs);
  for (const auto& [k, p] : s.properties) {
    bool sub_meta = inside_meta || (embedded && MetaFields().count(k));
    CheckDefaults(p.get(), PKey(PChild(path, "properties"), k), sub_meta, false, errs);
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------------

std::vector<FieldCause> StructuralSchema::Check(const json& schema, const std::string& path) {
  if (schema.is_null()) return {};
  std::vector<FieldCause> shape;
  std::unique_ptr<Props> root = Decoder(&shape).Schema(schema, path, 0);
  std::vector<FieldCause> errs;
  if (root->opaque) return shape;
  if (root->nullable) errs.push_back(v::Forbidden(PChild(path, "nullable"), "nullable cannot be true at the root"));
  const std::string init_error = StructuralInitError(*root);
  if (init_error.empty()) {
    StructuralChecker checker;
    checker.Invariants(*root, Level::kRoot, path);
    checker.Completeness(*root, path);
    if (!checker.errs.empty()) {
      std::stable_sort(checker.errs.begin(), checker.errs.end(), [](const FieldCause& a, const FieldCause& b) {
        return a.field + ": " + a.message < b.field + ": " + b.message;
      });
      errs.insert(errs.end(), checker.errs.begin(), checker.errs.end());
    } else {
      CheckDefaults(root.get(), path, false, true, errs);
    }
  }
  CheckSchema(root.get(), path, SchemaRules{}, true, errs);
  if (errs.empty() && !init_error.empty()) errs.push_back(v::Invalid(path, "\"\"", init_error));
  shape.insert(shape.end(), errs.begin(), errs.end());
  return shape;
}

std::shared_ptr<const StructuralSchema> StructuralSchema::Compile(const json& schema) {
  std::shared_ptr<const Props> root;
  if (!schema.is_null()) root = Decoder(nullptr).Schema(schema, "", 0);
  return std::shared_ptr<const StructuralSchema>(new StructuralSchema(std::move(root)));
}

std::vector<std::string> StructuralSchema::Prune(json& obj) const {
  if (!root_) return {};
  Pruner pruner;
  std::string path;
  pruner.Prune(obj, root_.get(), true, path, 0);
  std::sort(pruner.removed.begin(), pruner.removed.end());
  PruneNulls(obj, root_.get(), true);
  std::vector<std::string> coerced;
  CoerceEmbedded(obj, root_.get(), "", true, coerced);
  std::sort(coerced.begin(), coerced.end());
  pruner.removed.insert(pruner.removed.end(), coerced.begin(), coerced.end());
  return std::move(pruner.removed);
}

void StructuralSchema::Default(json& obj) const {
  if (root_) ApplyDefaults(obj, root_.get());
}

void StructuralSchema::Validate(const json& obj, std::vector<FieldCause>& errs) const {
  if (!root_) return;
  ToCauses(Validator(VCtx{false}).Value(*root_, obj, "", true), "", errs);
  ValidateEmbedded("", obj, root_.get(), true, errs);
  ListSetsAndMaps("", root_.get(), obj, errs);
}

bool StructuralSchema::PreservesUnknownFields() const { return !root_ || root_->Preserves(); }

}  // namespace vkube::resource
