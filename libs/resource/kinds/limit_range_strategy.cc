// core/v1 LimitRange: SetDefaults_LimitRangeItem (container defaults from max/min), ValidateLimitRange
// (types, quantities and their ordering), printLimitRange ("Created At").
#include <map>
#include <set>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/quantity.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

constexpr const char* kBags[] = {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"};

class LimitRangeStrategy final : public Strategy {
 public:
  LimitRangeStrategy() : Strategy({.kind = "LimitRange"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the limit range, unique within its namespace."),
        print::Column("Created At", "When the limit range was created (RFC 3339, UTC).", 0, "date")};
    return kCols;
  }

  json Cells(const json& lr, SystemTime) const override {
    return json::array({Str(lr, "metadata.name"), print::CreatedAt(lr)});
  }

 protected:
  void Default(json& lr) const override {
    json* spec = jsonx::Has(lr, "spec") ? jsonx::Object(lr, "spec") : nullptr;
    json* items = spec != nullptr ? jsonx::Array(*spec, "limits") : nullptr;
    if (items == nullptr) return;
    for (auto& item : *items) {
      if (!item.is_object() || Str(item, "type") != "Container") continue;
      // Container limits: default limit from max, default request from the default limit, then min.
      auto fill = [&](const char* to, const char* from) {
        const json& src = jsonx::Child(item, from);
        if (!src.is_object()) return;
        for (auto& [k, q] : src.items()) {
          json* dst = jsonx::Object(item, to);
          if (dst != nullptr && !dst->contains(k)) (*dst)[k] = q;
        }
      };
      fill("default", "max");
      fill("defaultRequest", "default");
      fill("defaultRequest", "min");
    }
  }

  void ValidateSpec(const json& lr, std::vector<FieldCause>& errs) const override {
    const json& limits = jsonx::At(lr, "spec.limits");
    if (!limits.is_array()) return;
    std::set<std::string> types;
    for (std::size_t i = 0; i < limits.size(); ++i) {
      const json& item = limits[i];
      const std::string p = "spec.limits[" + std::to_string(i) + "]";
      const std::string type = Str(item, "type");
      auto type_errs = v::IsQualifiedName(type);
      for (auto& m : type_errs) errs.push_back(v::Invalid(p + ".type", v::GoQuote(type), m));
      if (type_errs.empty() && type.find('/') == std::string::npos && type != "Pod" && type != "Container" &&
          type != "PersistentVolumeClaim") {
        errs.push_back(v::Invalid(p + ".type", v::GoQuote(type), "must be a standard limit type or fully qualified"));
      }
      if (!types.insert(type).second) errs.push_back(v::Duplicate(p + ".type", v::GoQuote(type)));

      std::map<std::string, std::map<std::string, Quantity>> bags;
      std::set<std::string> keys;
      for (const char* bag : kBags) {
        const json& m = jsonx::Child(item, bag);
        if (!m.is_object()) continue;
        for (auto& [k, q] : m.items()) {
          auto parsed = Quantity::FromJson(q);
          if (!parsed) {
            errs.push_back(v::Invalid(p + "." + bag + "[" + k + "]", v::GoValue(q), kQuantityRegexMessage));
            continue;
          }
          bags[bag].emplace(k, *parsed);
          keys.insert(k);
        }
      }
      if (type == "Pod") {
        for (const char* bag : {"default", "defaultRequest"}) {
          if (jsonx::Size(item, bag) > 0) {
            errs.push_back(v::Forbidden(p + "." + bag, "may not be specified when `type` is 'Pod'"));
          }
        }
      }
      for (const auto& k : keys) {
        auto get = [&](const char* bag) -> const Quantity* {
          auto b = bags.find(bag);
          if (b == bags.end()) return nullptr;
          auto it = b->second.find(k);
          return it == b->second.end() ? nullptr : &it->second;
        };
        const Quantity *min = get("min"), *max = get("max"), *def = get("default"), *req = get("defaultRequest"),
                       *ratio = get("maxLimitRequestRatio");
        auto bad = [&](const char* bag, const Quantity& shown, const std::string& msg) {
          errs.push_back(v::Invalid(p + "." + bag + "[" + k + "]", v::GoQuote(shown.String()), msg));
        };
        if (min && max && *min > *max) {
          bad("min", *min, "min value " + min->String() + " is greater than max value " + max->String());
        }
        if (req && min && *min > *req) {
          bad("defaultRequest", *req,
              "min value " + min->String() + " is greater than default request value " + req->String());
        }
        if (req && max && *req > *max) {
          bad("defaultRequest", *req,
              "default request value " + req->String() + " is greater than max value " + max->String());
        }
        if (req && def && *req > *def) {
          bad("defaultRequest", *req,
              "default request value " + req->String() + " is greater than default limit value " + def->String());
        }
        if (def && min && *min > *def) {
          bad("default", *min, "min value " + min->String() + " is greater than default value " + def->String());
        }
        if (def && max && *def > *max) {
          bad("default", *max, "default value " + def->String() + " is greater than max value " + max->String());
        }
        if (ratio && *ratio < *Quantity::Parse("1")) {
          bad("maxLimitRequestRatio", *ratio, "ratio " + ratio->String() + " is less than 1");
        }
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeLimitRangeStrategy() { return std::make_shared<LimitRangeStrategy>(); }

}  // namespace vkube::resource
