#include "libs/resource/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace vkube::resource::validation {
namespace {

using nlohmann::json;

constexpr std::size_t kDns1123LabelMaxLength = 63;
constexpr std::size_t kDns1123SubdomainMaxLength = 253;
constexpr std::size_t kQualifiedNameMaxLength = 63;
constexpr std::size_t kLabelValueMaxLength = 63;
constexpr std::size_t kPortNameMaxLength = 15;

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool Alnum(char c) { return LowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDns1123Label(std::string_view s) {
  if (s.empty() || !LowerAlnum(s.front()) || !LowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return LowerAlnum(c) || c == '-'; });
}

bool MatchesDns1123Subdomain(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = s.find('.', start);
    if (!MatchesDns1123Label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !Alnum(s.front()) || !Alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return Alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// utilvalidation.RegexError: examples joined the way Go builds them (note the double space).
std::string RegexError(std::string_view msg, std::string_view fmt, std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) return out + " (regex used for validation is '" + std::string(fmt) + "')";
  out += " (e.g. ";
  bool first = true;
  for (auto e : examples) {
    if (!first) out += " or ";
    first = false;
    out.append("'").append(e).append("', ");
  }
  return out + "regex used for validation is '" + std::string(fmt) + "')";
}

std::string MaxLenError(std::size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

void ChDirPrefix(std::string_view value, std::vector<std::string>& errs) {
  if (value == ".") {
    errs.emplace_back("must not be '.'");
  } else if (value == "..") {
    errs.emplace_back("must not be '..'");
  } else if (value.substr(0, 2) == "..") {
    errs.emplace_back("must not start with '..'");
  }
}

FieldCause Make(std::string_view type, std::string message, std::string field) {
  return FieldCause{std::string(type), std::move(message), std::move(field)};
}

}  // namespace

std::vector<std::string> IsDns1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(MaxLenError(kDns1123LabelMaxLength));
  if (!MatchesDns1123Label(value)) {
    if (MatchesDns1123Subdomain(value)) {
      errs.emplace_back("must not contain dots");  // a valid subdomain that is not a label has dots
    } else {
      errs.push_back(RegexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
          "end with an alphanumeric character",
          kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> IsDns1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  if (!MatchesDns1123Subdomain(value)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        "start and end with an alphanumeric character",
        kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsDns1035Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(MaxLenError(kDns1123LabelMaxLength));
  bool ok = !value.empty() && value.front() >= 'a' && value.front() <= 'z' && LowerAlnum(value.back()) &&
            std::all_of(value.begin(), value.end(), [](char c) { return LowerAlnum(c) || c == '-'; });
  if (!ok) {
    errs.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character",
        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  std::size_t slashes = static_cast<std::size_t>(std::count(value.begin(), value.end(), '/'));
  if (slashes > 1) {
    errs.push_back("a qualified name " +
                   RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
                   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (slashes == 1) {
    std::size_t slash = value.find('/');
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.emplace_back("prefix part must be non-empty");
    } else {
      for (auto& m : IsDns1123Subdomain(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.emplace_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNamePart(name)) {
    errs.push_back("name part " + RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(MaxLenError(kLabelValueMaxLength));
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errs.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> IsValidPathSegmentName(std::string_view value) {
  if (value == "." || value == "..") return {"may not be '" + std::string(value) + "'"};
  std::vector<std::string> errs;
  for (std::string_view bad : {"/", "%"}) {
    if (value.find(bad) != std::string_view::npos) errs.push_back("may not contain '" + std::string(bad) + "'");
  }
  return errs;
}

std::vector<std::string> IsConfigMapKey(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  bool ok = !value.empty() &&
            std::all_of(value.begin(), value.end(), [](char c) { return Alnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!ok) {
    errs.push_back(RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                              "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  ChDirPrefix(value, errs);
  return errs;
}

std::vector<std::string> IsEnvVarName(std::string_view value) {
  // kube 1.32 enables RelaxedEnvironmentVariableValidation (beta): printable ASCII except '='.
  std::vector<std::string> errs;
  bool ok = std::all_of(value.begin(), value.end(), [](char c) { return c >= ' ' && c <= '~' && c != '='; });
  if (!ok) {
    errs.emplace_back(
        "a valid environment variable name must consist only of printable ASCII characters other than '='");
  }
  return errs;
}

std::vector<std::string> IsValidPortNum(std::int64_t port) {
  if (port >= 1 && port <= 65535) return {};
  return {"must be between 1 and 65535, inclusive"};
}

std::vector<std::string> IsValidPortName(std::string_view port) {
  std::vector<std::string> errs;
  if (port.size() > kPortNameMaxLength) errs.push_back(MaxLenError(kPortNameMaxLength));
  if (port.empty() || !std::all_of(port.begin(), port.end(), [](char c) { return LowerAlnum(c) || c == '-'; })) {
    errs.emplace_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (std::none_of(port.begin(), port.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    errs.emplace_back("must contain at least one letter (a-z)");
  }
  if (port.find("--") != std::string_view::npos) errs.emplace_back("must not contain consecutive hyphens");
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    errs.emplace_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> IsValidIp(std::string_view value) {
  std::string s(value);
  unsigned char buf[16];
  if (value.find('\0') == std::string_view::npos &&
      (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1)) {
    return {};
  }
  return {"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"};
}

bool IsIpv6(std::string_view value) {
  std::string s(value);
  unsigned char buf[16];
  return value.find('\0') == std::string_view::npos && inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Base64Result DecodeBase64Size(std::string_view src) {
  auto value = [](char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  auto newline = [](char c) { return c == '\n' || c == '\r'; };
  Base64Result r;
  std::size_t si = 0;
  auto fail = [&](std::size_t offset) {
    r.ok = false;
    r.error_offset = offset;
    return r;
  };
  // Port of encoding/base64 decodeQuantum for the padded standard alphabet.
  while (si < src.size()) {
    int j = 0;
    bool ended = false;
    for (; j < 4; ++j) {
      if (si == src.size()) {
        if (j != 0) return fail(si - static_cast<std::size_t>(j));
        r.ok = true;
        return r;
      }
      char in = src[si++];
      if (value(in) >= 0) continue;
      if (newline(in)) {
        --j;
        continue;
      }
      if (in != '=') return fail(si - 1);
      if (j == 0 || j == 1) return fail(si - 1);  // incorrect padding
      if (j == 2) {                               // "==" expected, the first '=' was consumed
        while (si < src.size() && newline(src[si])) ++si;
        if (si == src.size()) return fail(src.size());
        if (src[si] != '=') return fail(si - 1);
        ++si;
      }
      while (si < src.size() && newline(src[si])) ++si;
      if (si < src.size()) return fail(si);  // trailing garbage after padding
      ended = true;
      break;
    }
    r.decoded_size += static_cast<std::size_t>(j == 4 ? 3 : j - 1);
    if (ended) break;
  }
  r.ok = true;
  return r;
}

std::string MaskTrailingDash(std::string_view prefix) {
  std::string out(prefix);
  if (out.size() > 1 && out.back() == '-') out.back() = 'a';
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex_byte = [&](unsigned char b) {
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  };
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            hex_byte(c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy valid sequences, escape invalid bytes like Go does.
    std::size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool valid = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (!valid) {
      hex_byte(c);
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out + "\"";
}

std::string GoStringMap(const json& map) {
  if (!map.is_object()) return "map[string]string(nil)";
  std::string out = "map[string]string{";
  bool first = true;
  for (auto& [k, v] : map.items()) {  // nlohmann objects iterate in key order, as Go prints maps
    if (!first) out += ", ";
    first = false;
    out += GoQuote(k) + ":" + GoQuote(v.is_string() ? v.get_ref<const std::string&>() : std::string());
  }
  return out + "}";
}

std::string GoLabelSelector(const json& selector) {
  if (!selector.is_object()) return "null";
  std::string out = "v1.LabelSelector{MatchLabels:" + GoStringMap(selector.value("matchLabels", json())) +
                    ", MatchExpressions:";
  const json exprs = selector.value("matchExpressions", json());
  if (!exprs.is_array()) {
    out += "[]v1.LabelSelectorRequirement(nil)";
  } else {
    out += "[]v1.LabelSelectorRequirement{";
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      const json& e = exprs[i];
      if (i) out += ", ";
      auto str = [&](const char* k) {
        return e.is_object() && e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string();
      };
      out += "v1.LabelSelectorRequirement{Key:" + GoQuote(str("key")) + ", Operator:" + GoQuote(str("operator")) +
             ", Values:";
      if (!e.is_object() || !e.contains("values") || !e["values"].is_array()) {
        out += "[]string(nil)";
      } else {
        out += "[]string{";
        bool first = true;
        for (const auto& v : e["values"]) {
          if (!first) out += ", ";
          first = false;
          out += GoQuote(v.is_string() ? v.get<std::string>() : v.dump());
        }
        out += "}";
      }
      out += "}";
    }
    out += "}";
  }
  return out + "}";
}

std::string GoIntOrString(const json& v) {
  if (v.is_string()) return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + GoQuote(v.get_ref<const std::string&>()) + "}";
  std::string n = v.is_number_integer() ? v.dump() : "0";
  return "intstr.IntOrString{Type:0, IntVal:" + n + ", StrVal:\"\"}";
}

std::string GoValue(const json& v) {
  if (v.is_string()) return GoQuote(v.get_ref<const std::string&>());
  if (v.is_null()) return "null";
  return v.dump();
}

FieldCause Required(std::string field, std::string_view detail) {
  std::string msg = "Required value";
  if (!detail.empty()) msg.append(": ").append(detail);
  return Make("FieldValueRequired", std::move(msg), std::move(field));
}

FieldCause Forbidden(std::string field, std::string_view detail) {
  std::string msg = "Forbidden";
  if (!detail.empty()) msg.append(": ").append(detail);
  return Make("FieldValueForbidden", std::move(msg), std::move(field));
}

FieldCause Invalid(std::string field, std::string_view value_repr, std::string_view detail) {
  std::string msg = "Invalid value: " + std::string(value_repr);
  if (!detail.empty()) msg.append(": ").append(detail);
  return Make("FieldValueInvalid", std::move(msg), std::move(field));
}

FieldCause NotSupported(std::string field, std::string_view value_repr, const std::vector<std::string>& supported) {
  std::string msg = "Unsupported value: " + std::string(value_repr);
  if (!supported.empty()) {
    msg += ": supported values: ";
    for (std::size_t i = 0; i < supported.size(); ++i) msg += (i ? ", " : "") + GoQuote(supported[i]);
  }
  return Make("FieldValueNotSupported", std::move(msg), std::move(field));
}

FieldCause Duplicate(std::string field, std::string_view value_repr) {
  return Make("FieldValueDuplicate", "Duplicate value: " + std::string(value_repr), std::move(field));
}

FieldCause NotFoundValue(std::string field, std::string_view value_repr) {
  return Make("FieldValueNotFound", "Not found: " + std::string(value_repr), std::move(field));
}

FieldCause TooLong(std::string field, std::int64_t max_bytes) {
  return Make("FieldValueTooLong", "Too long: may not be more than " + std::to_string(max_bytes) + " bytes",
              std::move(field));
}

FieldCause TooMany(std::string field, std::int64_t actual, std::int64_t max_items) {
  return Make("FieldValueTooMany",
              "Too many: " + std::to_string(actual) + ": must have at most " + std::to_string(max_items) + " items",
              std::move(field));
}

void ValidateLabels(const json& labels, const std::string& path, Errors& errs) {
  if (labels.is_null()) return;
  if (!labels.is_object()) {
    errs.push_back(Invalid(path, GoValue(labels), "must be a map of string keys to string values"));
    return;
  }
  for (auto& [k, v] : labels.items()) {
    for (auto& m : IsQualifiedName(k)) errs.push_back(Invalid(path, GoQuote(k), m));
    if (!v.is_string()) {
      errs.push_back(Invalid(path, GoValue(v), "label values must be strings"));
      continue;
    }
    for (auto& m : IsValidLabelValue(v.get_ref<const std::string&>())) {
      errs.push_back(Invalid(path, GoQuote(v.get_ref<const std::string&>()), m));
    }
  }
}

void ValidateAnnotations(const json& annotations, const std::string& path, Errors& errs) {
  if (annotations.is_null()) return;
  if (!annotations.is_object()) {
    errs.push_back(Invalid(path, GoValue(annotations), "must be a map of string keys to string values"));
    return;
  }
  std::int64_t total = 0;
  for (auto& [k, v] : annotations.items()) {
    std::string lower = k;  // annotation keys are case-insensitive qualified names
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (auto& m : IsQualifiedName(lower)) errs.push_back(Invalid(path, GoQuote(k), m));
    total += static_cast<std::int64_t>(k.size());
    if (v.is_string()) {
      total += static_cast<std::int64_t>(v.get_ref<const std::string&>().size());
    } else {
      errs.push_back(Invalid(path, GoValue(v), "annotation values must be strings"));
    }
  }
  if (total > kMaxAnnotationsBytes) errs.push_back(TooLong(path, kMaxAnnotationsBytes));
}

void ValidateLabelSelector(const json& selector, const std::string& path, Errors& errs) {
  if (!selector.is_object()) return;
  if (selector.contains("matchLabels")) ValidateLabels(selector["matchLabels"], path + ".matchLabels", errs);
  const json exprs = selector.value("matchExpressions", json());
  if (!exprs.is_array()) return;
  for (std::size_t i = 0; i < exprs.size(); ++i) {
    const json& e = exprs[i];
    std::string p = path + ".matchExpressions[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      errs.push_back(Invalid(p, GoValue(e), "must be an object"));
      continue;
    }
    std::string op = e.value("operator", json()).is_string() ? e["operator"].get<std::string>() : "";
    const json values = e.value("values", json());
    std::size_t n = values.is_array() ? values.size() : 0;
    if (op == "In" || op == "NotIn") {
      if (n == 0) errs.push_back(Required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (n > 0) {
        errs.push_back(Forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
    } else {
      errs.push_back(Invalid(p + ".operator", GoQuote(op), "not a valid selector operator"));
    }
    std::string key = e.value("key", json()).is_string() ? e["key"].get<std::string>() : "";
    for (auto& m : IsQualifiedName(key)) errs.push_back(Invalid(p + ".key", GoQuote(key), m));
    for (std::size_t j = 0; j < n; ++j) {
      std::string v = values[j].is_string() ? values[j].get<std::string>() : values[j].dump();
      for (auto& m : IsValidLabelValue(v)) {
        errs.push_back(Invalid(p + ".values[" + std::to_string(j) + "]", GoQuote(v), m));
      }
    }
  }
}

void ValidateNonnegative(const json& obj, std::string_view key, const std::string& path, Errors& errs) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return;
  std::int64_t v = it->get<std::int64_t>();
  if (v < 0) errs.push_back(Invalid(path, std::to_string(v), "must be greater than or equal to 0"));
}

}  // namespace vkube::resource::validation
