#pragma once
// resource.Quantity ("500m", "1Gi", "2e3") parsed exactly enough to compare: requests vs limits,
// the pod QoS class. Canonical re-formatting is not done (values are kept as the client sent them).
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vkube::resource {

__extension__ typedef __int128 QuantityInt;  // __extension__: GCC/Clang builtin under -Wpedantic

class Quantity {
 public:
  // Accepts kube's grammar: [+-]digits[.digits] followed by nothing, a binary (Ki..Ei), decimal
  // (n u m k M G T P E) suffix or an exponent (e3, E-2).
  static std::optional<Quantity> Parse(std::string_view text);
  // JSON numbers are quantities too (`cpu: 2`).
  static std::optional<Quantity> FromJson(const nlohmann::json& v);

  Quantity& operator+=(const Quantity& o);
  Quantity& operator-=(const Quantity& o);
  // Canonical text as kube prints a Quantity: binary suffixes (Ki, Mi, ...) when it was written
  // with one and stays a multiple, otherwise decimal with an exponent of 3 ("1500m", "2k", "3").
  std::string String() const;
  bool IsZero() const { return !overflow_ && nano_ == 0; }
  std::partial_ordering operator<=>(const Quantity& o) const;
  bool operator==(const Quantity& o) const { return (*this <=> o) == std::partial_ordering::equivalent; }

 private:
  QuantityInt nano_ = 0;      // value in units of 1e-9, rounded up (as kube's ScaledValue does)
  long double approx_ = 0;  // used when the exact value does not fit
  bool overflow_ = false;
  bool binary_ = false;     // written with a binary suffix (BinarySI); kept by sums, as in kube
};

inline constexpr std::string_view kQuantityRegexMessage =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

}  // namespace vkube::resource
