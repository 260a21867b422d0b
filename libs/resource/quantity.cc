#include "libs/resource/quantity.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace vkube::resource {
namespace {

constexpr int kMaxExponent = 40;  // beyond 1e40 (or below 1e-40) only the approximation is kept

struct Suffix {
  int base2 = 0;   // multiplier 2^base2
  int base10 = 0;  // multiplier 10^base10
};

std::optional<Suffix> ParseSuffix(std::string_view s) {
  if (s.empty()) return Suffix{};
  static constexpr std::pair<std::string_view, Suffix> kTable[] = {
      {"Ki", {10, 0}}, {"Mi", {20, 0}}, {"Gi", {30, 0}}, {"Ti", {40, 0}}, {"Pi", {50, 0}}, {"Ei", {60, 0}},
      {"n", {0, -9}},  {"u", {0, -6}},  {"m", {0, -3}},  {"k", {0, 3}},   {"M", {0, 6}},   {"G", {0, 9}},
      {"T", {0, 12}},  {"P", {0, 15}},  {"E", {0, 18}}};
  for (const auto& [text, suffix] : kTable) {
    if (s == text) return suffix;
  }
  if (s.front() != 'e' && s.front() != 'E') return std::nullopt;
  std::string_view exp = s.substr(1);
  bool neg = false;
  if (!exp.empty() && (exp.front() == '+' || exp.front() == '-')) {
    neg = exp.front() == '-';
    exp.remove_prefix(1);
  }
  if (exp.empty() || exp.size() > 4) return std::nullopt;
  int e = 0;
  for (char c : exp) {
    if (c < '0' || c > '9') return std::nullopt;
    e = e * 10 + (c - '0');
  }
  return Suffix{0, neg ? -e : e};
}

}  // namespace

std::optional<Quantity> Quantity::Parse(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  int frac_digits = 0;
  bool seen_dot = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      if (seen_dot) ++frac_digits;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  auto suffix = ParseSuffix(s.substr(i));
  if (!suffix) return std::nullopt;

  // Drop leading zeros so that long zero-padded inputs do not look like overflow.
  std::size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);

  Quantity q;
  q.binary_ = suffix->base2 > 0;
  const int exp10 = suffix->base10 - frac_digits + 9;  // scale to nano units
  q.approx_ = std::stold(digits) * std::pow(10.0L, suffix->base10 - frac_digits) * std::pow(2.0L, suffix->base2);
  if (negative) q.approx_ = -q.approx_;
  if (digits.size() > 30 || exp10 > kMaxExponent || exp10 < -kMaxExponent) {
    q.overflow_ = digits != "0";
    return q;
  }
  QuantityInt v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  const QuantityInt kLimit = static_cast<QuantityInt>(1) << 120;
  for (int k = 0; k < suffix->base2; ++k) {
    v *= 2;
    if (v > kLimit) {
      q.overflow_ = true;
      return q;
    }
  }
  if (exp10 >= 0) {
    for (int k = 0; k < exp10; ++k) {
      v *= 10;
      if (v > kLimit) {
        q.overflow_ = true;
        return q;
      }
    }
  } else {
    QuantityInt div = 1;
    for (int k = 0; k < -exp10; ++k) div *= 10;
    v = v / div + (v % div != 0 ? 1 : 0);  // round up below a nano-unit, like kube
  }
  q.nano_ = negative ? -v : v;
  return q;
}

std::optional<Quantity> Quantity::FromJson(const nlohmann::json& v) {
  if (v.is_string()) return Parse(v.get_ref<const std::string&>());
  if (v.is_number_integer()) return Parse(std::to_string(v.get<std::int64_t>()));
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    Quantity q;
    q.approx_ = d;
    q.overflow_ = true;  // compared approximately
    return q;
  }
  return std::nullopt;
}

Quantity& Quantity::operator+=(const Quantity& o) {
  approx_ += o.approx_;
  if (overflow_ || o.overflow_) {
    overflow_ = true;
    return *this;
  }
  const QuantityInt kMax = static_cast<QuantityInt>(1) << 124;  // sums of two stay far from 2^127
  if (nano_ > kMax || nano_ < -kMax || o.nano_ > kMax || o.nano_ < -kMax) {
    overflow_ = true;
    return *this;
  }
  nano_ += o.nano_;
  return *this;
}

Quantity& Quantity::operator-=(const Quantity& o) {
  Quantity neg = o;
  neg.nano_ = -neg.nano_;
  neg.approx_ = -neg.approx_;
  return *this += neg;
}

std::string Quantity::String() const {
  if (overflow_) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%Lg", approx_);
    return buf;
  }
  const bool negative = nano_ < 0;
  QuantityInt v = negative ? -nano_ : nano_;
  auto digits = [](QuantityInt x) {
    std::string out;
    do {
      out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(x % 10)));
      x /= 10;
    } while (x > 0);
    return out;
  };
  const QuantityInt kNano = 1000000000;
  std::string text;
  if (v == 0) {
    text = "0";
  } else if (binary_ && v % kNano == 0 && (v / kNano) % 1024 == 0) {
    QuantityInt units = v / kNano;
    static constexpr const char* kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int i = 0;
    while (i < 6 && units % 1024 == 0) {
      units /= 1024;
      ++i;
    }
    text = digits(units) + kBinary[i];
  } else {
    // Decimal: the largest exponent (multiple of 3) that keeps an integer mantissa.
    static constexpr const char* kDecimal[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    int i = 0;
    while (i < 9 && v % 1000 == 0) {
      v /= 1000;
      ++i;
    }
    text = digits(v) + kDecimal[i];
  }
  return negative ? "-" + text : text;
}

std::partial_ordering Quantity::operator<=>(const Quantity& o) const {
  if (!overflow_ && !o.overflow_) {
    if (nano_ < o.nano_) return std::partial_ordering::less;
    if (nano_ > o.nano_) return std::partial_ordering::greater;
    return std::partial_ordering::equivalent;
  }
  return approx_ <=> o.approx_;
}

}  // namespace vkube::resource
